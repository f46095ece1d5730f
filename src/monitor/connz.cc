// /connz: open and closed client connections with nats-server's query
// options (offset, limit, sort, subs, state, cid) and field names.
#include <algorithm>
#include <functional>

#include "monitor/json.h"
#include "monitor/snapshot.h"
#include "server/connection.h"
#include "server/gather.h"
#include "server/worker.h"

namespace tern::monitor {

std::vector<server::ConnInfo> OpenConnections(Monitor& monitor, bool with_subs) {
  auto per_worker = server::GatherFromWorkers<std::vector<server::ConnInfo>>(
      monitor.server(),
      [with_subs](server::Worker& worker) {
        std::vector<server::ConnInfo> infos;
        for (const auto& conn : worker.Connections()) {
          server::ConnInfo info;
          if (!conn->closed() && conn->Describe(&info, with_subs)) infos.push_back(std::move(info));
        }
        return infos;
      },
      Monitor::kGatherTimeout);
  std::vector<server::ConnInfo> all;
  for (auto& slot : per_worker) {
    if (!slot) continue;
    for (auto& info : *slot) all.push_back(std::move(info));
  }
  return all;
}

namespace {

using nlohmann::ordered_json;
using server::ConnInfo;

constexpr uint64_t kDefaultLimit = 1024;  // nats-server's DefaultConnListSize

enum class State { kOpen, kClosed, kAll };

// nats-server's sort options; all but cid, start and reason are descending.
using Less = std::function<bool(const ConnInfo&, const ConnInfo&)>;
bool SortFor(std::string_view name, WallClock::time_point now, Less* less) {
  auto desc = [](auto key) { return Less([key](const ConnInfo& a, const ConnInfo& b) { return key(a) > key(b); }); };
  if (name.empty() || name == "cid") {
    *less = [](const ConnInfo& a, const ConnInfo& b) { return a.cid < b.cid; };
  } else if (name == "start") {
    *less = [](const ConnInfo& a, const ConnInfo& b) { return a.start < b.start; };
  } else if (name == "subs") {
    *less = desc([](const ConnInfo& c) { return c.subscriptions; });
  } else if (name == "pending") {
    *less = desc([](const ConnInfo& c) { return c.pending_bytes; });
  } else if (name == "msgs_to") {
    *less = desc([](const ConnInfo& c) { return c.out_msgs; });
  } else if (name == "msgs_from") {
    *less = desc([](const ConnInfo& c) { return c.in_msgs; });
  } else if (name == "bytes_to") {
    *less = desc([](const ConnInfo& c) { return c.out_bytes; });
  } else if (name == "bytes_from") {
    *less = desc([](const ConnInfo& c) { return c.in_bytes; });
  } else if (name == "last") {
    *less = desc([](const ConnInfo& c) { return c.last_activity; });
  } else if (name == "idle") {
    *less = desc([now](const ConnInfo& c) { return (c.stop != WallClock::time_point{} ? c.stop : now) - c.last_activity; });
  } else if (name == "uptime") {
    *less = desc([now](const ConnInfo& c) { return (c.stop != WallClock::time_point{} ? c.stop : now) - c.start; });
  } else if (name == "stop") {
    *less = desc([](const ConnInfo& c) { return c.stop; });
  } else if (name == "reason") {
    *less = [](const ConnInfo& a, const ConnInfo& b) { return a.reason < b.reason; };
  } else if (name == "rtt") {
    *less = desc([](const ConnInfo& c) { return c.rtt; });
  } else {
    return false;
  }
  return true;
}

ordered_json ConnJson(const ConnInfo& c, WallClock::time_point now, bool subs, bool detail) {
  const WallClock::time_point end = c.stop != WallClock::time_point{} ? c.stop : now;
  ordered_json j;
  j["cid"] = c.cid;
  j["kind"] = "Client";
  j["type"] = c.type;
  j["ip"] = c.ip;
  j["port"] = c.port;
  j["start"] = Rfc3339(c.start);
  j["last_activity"] = Rfc3339(c.last_activity);
  if (c.stop != WallClock::time_point{}) {
    j["stop"] = Rfc3339(c.stop);
    j["reason"] = c.reason;
  }
  if (c.rtt.count() > 0) j["rtt"] = GoDuration(c.rtt);
  j["uptime"] = Uptime(end - c.start);
  j["idle"] = Uptime(end - c.last_activity);
  j["pending_bytes"] = c.pending_bytes;
  j["in_msgs"] = c.in_msgs;
  j["out_msgs"] = c.out_msgs;
  j["in_bytes"] = c.in_bytes;
  j["out_bytes"] = c.out_bytes;
  j["subscriptions"] = c.subscriptions;
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.lang.empty()) j["lang"] = c.lang;
  if (!c.version.empty()) j["version"] = c.version;
  if (!c.mqtt_client.empty()) j["mqtt_client"] = c.mqtt_client;
  if (!c.tls_version.empty()) j["tls_version"] = c.tls_version;
  if (!c.tls_cipher.empty()) j["tls_cipher_suite"] = c.tls_cipher;
  if (subs && !c.subs.empty()) {
    if (detail) {
      ordered_json list = ordered_json::array();
      for (const server::SubInfo& s : c.subs) {
        ordered_json d;
        d["subject"] = s.subject;
        if (!s.queue.empty()) d["qgroup"] = s.queue;
        d["sid"] = s.sid;
        d["msgs"] = s.msgs;
        if (s.max != 0) d["max"] = s.max;
        d["cid"] = s.cid;
        list.push_back(std::move(d));
      }
      j["subscriptions_list_detail"] = std::move(list);
    } else {
      ordered_json list = ordered_json::array();
      for (const server::SubInfo& s : c.subs) list.push_back(s.subject);
      j["subscriptions_list"] = std::move(list);
    }
  }
  return j;
}

}  // namespace

