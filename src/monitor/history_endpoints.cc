// tern's own endpoints: /lingerz (held messages and their rules), /eventz
// (the connect/disconnect/auth-failure log) and /trafficz (msgs and bytes
// per second and per minute).
#include "base/units.h"
#include "monitor/json.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

ordered_json Totals(const TrafficTotals& t) {
  ordered_json j;
  j["in_msgs"] = t.in_msgs;
  j["out_msgs"] = t.out_msgs;
  j["in_bytes"] = t.in_bytes;
  j["out_bytes"] = t.out_bytes;
  return j;
}

}  // namespace

Response Lingerz(Monitor& monitor, const Target&) {
  server::Server& s = monitor.server();
  const core::LingerStats st = s.Snapshot().linger;
  ordered_json v;
  v["server_id"] = s.server_id();
  v["now"] = Rfc3339(WallClock::now());
  ordered_json rules = ordered_json::array();
  for (const server::LingerRule& r : s.options().linger) {
    ordered_json j;
    j["subject"] = r.subject;
    j["for"] = GoDuration(r.hold);
    j["max_bytes"] = r.max_bytes;
    rules.push_back(std::move(j));
  }
  v["rules"] = std::move(rules);
  v["held"] = st.held;
  v["delivered"] = st.delivered;
  v["expired"] = st.expired;
  v["dropped_for_space"] = st.dropped_for_space;
  v["held_now"] = st.held_now;
  v["bytes_now"] = st.bytes_now;
  return JsonResponse(v);
}

// ?since=<seq> (events after it; a poller passes the last seq it saw),
// ?limit=<n> (default 1024, oldest first), ?type=connect|disconnect|...
Response Eventz(Monitor& monitor, const Target& target) {
  auto since = target.Uint("since", 0);
  if (!since.ok()) return BadRequest(since.message());
  auto limit = target.Uint("limit", 1024);
  if (!limit.ok()) return BadRequest(limit.message());
  const std::string_view type = target.Get("type");
  server::EventLog& log = monitor.server().events();
  ordered_json events = ordered_json::array();
  size_t shown = 0;
  for (const server::Event& e : log.Since(*since)) {
    if (!type.empty() && server::EventTypeName(e.type) != type) continue;
    if (shown++ == *limit) break;
    events.push_back(ordered_json::parse(server::EventJson(e)));
  }
  ordered_json v;
  v["server_id"] = monitor.server().server_id();
  v["now"] = Rfc3339(WallClock::now());
  v["last_seq"] = log.last_seq();
  v["max_events"] = log.max();
  v["memory_bytes"] = log.MemoryBytes();
  v["events"] = std::move(events);
  return JsonResponse(v);
}

// ?window=1h (default; at most 24h): complete minutes within it, then the
// minute in progress; and the last 60 seconds one by one.
Response Trafficz(Monitor& monitor, const Target& target) {
  std::chrono::milliseconds window{3'600'000};
  if (std::string_view w = target.Get("window"); !w.empty()) {
    auto parsed = units::ParseDuration(w);
    if (!parsed || parsed->count() <= 0) return BadRequest("invalid window: " + std::string(w) + " (e.g. 15m, 1h)");
    window = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  }
  window = std::min<std::chrono::milliseconds>(window, std::chrono::hours(24));
  const TrafficHistory& h = monitor.traffic();
  ordered_json minutes = ordered_json::array();
  for (const TrafficMinute& m : h.Minutes(std::chrono::duration_cast<std::chrono::minutes>(window))) {
    ordered_json j = Totals(m.delta);
    j["start"] = Rfc3339(m.start);
    j["seconds"] = m.samples;
    j["peak_in_msgs_per_sec"] = m.peak_in_msgs;
    j["peak_out_msgs_per_sec"] = m.peak_out_msgs;
    minutes.push_back(std::move(j));
  }
  ordered_json seconds = ordered_json::array();
  for (const TrafficSecond& s : h.Seconds()) {
    ordered_json j = Totals(s.delta);
    j["time"] = Rfc3339(s.time);
    seconds.push_back(std::move(j));
  }
  ordered_json v;
  v["server_id"] = monitor.server().server_id();
  v["now"] = Rfc3339(WallClock::now());
  v["window"] = GoDuration(window);
  v["minutes"] = std::move(minutes);
  v["seconds"] = std::move(seconds);
  v["memory_bytes"] = h.MemoryBytes();
  return JsonResponse(v);
}

}  // namespace tern::monitor
