// A tern-server node: listener, workers, the shared subscription index and
// router, and the lifecycle (start, reload, graceful shutdown).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "core/linger.h"
#include "core/router.h"
#include "core/sublist.h"
#include "io/event_loop.h"
#include "proto/nats/connect_info.h"
#include "server/auth/authenticator.h"
#include "server/auth/limiter.h"
#include "server/auth/pool.h"
#include "server/closed_conns.h"
#include "server/endpoint.h"
#include "server/event_log.h"
#include "server/options.h"

namespace tern::server {

class Worker;
class Listener;
class ClusterManager;
namespace mqtt {
class Broker;
}
class SystemServices;
struct Endpoint;

inline constexpr const char* kTernVersion = "0.1.0";
// Client libraries gate features (headers, no responders) on the nats-server
// version in INFO; tern implements the client protocol at this level.
inline constexpr const char* kProtocolVersion = "2.10.0";

// Counters shared by all workers; touched per connection event, not per message.
struct ServerCounters {
  std::atomic<uint64_t> total_connections{0};
  std::atomic<int64_t> current_connections{0};
  std::atomic<uint64_t> slow_consumers{0};
  std::atomic<uint64_t> stale_connections{0};
  std::atomic<uint64_t> protocol_errors{0};
  // Entries in the sessions' subscription tables; equals the index's count
  // (less the system services) once every ended subscription is swept.
  std::atomic<int64_t> session_subscriptions{0};
  // Security: each refusal is counted where it happens.
  std::atomic<uint64_t> auth_failures{0};           // wrong or missing credentials
  std::atomic<uint64_t> auth_timeouts{0};           // no (successful) CONNECT within auth_timeout
  std::atomic<uint64_t> auth_queue_full{0};         // the auth pool's queue was full
  std::atomic<int64_t> auth_pending{0};             // checks waiting on or running in the pool now
  std::atomic<uint64_t> auth_offloaded{0};          // checks that ran on the pool (bcrypt)
  std::atomic<uint64_t> permission_violations{0};   // publish or subscribe refused
  std::atomic<uint64_t> refused_connection_rate{0};  // over authorization.connection_rate
  std::atomic<uint64_t> refused_ip_connections{0};   // over authorization.max_connections_per_ip
  std::atomic<uint64_t> refused_user_connections{0};  // over a user's max_connections
  std::atomic<uint64_t> auth_expired{0};              // closed by a reload that removed their rights
};

// Limits read on worker threads; atomics so SIGHUP can change them live.
// Sessions that copy a limit into per-connection state (the parser's
// max_payload) compare `generation` on each read and refresh when a reload
// bumped it, so reloaded limits reach existing connections too.
struct LiveLimits {
  std::atomic<uint64_t> generation{0};
  std::atomic<uint64_t> max_payload;
  std::atomic<uint64_t> max_control_line;
  std::atomic<uint64_t> max_pending;
  std::atomic<int> max_connections;
  std::atomic<int> max_subscriptions;
  std::atomic<int64_t> write_deadline_ms;
  std::atomic<int64_t> ping_interval_ms;
  std::atomic<int> max_pings_out;
  std::atomic<int64_t> auth_timeout_ms;
};

// A point-in-time copy of the node's counters: what _TERN.STATS answers
// today and the monitoring endpoints will serve.
struct ServerSnapshot {
  std::string server_id, server_name, version;
  int64_t connections = 0;
  uint64_t total_connections = 0, slow_consumers = 0, stale_connections = 0, protocol_errors = 0;
  uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0, no_interest = 0, dropped = 0;
  size_t subscriptions = 0;
  int64_t session_subscriptions = 0;
  uint64_t auth_failures = 0, auth_timeouts = 0, auth_queue_full = 0, auth_offloaded = 0, permission_violations = 0,
           refused_connection_rate = 0, refused_ip_connections = 0, refused_user_connections = 0, auth_expired = 0;
  core::LingerStats linger;
};

class Server {
 public:
  explicit Server(Options options);
  ~Server();