Response Connz(Monitor& monitor, const Target& target) {
  State state = State::kOpen;
  if (std::string_view s = target.Get("state"); s == "closed") {
    state = State::kClosed;
  } else if (s == "any" || s == "all") {
    state = State::kAll;
  } else if (!s.empty() && s != "open") {
    return BadRequest(fmt::format("Error decoding state for {}", s));
  }
  bool subs = false, detail = false;
  if (target.Get("subs") == "detail") {
    subs = detail = true;
  } else if (auto b = target.Bool("subs"); !b.ok()) {
    return BadRequest(b.message());
  } else {
    subs = *b;
  }
  auto offset = target.Uint("offset", 0);
  if (!offset.ok()) return BadRequest(offset.message());
  auto limit = target.Uint("limit", kDefaultLimit);
  if (!limit.ok()) return BadRequest(limit.message());
  auto cid = target.Uint("cid", 0);
  if (!cid.ok()) return BadRequest(cid.message());
  const WallClock::time_point now = WallClock::now();
  const std::string_view sort = target.Get("sort");
  Less less;
  if (!SortFor(sort, now, &less)) return BadRequest(fmt::format("invalid sorting option: {}", sort));
  if ((sort == "stop" || sort == "reason") && state == State::kOpen) {
    return BadRequest(fmt::format("sort by {} only valid on closed connections", sort));
  }

  std::vector<ConnInfo> conns;
  if (state != State::kClosed) conns = OpenConnections(monitor, subs);
  if (state != State::kOpen) {
    for (ConnInfo& c : monitor.server().closed_connections().Snapshot()) conns.push_back(std::move(c));
  }
  if (*cid != 0) {
    std::erase_if(conns, [&](const ConnInfo& c) { return c.cid != *cid; });
  }
  std::stable_sort(conns.begin(), conns.end(), less);

  const size_t total = conns.size();
  const size_t first = std::min<size_t>(*offset, total);
  const size_t last = std::min<size_t>(total, first + *limit);
  ordered_json v;
  v["server_id"] = monitor.server().server_id();
  v["now"] = Rfc3339(now);
  v["num_connections"] = last - first;
  v["total"] = total;
  v["offset"] = *offset;
  v["limit"] = *limit;
  ordered_json list = ordered_json::array();
  for (size_t i = first; i < last; ++i) list.push_back(ConnJson(conns[i], now, subs, detail));
  v["connections"] = std::move(list);
  return JsonResponse(v);
}

}  // namespace tern::monitor
