#include "server/worker.h"

#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "server/cluster/cluster_manager.h"
#include "server/connection.h"
#include "io/socket.h"
#include "server/endpoint.h"
#include "server/mqtt/broker.h"
#include "server/server.h"

namespace tern::server {

namespace {
thread_local Worker* tls_worker = nullptr;
// Worker-wide housekeeping (linger expiry, idle cache release, the shutdown
// check) runs at this period; per-connection deadlines have their own timers.
constexpr std::chrono::milliseconds kTickPeriod{250};
}  // namespace

Worker::Worker(Server& server, int index)
    : server_(server), index_(index), router_thread_(server.sublist()), read_buffer_(new char[kReadBufferSize]) {
  loop_.SetTurnEndHook([this] { EndTurn(); });
  loop_.SetIdleSpin(std::chrono::microseconds(server.options().idle_spin_us));
  loop_.SetTicker(kTickPeriod, [this] { Tick(); });
}

Worker::~Worker() { Join(); }

Worker* Worker::Current() { return tls_worker; }

void Worker::Start() {
  thread_ = std::thread([this] {
    tls_worker = this;
    loop_.Run();
    // Whatever is left after the loop stops (shutdown deadline passed) is closed hard.
    for (auto& conn : Connections()) conn->Close(CloseReason::kServerShutdown);
    to_flush_.clear();
    retired_.clear();
    tls_worker = nullptr;
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Adopt(int fd, const Endpoint& endpoint) {
  loop_.Post([this, fd, &endpoint] {
    auto conn = std::make_shared<Connection>(*this, fd, server_.NextClientId(), endpoint);
    connections_.emplace(conn.get(), conn);
    conn->Start(endpoint.new_session(*conn));
  });
}

void Worker::NotifyAuthChanged() {
  loop_.Post([this] {
    for (const auto& conn : Connections()) conn->NotifyAuthChanged();
  });
}

base::Status Worker::Dial(const std::string& host, int port, const Endpoint& endpoint,
                          std::chrono::milliseconds timeout) {
  auto fd = io::StartConnect(host, port);
  if (!fd.ok()) return fd.status();
  loop_.Post([this, fd = *fd, host, &endpoint, timeout] {
    auto conn = std::make_shared<Connection>(*this, fd, server_.NextClientId(), endpoint);
    connections_.emplace(conn.get(), conn);
    conn->StartOutbound(endpoint.new_session(*conn), host, timeout);
  });
  return base::Status::Ok();
}

void Worker::ForEachSession(const std::function<void(Session&)>& fn) {
  for (auto& conn : Connections()) {
    if (!conn->closed() && conn->session() != nullptr) fn(*conn->session());
  }
}

void Worker::QueueFlush(std::shared_ptr<Connection> conn) { to_flush_.push_back(std::move(conn)); }

void Worker::Retire(std::shared_ptr<Connection> conn) {
  connections_.erase(conn.get());
  retired_.push_back(std::move(conn));
}

std::vector<std::shared_ptr<Connection>> Worker::Connections() const {
  std::vector<std::shared_ptr<Connection>> conns;
  conns.reserve(connections_.size());
  for (const auto& [ptr, conn] : connections_) conns.push_back(conn);
  return conns;
}

void Worker::EndTurn() {
  // Interest changed this turn goes to the peers with this turn's output
  // (the client's PONG among it), as nats-server sends RS+ with the SUB.
  if (ClusterManager* cluster = server_.cluster(); cluster != nullptr && cluster->interest_pending()) {
    cluster->FlushInterest();
    // Routes first: the peers should have the RS+ before the client has
    // the PONG that tells it its SUB was taken.
    std::stable_partition(to_flush_.begin(), to_flush_.end(), [](const auto& conn) {
      return conn->session() != nullptr && conn->session()->sink() != nullptr && conn->session()->sink()->IsRoute();
    });
  }
  FlushQueued();
  retired_.clear();
}

void Worker::FlushQueued() {
  if (to_flush_.empty()) return;
  // Flushing can deliver no new messages, but posting to other workers must
  // see a stable list, so work on a swapped-out copy.
  std::vector<std::shared_ptr<Connection>> batch;
  batch.swap(to_flush_);
  std::vector<std::vector<std::shared_ptr<Connection>>> remote;
  for (auto& conn : batch) {
    Worker& owner = conn->owner();
    if (&owner == this) {
      conn->Flush();
      continue;
    }
    if (conn->TryFlushFromPeer()) continue;
    if (remote.empty()) remote.resize(server_.workers().size());
    remote[owner.index()].push_back(std::move(conn));
  }
  for (size_t i = 0; i < remote.size(); ++i) {
    if (remote[i].empty()) continue;
    server_.workers()[i]->loop().Post([conns = std::move(remote[i])] {
      for (const auto& conn : conns) conn->Flush();
    });
  }
  if (to_flush_.empty() && to_flush_.capacity() < batch.capacity()) {
    batch.clear();
    to_flush_.swap(batch);  // keep the larger allocation for the next turn
  }
}

void Worker::Tick() {
  if (index_ == 0) {
    server_.router().Tick();
    server_.mqtt().Tick(router_thread_, io::Clock::now());
  }
  if (!lame_duck_clients_.empty()) CloseLameDuckClients(std::chrono::steady_clock::now());
  // Lets go of results (and the closed connections they name) that a quiet
  // worker would otherwise keep until its next publish.
  router_thread_.cache.Refresh();
  if (shutting_down_ && (connections_.empty() || std::chrono::steady_clock::now() >= shutdown_deadline_)) {
    loop_.Stop();
  }
}

void Worker::BeginLameDuck(std::chrono::steady_clock::time_point first_close,
                           std::chrono::steady_clock::time_point last_close) {
  loop_.Post([this, first_close, last_close] {
    for (auto& conn : Connections()) {
      Session* session = conn->session();
      if (conn->closed() || session == nullptr) continue;
      session->OnClusterChanged();
      if (session->sink() != nullptr && session->sink()->IsRoute()) continue;  // routes stay until exit
      if (!session->monitored()) continue;  // the monitor's HTTP connections serve to the end
      lame_duck_clients_.push_back(conn);
    }
    lame_duck_total_ = lame_duck_clients_.size();
    lame_duck_first_ = first_close;
    lame_duck_last_ = last_close;
  });
}

void Worker::CloseLameDuckClients(std::chrono::steady_clock::time_point now) {
  if (now < lame_duck_first_) return;
  // The share of the window gone by is the share of clients closed by now,
  // so reconnects reach the other nodes as a trickle, not a stampede.
  size_t due = lame_duck_total_;
  if (now < lame_duck_last_) {
    const double share = std::chrono::duration<double>(now - lame_duck_first_) /
                         std::chrono::duration<double>(lame_duck_last_ - lame_duck_first_);
    due = static_cast<size_t>(share * static_cast<double>(lame_duck_total_)) + 1;
  }
  while (!lame_duck_clients_.empty() && lame_duck_total_ - lame_duck_clients_.size() < due) {
    if (auto conn = lame_duck_clients_.back().lock(); conn != nullptr && !conn->closed()) {
      if (Session* session = conn->session()) session->OnServerStopping();
      conn->CloseAfterFlush(CloseReason::kServerShutdown);
    }
    lame_duck_clients_.pop_back();
  }
}

void Worker::BeginShutdown(std::chrono::steady_clock::time_point deadline) {
  loop_.Post([this, deadline] {
    shutting_down_ = true;
    shutdown_deadline_ = deadline;
    for (auto& conn : Connections()) {
      if (Session* session = conn->session(); session != nullptr && !conn->closed()) session->OnServerStopping();
      conn->CloseWhenFlushed();
    }
    if (connections_.empty()) loop_.Stop();
  });
}

}  // namespace tern::server
