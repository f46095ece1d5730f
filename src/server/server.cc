#include "server/server.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "base/log.h"
#include "io/socket.h"
#include "server/connection.h"
#include "server/gather.h"
#include "server/listener.h"
#include "server/system_services.h"
#include "server/worker.h"

namespace tern::server {

namespace {

// nats-server ids are 56 characters of base32 starting with 'N'; clients
// only treat them as opaque strings, but some log or display them as such.
std::string MakeServerId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id = "N";
  while (id.size() < 56) id.push_back(kAlphabet[rng() % 32]);
  return id;
}

std::vector<core::LingerRuleConfig> LingerRules(const Options& options) {
  std::vector<core::LingerRuleConfig> rules;
  for (const LingerRule& rule : options.linger) rules.push_back({rule.subject, rule.hold, rule.max_bytes});
  return rules;
}

core::QueuePolicy ToCore(QueuePolicy policy) {
  return policy == QueuePolicy::kRoundRobin ? core::QueuePolicy::kRoundRobin : core::QueuePolicy::kRandom;
}

void StoreLimits(const Options& o, LiveLimits& l) {
  l.max_payload.store(o.max_payload);
  l.max_control_line.store(o.max_control_line);
  l.max_pending.store(o.max_pending);
  l.max_connections.store(o.max_connections);
  l.max_subscriptions.store(o.max_subscriptions);
  l.write_deadline_ms.store(o.write_deadline.count());
  l.ping_interval_ms.store(o.ping_interval.count());
  l.max_pings_out.store(o.max_pings_out);
  l.auth_timeout_ms.store(o.auth_timeout.count());
  l.generation.fetch_add(1, std::memory_order_release);
}

}  // namespace

Server::Server(Options options)
    : options_(std::move(options)),
      server_id_(MakeServerId()),
      linger_(LingerRules(options_)),
      router_(sublist_, ToCore(options_.queue_policy), &linger_),
      closed_(static_cast<size_t>(std::max(0, options_.max_closed_clients))),
      events_(static_cast<size_t>(std::max(1, options_.http.event_log.max_events))) {
  server_name_ = options_.server_name.empty() ? server_id_ : options_.server_name;
  StoreLimits(options_, limits_);
}

Server::~Server() { Shutdown(); }

proto::nats::ServerInfo Server::InfoFor(const Endpoint& endpoint) const {
  proto::nats::ServerInfo info;
  info.server_id = server_id_;
  info.server_name = server_name_;
  info.version = kProtocolVersion;
  // Like nats-server, every listener announces the client listener's
  // address and TLS requirements: WebSocket clients learn the native port
  // (and ignore tls_required, since their TLS is the wss:// transport).
  const Endpoint& client = endpoints_.front();
  info.host = client.host;
  info.port = client.port;
  info.tls_required = client.secure();
  info.tls_verify = client.tls_verify;
  (void)endpoint;
  info.go = "c++20";  // nats-server reports its Go version; some tools print it
  info.headers = true;
  info.max_payload = limits_.max_payload.load(std::memory_order_relaxed);
  return info;
}

int Server::port() const { return endpoints_.empty() ? 0 : endpoints_.front().port; }

int Server::http_port() const {
  for (const Endpoint& e : endpoints_) {
    if (e.monitor_worker) return e.port;
  }
  return 0;
}

int Server::websocket_port() const {
  for (const Endpoint& e : endpoints_) {
    if (e.websocket) return e.port;
  }
  return 0;
}

ServerSnapshot Server::Snapshot() {
  ServerSnapshot snap;
  snap.server_id = server_id_;
  snap.server_name = server_name_;
  snap.version = kTernVersion;
  snap.connections = counters_.current_connections.load(std::memory_order_relaxed);
  snap.total_connections = counters_.total_connections.load(std::memory_order_relaxed);
  snap.slow_consumers = counters_.slow_consumers.load(std::memory_order_relaxed);
  snap.stale_connections = counters_.stale_connections.load(std::memory_order_relaxed);
  snap.protocol_errors = counters_.protocol_errors.load(std::memory_order_relaxed);
  for (const auto& worker : workers_) {
    const core::RouterCounters& c = worker->counters();
    snap.in_msgs += c.messages_in.Get();
    snap.in_bytes += c.bytes_in.Get();
    snap.out_msgs += c.messages_out.Get();
    snap.out_bytes += c.bytes_out.Get();
    snap.no_interest += c.no_interest.Get();
    snap.dropped += c.dropped.Get();
  }
  snap.subscriptions = sublist_.count();
  snap.session_subscriptions = counters_.session_subscriptions.load(std::memory_order_relaxed);
  snap.linger = linger_.stats();
  return snap;
}

