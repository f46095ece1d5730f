#include "server/server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "base/log.h"
#include "io/socket.h"
#include "server/cluster/cluster_manager.h"
#include "server/connection.h"
#include "server/gather.h"
#include "server/listener.h"
#include "server/session.h"
#include "server/mqtt/broker.h"
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

core::ClusterQueuePolicy ToCore(ClusterQueuePolicy policy) {
  switch (policy) {
    case ClusterQueuePolicy::kRandom:
      return core::ClusterQueuePolicy::kRandom;
    case ClusterQueuePolicy::kRoundRobin:
      return core::ClusterQueuePolicy::kRoundRobin;
    case ClusterQueuePolicy::kLocalFirst:
      break;
  }
  return core::ClusterQueuePolicy::kLocalFirst;
}

// Checks waiting for the auth pool before new ones are refused: at cost
// 11 and two threads, ~10 s of bcrypt work, past any auth_timeout.
constexpr size_t kAuthQueueBound = 256;

void ConfigureLimiter(const Options& o, auth::ConnectionLimiter& limiter) {
  const AuthorizationOptions& a = o.authorization;
  limiter.Configure(a.connection_rate, a.connection_burst, a.max_connections_per_ip);
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
  if (options_.cluster.enabled()) {
    cluster_ = std::make_unique<ClusterManager>(*this);
    router_.set_interest_listener(cluster_.get());
    router_.set_cluster_queue_policy(ToCore(options_.cluster.queue_policy));
  }
  mqtt_ = std::make_unique<mqtt::Broker>(*this, options_.mqtt);
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
  info.interest_barrier = true;
  info.ldm = lame_duck();
  if (cluster_ != nullptr) {
    info.cluster = options_.cluster.name;
    info.connect_urls = cluster_->ClientUrls();
  }
  return info;
}

int Server::port() const { return endpoints_.empty() ? 0 : endpoints_.front().port; }

int Server::http_port() const {
  for (const Endpoint& e : endpoints_) {
    if (e.monitor_worker) return e.port;
  }
  return 0;
}

int Server::websocket_port() const { return endpoint_port("websocket"); }

int Server::endpoint_port(std::string_view name) const {
  for (const Endpoint& e : endpoints_) {
    if (e.name == name) return e.port;
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
  const ServerCounters& c = counters_;
  snap.auth_failures = c.auth_failures.load(std::memory_order_relaxed);
  snap.auth_timeouts = c.auth_timeouts.load(std::memory_order_relaxed);
  snap.auth_queue_full = c.auth_queue_full.load(std::memory_order_relaxed);
  snap.auth_offloaded = c.auth_offloaded.load(std::memory_order_relaxed);
  snap.permission_violations = c.permission_violations.load(std::memory_order_relaxed);
  snap.refused_connection_rate = c.refused_connection_rate.load(std::memory_order_relaxed);
  snap.refused_ip_connections = c.refused_ip_connections.load(std::memory_order_relaxed);
  snap.refused_user_connections = c.refused_user_connections.load(std::memory_order_relaxed);
  snap.auth_expired = c.auth_expired.load(std::memory_order_relaxed);
  return snap;
}

base::Status Server::Start() {
  log::Info("Starting tern-server");
  log::Info("  Version:  {} (NATS client protocol level {})", kTernVersion, kProtocolVersion);
  log::Info("  ID:       {}", server_id_);
  log::Info("  Name:     {}", server_name_);
  std::vector<std::string> warnings;
  auto table = auth::Authenticator::Build(options_, &warnings);
  if (!table.ok()) return table.status();
  for (const std::string& w : warnings) log::Warn("{}", w);
  auth_.Install(std::move(table).value());
  ConfigureLimiter(options_, limiter_);
  {
    int threads = options_.authorization.verifier_threads;
    if (threads <= 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    auth_pool_ = std::make_unique<auth::AuthPool>(threads, kAuthQueueBound);
  }
  if (auth_.required()) log::Info("  Authorization: required");
  auto endpoints = BuildEndpoints(options_, http_factory_);
  if (!endpoints.ok()) return endpoints.status();
  endpoints_ = std::move(endpoints).value();
  if (cluster_ != nullptr) {
    if (base::Status s = cluster_->AddEndpoint(&endpoints_); !s.ok()) return s;
  }
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
  if (cluster_ != nullptr) cluster_->set_local_only(services_.get());
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
  if (cluster_ != nullptr) {
    auto route =
        std::find_if(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) { return e.name == "cluster"; });
    if (base::Status s = cluster_->Start(*route, endpoints_.front()); !s.ok()) return s;
  }

  log::Info("  Workers:  {}", count);
  for (const Endpoint& e : endpoints_) {
    if (e.monitor_worker) {
      log::Info("Starting http monitor on {}://{}:{}", e.secure() ? "https" : "http", e.host, e.port);
      continue;
    }
    const bool mqtt = e.name.starts_with("mqtt");
    const char* what = mqtt                  ? (e.websocket ? "MQTT websocket clients" : "MQTT clients")
                       : e.websocket         ? "websocket clients"
                       : e.name == "cluster" ? "route connections"
                                             : "client connections";
    log::Info("Listening for {} on {}{}:{}{}", what, e.websocket ? (e.secure() ? "wss://" : "ws://") : "",
              e.host, e.port, e.secure() && !e.websocket ? " (TLS required)" : "");
  }
  log::Info("Server is ready");
  return base::Status::Ok();
}

void Server::AnnounceClusterChange() {
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->loop().Post([w] { w->ForEachSession([](Session& s) { s.OnClusterChanged(); }); });
  }
}

