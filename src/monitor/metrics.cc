// /metrics in the Prometheus text exposition format (version 0.0.4). Names
// follow Prometheus conventions: tern_ prefix, _total for counters, base
// units (bytes, seconds). Counters come from the workers' single-writer
// counters and the server's atomics; nothing here walks connections except
// the per-listener gauges, which the endpoints count on open and close.
#include <fmt/format.h>

#include "monitor/json.h"
#include "server/cluster/cluster_manager.h"
#include "server/endpoint.h"
#include "server/mqtt/broker.h"

namespace tern::monitor {
namespace {

class Writer {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  template <typename T>
  void Sample(std::string_view name, T value, std::string_view labels = {}) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  template <typename T>
  void One(std::string_view name, std::string_view type, std::string_view help, T value) {
    Family(name, type, help);
    Sample(name, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Label values escape backslash, quote and newline.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Response Metrics(Monitor& monitor, const Target&) {
  server::Server& s = monitor.server();
  const server::ServerSnapshot snap = s.Snapshot();
  Writer w;
  w.Family("tern_info", "gauge", "Build and identity of this node (always 1).");
  w.Sample("tern_info", 1,
           fmt::format("version=\"{}\",protocol=\"{}\",server_id=\"{}\",server_name=\"{}\"", server::kTernVersion,
                       server::kProtocolVersion, LabelValue(snap.server_id), LabelValue(snap.server_name)));
  w.One("tern_start_time_seconds", "gauge", "When this node started, in seconds since the epoch.",
        std::chrono::duration_cast<std::chrono::seconds>(s.start_time().time_since_epoch()).count());
  w.One("tern_connections", "gauge", "Client connections open now.", snap.connections);
  w.One("tern_connections_total", "counter", "Client connections accepted since start.", snap.total_connections);
  w.One("tern_subscriptions", "gauge", "Subscriptions in the index (system services included).", snap.subscriptions);
  w.One("tern_messages_in_total", "counter", "Messages published by clients.", snap.in_msgs);
  w.One("tern_messages_out_total", "counter", "Messages delivered to subscribers.", snap.out_msgs);
  w.One("tern_bytes_in_total", "counter", "Payload bytes published by clients.", snap.in_bytes);
  w.One("tern_bytes_out_total", "counter", "Payload bytes delivered to subscribers.", snap.out_bytes);
  w.One("tern_no_interest_total", "counter", "Publishes that matched no subscriber.", snap.no_interest);
  w.One("tern_dropped_deliveries_total", "counter", "Deliveries refused by a closed or slow connection.", snap.dropped);
  w.One("tern_slow_consumers_total", "counter", "Connections closed as slow consumers.", snap.slow_consumers);
  w.One("tern_stale_connections_total", "counter", "Connections closed for unanswered pings.", snap.stale_connections);
  w.One("tern_protocol_errors_total", "counter", "Connections closed for protocol errors.", snap.protocol_errors);
  w.One("tern_linger_held_total", "counter", "Messages held by linger rules.", snap.linger.held);
  w.One("tern_linger_delivered_total", "counter", "Held messages delivered to a late subscriber.",
        snap.linger.delivered);
  w.One("tern_linger_expired_total", "counter", "Held messages dropped when their time was up.", snap.linger.expired);
  w.One("tern_linger_dropped_total", "counter", "Held messages dropped to stay under max_bytes.",
        snap.linger.dropped_for_space);
  w.One("tern_linger_held_messages", "gauge", "Messages held now.", snap.linger.held_now);
  w.One("tern_linger_held_bytes", "gauge", "Bytes held now.", snap.linger.bytes_now);
  w.One("tern_closed_connections_kept", "gauge", "Entries in the closed-connections ring (/connz?state=closed).",
        s.closed_connections().size());
  w.One("tern_events_kept", "gauge", "Entries in the event log ring (/eventz).", s.events().size());
  w.One("tern_lame_duck", "gauge", "1 while the node is in lame-duck mode.", s.lame_duck() ? 1 : 0);

  server::mqtt::Broker& mqtt = s.mqtt();
  const server::mqtt::BrokerCounters& mc = mqtt.counters();
  w.One("tern_mqtt_sessions", "gauge", "MQTT sessions held, connected or not.", mqtt.sessions().size());
  w.One("tern_mqtt_retained_messages", "gauge", "MQTT retained messages held.", mqtt.retained().size());
  w.One("tern_mqtt_takeovers_total", "counter", "MQTT connections ended by a CONNECT with their client id.",
        mc.taken_over.load(std::memory_order_relaxed));
  w.One("tern_mqtt_wills_total", "counter", "MQTT Will messages published.", mc.wills.load(std::memory_order_relaxed));
  w.One("tern_mqtt_dropped_queued_total", "counter", "MQTT messages dropped from a full session queue.",
        mc.dropped_queued.load(std::memory_order_relaxed));

  // Route families only on a clustered node, as nats-server's /routez is
  // empty without a cluster block.
  if (server::ClusterManager* cluster = s.cluster(); cluster != nullptr) {
    const server::ClusterStats cs = cluster->Stats();
    w.One("tern_routes", "gauge", "Routes to other nodes open now.", cs.routes);
    w.One("tern_route_known_peers", "gauge", "Nodes this node knows of (seeds, gossip, etcd).", cs.known_peers);
    w.One("tern_routes_accepted_total", "counter", "Routes that completed their handshake.", cs.routes_accepted);
    w.One("tern_route_dropped_messages_total", "counter", "Messages a slow route's bound refused.",
          cs.dropped_to_slow_routes);
    w.One("tern_routes_auth_failures_total", "counter",
          "Accepted routes refused for wrong or missing cluster.authorization credentials.", cs.auth_failures);
    w.One("tern_routes_auth_timeouts_total", "counter",
          "Accepted routes closed for not authenticating within cluster.authorization.timeout.", cs.auth_timeouts);
    w.One("tern_route_barriers_total", "counter", "Interest barriers (cluster-wide PING) asked for.", cs.barriers);
    w.One("tern_route_barrier_timeouts_total", "counter", "Interest barriers answered at their timeout.",
          cs.barrier_timeouts);
    w.One("tern_paused", "gauge", "1 while the node asks its peers for no queue-group work.",
          cluster->paused() ? 1 : 0);
  }

  w.Family("tern_listener_connections", "gauge", "Connections open now, per listener.");
  for (const server::Endpoint& e : s.endpoints()) {
    w.Sample("tern_listener_connections", e.stats->current.load(std::memory_order_relaxed),
             fmt::format("listener=\"{}\"", e.name));
  }
  w.Family("tern_listener_connections_total", "counter", "Connections accepted since start, per listener.");
  for (const server::Endpoint& e : s.endpoints()) {
    w.Sample("tern_listener_connections_total", e.stats->total.load(std::memory_order_relaxed),
             fmt::format("listener=\"{}\"", e.name));
  }
  w.Family("tern_http_requests_total", "counter", "Monitoring requests answered, per path.");
  for (const auto& [path, count] : monitor.request_counts()) {
    w.Sample("tern_http_requests_total", count, fmt::format("path=\"{}\"", LabelValue(path)));
  }
  return {200, "text/plain; version=0.0.4; charset=utf-8", w.Take()};
}

}  // namespace tern::monitor