base::Status Server::Start() {
  log::Info("Starting tern-server");
  log::Info("  Version:  {} (NATS client protocol level {})", kTernVersion, kProtocolVersion);
  log::Info("  ID:       {}", server_id_);
  log::Info("  Name:     {}", server_name_);
  auto endpoints = BuildEndpoints(options_, http_factory_);
  if (!endpoints.ok()) return endpoints.status();
  endpoints_ = std::move(endpoints).value();
  for (Endpoint& endpoint : endpoints_) {
    auto listener = Listener::Bind(*this, endpoint);
    if (!listener.ok()) {
      listeners_.clear();
      return listener.status();
    }
    listeners_.push_back(std::move(listener).value());
  }
  for (auto& listener : listeners_) {
    if (base::Status s = listener->Register(accept_loop_); !s.ok()) return s;
  }

  // Server-answered subjects exist before the first client can ask.
  services_ = std::make_shared<SystemServices>(*this);
  services_->Install();

  int count = options_.workers > 0 ? options_.workers : static_cast<int>(std::thread::hardware_concurrency());
  if (count <= 0) count = 1;
  for (int i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>(*this, i));
  client_workers_ = workers_.size();
  if (http_port() != 0) {
    workers_.push_back(std::make_unique<Worker>(*this, count));
    monitor_worker_ = workers_.back().get();
  }
  for (auto& worker : workers_) worker->Start();
  acceptor_ = std::thread([this] { accept_loop_.Run(); });

  log::Info("  Workers:  {}", count);
  for (const Endpoint& e : endpoints_) {
    if (e.monitor_worker) {
      log::Info("Starting http monitor on {}://{}:{}", e.secure() ? "https" : "http", e.host, e.port);
      continue;
    }
    const char* what = e.websocket ? "websocket clients" : "client connections";
    log::Info("Listening for {} on {}{}:{}{}", what, e.websocket ? (e.secure() ? "wss://" : "ws://") : "",
              e.host, e.port, e.secure() && !e.websocket ? " (TLS required)" : "");
  }
  log::Info("Server is ready");
  return base::Status::Ok();
}

void Server::Dispatch(int fd, const Endpoint& endpoint) {
  if (endpoint.monitor_worker && monitor_worker_ != nullptr) {
    monitor_worker_->Adopt(fd, endpoint);
    return;
  }
  size_t index = next_worker_.fetch_add(1, std::memory_order_relaxed) % client_workers_;
  workers_[index]->Adopt(fd, endpoint);
}

bool Server::Kick(uint64_t cid) {
  auto found = GatherFromWorkers<bool>(
      *this,
      [cid](Worker& worker) {
        for (auto& conn : worker.Connections()) {
          if (conn->id() == cid && conn->session() != nullptr && conn->session()->monitored()) {
            conn->CloseAfterFlush(CloseReason::kKicked);
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(2));
  return std::any_of(found.begin(), found.end(), [](const auto& f) { return f.value_or(false); });
}

void Server::EnterLameDuck() {
  if (workers_.empty() || lame_duck_.exchange(true)) return;
  const auto grace = options_.lame_duck_grace_period;
  const auto duration = std::max(options_.lame_duck_duration, grace);
  log::Info("Entering lame duck mode, stop accepting new clients");
  Event event;
  event.type = Event::Type::kLameDuck;
  event.reason = fmt::format("duration {}ms, grace period {}ms", duration.count(), grace.count());
  events_.Add(std::move(event));
  // The HTTP listener stays: health checks and the dashboard watch the drain.
  accept_loop_.Post([this] {
    for (auto& listener : listeners_) {
      if (!listener->endpoint().monitor_worker) listener->Close(accept_loop_);
    }
  });
  constexpr auto kAnswer = std::chrono::seconds(2);
  GatherFromWorkers<bool>(
      *this,
      [](Worker& worker) {
        for (auto& conn : worker.Connections()) {
          if (conn->session() != nullptr) conn->session()->OnLameDuck();
        }
        return true;
      },
      kAnswer);
  std::this_thread::sleep_for(grace);
  // Close clients in steps over what is left of the duration, so that they
  // do not all reconnect to the other nodes at the same instant.
  const auto window = duration - grace;
  const auto deadline = std::chrono::steady_clock::now() + window;
  constexpr auto kStep = std::chrono::milliseconds(50);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    auto left = deadline > now ? std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
                               : std::chrono::milliseconds(0);
    int64_t open = counters_.current_connections.load(std::memory_order_relaxed);
    if (open <= 0) break;
    const int64_t steps = std::max<int64_t>(1, left / kStep);
    const size_t per_worker =
        static_cast<size_t>((open + steps - 1) / steps + static_cast<int64_t>(client_workers_) - 1) /
        std::max<size_t>(1, client_workers_);
    GatherFromWorkers<bool>(
        *this,
        [per_worker](Worker& worker) {
          size_t closed = 0;
          for (auto& conn : worker.Connections()) {
            if (closed == per_worker) break;
            if (conn->session() == nullptr || !conn->session()->monitored() || conn->closed()) continue;
            conn->CloseWhenFlushed();
            ++closed;
          }
          return true;
        },
        kAnswer);
    if (left.count() == 0) break;
    std::this_thread::sleep_for(kStep);
  }
}

void Server::Shutdown() {
  if (workers_.empty() || shut_down_.exchange(true)) return;
  log::Info("Initiating Shutdown...");
  // Stop accepting first, on the acceptor's own loop, then drain every worker.
  accept_loop_.Post([this] {
    for (auto& listener : listeners_) listener->Close(accept_loop_);
    accept_loop_.Stop();
  });
  if (acceptor_.joinable()) acceptor_.join();
  const auto grace = requested_grace().count() >= 0 ? requested_grace() : options_.shutdown_grace;
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& worker : workers_) worker->BeginShutdown(deadline);
  for (auto& worker : workers_) worker->Join();
  if (services_ != nullptr) services_->Uninstall();
  log::Info("Server Exiting..");
}

void Server::Reload(const Options& options) {
  log::SetLevel(options.log_level);
  if (options.log_file != options_.log_file && !log::SetFile(options.log_file)) {
    log::Error("reload: cannot open log file {}", options.log_file);
  }
  StoreLimits(options, limits_);
  options_.shutdown_grace = options.shutdown_grace;  // read only by this (main) thread
  router_.set_queue_policy(ToCore(options.queue_policy));
  log::Info("Reloaded: log level {}, limits and queue policy applied", log::LevelName(options.log_level));
}

}  // namespace tern::server