void Server::Dispatch(int fd, const Endpoint& endpoint) {
  if (endpoint.monitor_worker && monitor_worker_ != nullptr) {
    monitor_worker_->Adopt(fd, endpoint);
    return;
  }
  // A storm from one address is refused here, before it costs a worker
  // anything; other addresses keep their own buckets.
  int peer_port = 0;
  std::string ip = limiter_.rate_limited() ? io::PeerAddress(fd, &peer_port) : std::string();
  if (!ip.empty() && !limiter_.AllowNew(ip)) {
    uint64_t n = counters_.refused_connection_rate.fetch_add(1, std::memory_order_relaxed) + 1;
    if ((n & (n - 1)) == 0) log::Warn("{} - connection rate exceeded, refused ({} so far)", ip, n);
    if (!endpoint.refusal.empty()) {
      ssize_t sent = ::send(fd, endpoint.refusal.data(), endpoint.refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)sent;
    }
    ::close(fd);
    return;
  }
  size_t index = next_worker_.fetch_add(1, std::memory_order_relaxed) % client_workers_;
  workers_[index]->Adopt(fd, endpoint);
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
  if (cluster_ != nullptr) cluster_->Stop();
  // POST /admin/shutdown?grace= may bring its own grace period.
  const auto grace = requested_grace().count() >= 0 ? requested_grace() : options_.shutdown_grace;
  auto deadline = std::chrono::steady_clock::now() + grace;
  // No more checks start; those running finish and post to loops that
  // are still there.
  if (auth_pool_ != nullptr) auth_pool_->Stop();
  for (auto& worker : workers_) worker->BeginShutdown(deadline);
  for (auto& worker : workers_) worker->Join();
  if (services_ != nullptr) services_->Uninstall();
  log::Info("Server Exiting..");
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

std::chrono::steady_clock::time_point Server::EnterLameDuck() {
  const auto now = std::chrono::steady_clock::now();
  const auto end = now + options_.lame_duck_duration;
  if (workers_.empty() || lame_duck_.exchange(true)) return now;
  log::Info("Entering lame duck mode, stop accepting new clients");
  accept_loop_.Post([this] {
    for (auto& listener : listeners_) {
      // Routes and monitoring stay up to the end, as in nats-server.
      if (listener->endpoint().name != "cluster" && !listener->endpoint().monitor_worker) {
        listener->Close(accept_loop_);
      }
    }
  });
  if (cluster_ != nullptr) cluster_->EnterLameDuck();
  const auto first_close = now + std::min(options_.lame_duck_grace_period, options_.lame_duck_duration);
  for (auto& worker : workers_) worker->BeginLameDuck(first_close, end);
  return end;
}

void Server::Reload(const Options& options) {
  log::SetLevel(options.log_level);
  if (options.log_file != options_.log_file && !log::SetFile(options.log_file)) {
    log::Error("reload: cannot open log file {}", options.log_file);
  }
  StoreLimits(options, limits_);
  options_.shutdown_grace = options.shutdown_grace;  // these three: read only by this (main) thread
  options_.lame_duck_duration = options.lame_duck_duration;
  options_.lame_duck_grace_period = options.lame_duck_grace_period;
  router_.set_queue_policy(ToCore(options.queue_policy));
  std::vector<std::string> warnings;
  auto table = auth::Authenticator::Build(options, &warnings);
  if (!table.ok()) {
    log::Error("reload: {}; users and permissions unchanged", table.message());
  } else {
    for (const std::string& w : warnings) log::Warn("reload: {}", w);
    auth_.Install(std::move(table).value());
    ConfigureLimiter(options, limiter_);
    // Each worker re-checks its own connections on its own thread.
    for (auto& worker : workers_) worker->NotifyAuthChanged();
  }
  if (cluster_ != nullptr) {
    router_.set_cluster_queue_policy(ToCore(options.cluster.queue_policy));
    cluster_->SetAuthorization(options.cluster.authorization);
  }
  log::Info("Reloaded: log level {}, limits, queue policy, users and permissions applied",
            log::LevelName(options.log_level));
}

}  // namespace tern::server
