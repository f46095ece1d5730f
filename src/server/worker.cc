#include "server/worker.h"

#include <unistd.h>

#include "base/log.h"
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
  loop_.SetTicker(kTickPeriod, [this] { Tick(); });
}

Worker::~Worker() { Join(); }

Worker* Worker::Current() { return tls_worker; }

void Worker::Start() {
  thread_ = std::thread([this] {
    tls_worker = this;
    loop_.Run();
    // Whatever is left after the loop stops (shutdown deadline passed) is closed hard.
    for (auto& conn : Snapshot()) conn->Close(CloseReason::kServerShutdown);
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

void Worker::QueueFlush(std::shared_ptr<Connection> conn) { to_flush_.push_back(std::move(conn)); }

void Worker::Retire(std::shared_ptr<Connection> conn) {
  connections_.erase(conn.get());
  retired_.push_back(std::move(conn));
}

std::vector<std::shared_ptr<Connection>> Worker::Snapshot() const {
  std::vector<std::shared_ptr<Connection>> conns;
  conns.reserve(connections_.size());
  for (const auto& [ptr, conn] : connections_) conns.push_back(conn);
  return conns;
}

void Worker::EndTurn() {
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
  // Lets go of results (and the closed connections they name) that a quiet
  // worker would otherwise keep until its next publish.
  router_thread_.cache.Refresh();
  if (shutting_down_ && (connections_.empty() || std::chrono::steady_clock::now() >= shutdown_deadline_)) {
    loop_.Stop();
  }
}

void Worker::BeginShutdown(std::chrono::steady_clock::time_point deadline) {
  loop_.Post([this, deadline] {
    shutting_down_ = true;
    shutdown_deadline_ = deadline;
    for (auto& conn : Snapshot()) conn->CloseWhenFlushed();
    if (connections_.empty()) loop_.Stop();
  });
}

}  // namespace tern::server
