// /mqttz: the node's MQTT sessions (who is connected, what each has in
// flight and queued), the retained store and the broker's counters.
//
//   ?offset=N&limit=N   page through sessions_list (sorted by client id;
//                       default limit 1024)
//   ?client_id=ID       only that session
#include "monitor/json.h"
#include "server/mqtt/broker.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

std::string_view VersionName(proto::mqtt::Version v) {
  switch (v) {
    case proto::mqtt::Version::kV31:
      return "3.1";
    case proto::mqtt::Version::kV311:
      return "3.1.1";
    case proto::mqtt::Version::kV5:
      return "5.0";
    case proto::mqtt::Version::kUnknown:
      break;
  }
  return "";
}

}  // namespace

Response Mqttz(Monitor& monitor, const Target& target) {
  auto offset = target.Uint("offset", 0);
  if (!offset.ok()) return BadRequest(offset.message());
  auto limit = target.Uint("limit", 1024);
  if (!limit.ok()) return BadRequest(limit.message());
  const std::string_view only = target.Get("client_id");

  server::Server& s = monitor.server();
  server::mqtt::Broker& broker = s.mqtt();
  std::vector<server::mqtt::SessionRegistry::Listed> sessions = broker.sessions().List();
  if (!only.empty()) {
    std::erase_if(sessions, [&](const auto& l) { return l.summary.client_id != only; });
  }
  size_t connected = 0, inflight = 0, queued = 0;
  for (const auto& l : sessions) {
    connected += l.summary.cid != 0 ? 1 : 0;
    inflight += l.summary.inflight;
    queued += l.summary.queued;
  }

  ordered_json v;
  v["server_id"] = s.server_id();
  v["now"] = Rfc3339(WallClock::now());
  v["ports"] = {{"mqtt", s.endpoint_port("mqtt")},
                {"mqtt_tls", s.endpoint_port("mqtt_tls")},
                {"mqtt_websocket", s.endpoint_port("mqtt_websocket")}};
  v["sessions"] = sessions.size();
  v["connected"] = connected;
  v["inflight"] = inflight;
  v["queued"] = queued;
  v["retained"] = broker.retained().size();
  const server::mqtt::BrokerCounters& c = broker.counters();
  v["taken_over"] = c.taken_over.load(std::memory_order_relaxed);
  v["wills"] = c.wills.load(std::memory_order_relaxed);
  v["dropped_queued"] = c.dropped_queued.load(std::memory_order_relaxed);
  v["dropped_properties"] = c.dropped_properties.load(std::memory_order_relaxed);
  v["offset"] = *offset;
  v["limit"] = *limit;
  ordered_json list = ordered_json::array();
  const size_t first = std::min<size_t>(*offset, sessions.size());
  const size_t last = std::min<size_t>(sessions.size(), first + *limit);
  for (size_t i = first; i < last; ++i) {
    const auto& [sum, expiry] = sessions[i];
    ordered_json j;
    j["client_id"] = sum.client_id;
    j["connected"] = sum.cid != 0;
    if (sum.cid != 0) {
      j["cid"] = sum.cid;
      j["ip"] = sum.ip;
      j["port"] = sum.port;
      j["version"] = VersionName(sum.version);
    }
    j["subscriptions"] = sum.subscriptions;
    j["inflight"] = sum.inflight;
    j["queued"] = sum.queued;
    j["incoming_qos2"] = sum.incoming_qos2;
    j["dropped"] = sum.dropped;
    if (expiry == UINT32_MAX) {
      j["expiry"] = "never";
    } else {
      j["expiry"] = GoDuration(std::chrono::seconds(expiry));
    }
    list.push_back(std::move(j));
  }
  v["sessions_list"] = std::move(list);
  return JsonResponse(v);
}

}  // namespace tern::monitor