  // Loads TLS material, binds every listener and starts the workers and
  // the acceptor. An error names what failed (port taken, bad address,
  // unreadable certificate); nothing is left running then.
  base::Status Start();
  // Stops accepting, flushes and closes every connection, joins the workers.
  // Bounded by options.shutdown_grace.
  void Shutdown();
  // Applies what can change without a restart (log level, limits, queue policy).
  void Reload(const Options& options);
  // SIGUSR2 or POST /admin/lameduck, main thread. Stops accepting clients (routes still come and
  // go), tells clients (INFO ldm) and peers (route INFO lame_duck: they stop
  // sending this node queue work while they have other members), and has
  // the workers close their clients spread between the end of
  // lame_duck_grace_period and lame_duck_duration. Returns when that ends;
  // the caller then calls Shutdown().
  std::chrono::steady_clock::time_point EnterLameDuck();
  bool lame_duck() const { return lame_duck_.load(std::memory_order_relaxed); }
  // Any thread but a client worker: closes client connection `cid` (reason
  // "Kicked"). False when no open connection has that id.
  bool Kick(uint64_t cid);
  // A shutdown asked for over HTTP may bring its own grace period, which
  // Shutdown() then uses instead of shutdown_grace.
  void set_requested_grace(std::chrono::milliseconds grace) { requested_grace_ms_.store(grace.count()); }
  std::chrono::milliseconds requested_grace() const { return std::chrono::milliseconds(requested_grace_ms_.load()); }
  // Before Start(): the session of the HTTP listener (the monitor library's).
  void set_http_session_factory(SessionFactory factory) { http_factory_ = std::move(factory); }
  // The thread that serves the HTTP listener and gets no client
  // connections; nullptr when there is no HTTP listener.
  Worker* monitor_worker() { return monitor_worker_; }
  // Workers that own client connections (the monitor worker is not one).
  size_t client_worker_count() const { return client_workers_; }
  // The bound HTTP port, 0 when the listener is off.
  int http_port() const;
  WallClock::time_point start_time() const { return start_time_; }
  ClosedConnections& closed_connections() { return closed_; }
  EventLog& events() { return events_; }

  const Options& options() const { return options_; }
  const LiveLimits& limits() const { return limits_; }
  ServerCounters& counters() { return counters_; }
  core::Router& router() { return router_; }
  // MQTT sessions and retained messages, shared by every MQTT connection.
  mqtt::Broker& mqtt() { return *mqtt_; }
  core::Sublist& sublist() { return sublist_; }
  const std::string& server_id() const { return server_id_; }
  const std::string& server_name() const { return server_name_; }
  // The bound client port (the real one when -1 asked for a random port).
  int port() const;
  // The bound websocket port, 0 when the listener is off.
  int websocket_port() const;
  // The bound port of the endpoint named `name` ("mqtt", "mqtt_tls", ...), 0 when it is off.
  int endpoint_port(std::string_view name) const;
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  auth::Authenticator& auth() { return auth_; }
  auth::AuthPool& auth_pool() { return *auth_pool_; }
  auth::ConnectionLimiter& limiter() { return limiter_; }

  ServerSnapshot Snapshot();

  // The INFO a NATS client of `endpoint` gets, before its own id and address.
  proto::nats::ServerInfo InfoFor(const Endpoint& endpoint) const;

  // Null when this node is not in a cluster.
  ClusterManager* cluster() { return cluster_.get(); }
  // Any thread: every client session hears that the cluster changed.
  void AnnounceClusterChange();

  // Acceptor thread: hand an accepted socket of `endpoint` to a worker.
  void Dispatch(int fd, const Endpoint& endpoint);

 private:
  Options options_;
  LiveLimits limits_;
  ServerCounters counters_;
  std::string server_id_;
  std::string server_name_;
  core::Sublist sublist_;
  core::LingerStore linger_;
  core::Router router_;
  // Client workers first, then the monitor worker when there is one.
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t client_workers_ = 0;
  Worker* monitor_worker_ = nullptr;
  SessionFactory http_factory_;
  WallClock::time_point start_time_ = WallClock::now();
  ClosedConnections closed_;
  EventLog events_;
  std::atomic<int64_t> requested_grace_ms_{-1};  // -1: none asked for
  std::vector<Endpoint> endpoints_;  // fixed once started: connections refer to them
  std::vector<std::unique_ptr<Listener>> listeners_;
  io::EventLoop accept_loop_;
  std::thread acceptor_;
  std::shared_ptr<SystemServices> services_;
  std::unique_ptr<ClusterManager> cluster_;  // outlives the workers: routes call it as they close
  auth::Authenticator auth_;
  std::unique_ptr<auth::AuthPool> auth_pool_;
  auth::ConnectionLimiter limiter_;
  std::unique_ptr<mqtt::Broker> mqtt_;
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<size_t> next_worker_{0};
  std::atomic<bool> shut_down_{false};
  std::atomic<bool> lame_duck_{false};
};

}  // namespace tern::server
