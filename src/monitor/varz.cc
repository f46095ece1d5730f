// /varz, /routez, /healthz: the node's configuration and counters, with
// nats-server's field names and units (durations in nanoseconds, timeouts
// in seconds as floats), so tools written for nats-server read them.
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "monitor/json.h"
#include "server/cluster/cluster_manager.h"
#include "server/endpoint.h"

namespace tern::monitor {
namespace {

using nlohmann::ordered_json;

int64_t Nanos(std::chrono::milliseconds d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }
double Seconds(std::chrono::milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// CPU use since start, in percent of one core (nats-server's "cpu").
double CpuPercent(std::chrono::nanoseconds uptime) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  const double cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
  const double wall = std::chrono::duration<double>(uptime).count();
  return wall > 0 ? std::round(cpu / wall * 1000.0) / 10.0 : 0.0;
}

}  // namespace

Response Varz(Monitor& monitor, const Target&) {
  server::Server& s = monitor.server();
  const server::Options& o = s.options();
  const server::LiveLimits& l = s.limits();
  const server::ServerSnapshot snap = s.Snapshot();
  const WallClock::time_point now = WallClock::now();
  const auto uptime = now - s.start_time();

  ordered_json v;
  v["server_id"] = snap.server_id;
  v["server_name"] = snap.server_name;
  v["version"] = snap.version;
  v["proto"] = 1;
  v["host"] = o.addr;
  v["port"] = s.port();
  if (o.tls.enabled()) {
    v["tls_required"] = true;
    if (o.tls.verify) v["tls_verify"] = true;
  }
  v["max_connections"] = l.max_connections.load(std::memory_order_relaxed);
  if (int subs = l.max_subscriptions.load(std::memory_order_relaxed); subs > 0) v["max_subscriptions"] = subs;
  v["ping_interval"] = Nanos(std::chrono::milliseconds(l.ping_interval_ms.load(std::memory_order_relaxed)));
  v["ping_max"] = l.max_pings_out.load(std::memory_order_relaxed);
  const bool https = o.http.tls.enabled();
  v["http_host"] = o.http.host.empty() ? o.addr : o.http.host;
  v["http_port"] = https ? 0 : s.http_port();
  v["http_base_path"] = "";
  v["https_port"] = https ? s.http_port() : 0;
  v["auth_timeout"] = Seconds(std::chrono::milliseconds(l.auth_timeout_ms.load(std::memory_order_relaxed)));
  v["max_control_line"] = l.max_control_line.load(std::memory_order_relaxed);
  v["max_payload"] = l.max_payload.load(std::memory_order_relaxed);
  v["max_pending"] = l.max_pending.load(std::memory_order_relaxed);
  v["cluster"] = ordered_json::object();
  v["gateway"] = ordered_json::object();
  v["leaf"] = ordered_json::object();
  v["mqtt"] = ordered_json::object();
  ordered_json ws = ordered_json::object();
  if (s.websocket_port() != 0) {
    ws["host"] = o.websocket.host.empty() ? o.addr : o.websocket.host;
    ws["port"] = s.websocket_port();
    if (!o.websocket.secure()) ws["no_tls"] = true;
    if (o.websocket.compression) ws["compression"] = true;
    if (o.websocket.same_origin) ws["same_origin"] = true;
    if (!o.websocket.allowed_origins.empty()) ws["allowed_origins"] = o.websocket.allowed_origins;
    ws["handshake_timeout"] = Nanos(o.websocket.handshake_timeout);
  }
  v["websocket"] = ws;
  v["jetstream"] = ordered_json::object();
  v["tls_timeout"] = Seconds(o.tls.timeout);
  v["write_deadline"] = Nanos(std::chrono::milliseconds(l.write_deadline_ms.load(std::memory_order_relaxed)));
  v["start"] = Rfc3339(s.start_time());
  v["now"] = Rfc3339(now);
  v["uptime"] = Uptime(uptime);
  v["mem"] = ResidentBytes();
  v["cores"] = std::thread::hardware_concurrency();
  v["cpu"] = CpuPercent(uptime);
  v["connections"] = snap.connections;
  v["total_connections"] = snap.total_connections;
  v["routes"] = 0;
  v["remotes"] = 0;
  v["leafnodes"] = 0;
  v["in_msgs"] = snap.in_msgs;
  v["out_msgs"] = snap.out_msgs;
  v["in_bytes"] = snap.in_bytes;
  v["out_bytes"] = snap.out_bytes;
  v["slow_consumers"] = snap.slow_consumers;
  v["subscriptions"] = snap.subscriptions;
  ordered_json stats = ordered_json::object();
  for (const auto& [path, count] : monitor.request_counts()) stats[path] = count;
  v["http_req_stats"] = stats;
  v["config_load_time"] = Rfc3339(s.start_time());
  // tern's own, beside nats-server's.
  v["workers"] = s.client_worker_count();
  v["stale_connections"] = snap.stale_connections;
  v["protocol_errors"] = snap.protocol_errors;
  v["no_interest"] = snap.no_interest;
  v["lame_duck_mode"] = s.lame_duck();
  return JsonResponse(v);
}

Response Routez(Monitor& monitor, const Target&) {
  ordered_json v;
  v["server_id"] = monitor.server().server_id();
  v["now"] = Rfc3339(WallClock::now());
  ordered_json routes = ordered_json::array();
  size_t count = 0;
  if (server::ClusterManager* cluster = monitor.server().cluster(); cluster != nullptr) {
    server::ClusterStats stats = cluster->Stats();
    count = stats.routes;
    for (const std::string& name : stats.peer_names) routes.push_back({{"remote_name", name}});
  }
  v["num_routes"] = count;
  v["routes"] = std::move(routes);
  if (server::ClusterManager* cluster = monitor.server().cluster(); cluster != nullptr) {
    // tern's own: nats-server keeps no such count.
    server::ClusterStats stats = cluster->Stats();
    v["auth_failures"] = stats.auth_failures;
    v["auth_timeouts"] = stats.auth_timeouts;
  }
  return JsonResponse(v);
}

// nats-server answers {"status":"ok"}; its js-enabled-only, js-enabled and
// js-server-only options ask about JetStream, and with JetStream off (as
// tern always is) nats-server 2.9 answers them "ok" too. Bad values are 400.
Response Healthz(Monitor& monitor, const Target& target) {
  (void)monitor;
  for (std::string_view option : {"js-enabled-only", "js-enabled", "js-server-only"}) {
    if (auto b = target.Bool(option); !b.ok()) return BadRequest(b.message());
  }
  ordered_json v;
  v["status"] = "ok";
  return JsonResponse(v);
}

}  // namespace tern::monitor
