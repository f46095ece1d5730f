// A tern-server node: listener, workers, the shared subscription index and
// router, and the lifecycle (start, reload, graceful shutdown).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/linger.h"
#include "core/router.h"
#include "core/sublist.h"
#include "io/event_loop.h"
#include "proto/nats/connect_info.h"
#include "server/options.h"

namespace tern::server {

class Worker;
class Listener;
class SystemServices;

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
};

// Limits read on worker threads; atomics so SIGHUP can change them live.
struct LiveLimits {
  std::atomic<uint64_t> max_payload;  // new connections take it up; INFO announces it
  std::atomic<uint64_t> max_control_line;
  std::atomic<uint64_t> max_pending;
  std::atomic<int> max_connections;
  std::atomic<int> max_subscriptions;
  std::atomic<int64_t> write_deadline_ms;
  std::atomic<int64_t> ping_interval_ms;
  std::atomic<int> max_pings_out;
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
  core::LingerStats linger;
};

class Server {
 public:
  explicit Server(Options options);
  ~Server();

  // Binds the listener and starts the workers. False with `error` set when
  // the node cannot serve (port taken, bad address).
  bool Start(std::string* error);
  // Stops accepting, flushes and closes every connection, joins the workers.
  // Bounded by options.shutdown_grace.
  void Shutdown();
  // Applies what can change without a restart (log level, limits, queue policy).
  void Reload(const Options& options);

  const Options& options() const { return options_; }
  const LiveLimits& limits() const { return limits_; }
  ServerCounters& counters() { return counters_; }
  core::Router& router() { return router_; }
  core::Sublist& sublist() { return sublist_; }
  const std::string& server_id() const { return server_id_; }
  const std::string& server_name() const { return server_name_; }
  int port() const { return port_; }
  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }

  ServerSnapshot Snapshot();

  // INFO fields common to every client; the connection adds its own id and address.
  proto::nats::ServerInfo BaseInfo() const;

  // Called by the listener for each accepted socket.
  void Dispatch(int fd);

 private:
  Options options_;
  LiveLimits limits_;
  ServerCounters counters_;
  std::string server_id_;
  std::string server_name_;
  core::Sublist sublist_;
  core::LingerStore linger_;
  core::Router router_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Listener> listener_;
  std::shared_ptr<SystemServices> services_;
  int port_ = 0;
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<size_t> next_worker_{0};
  std::atomic<bool> shut_down_{false};
};

}  // namespace tern::server
