#include "server/worker.h"

#include <unistd.h>

#include "base/log.h"
#include "server/client_connection.h"
#include "server/server.h"

namespace tern::server {

namespace {
thread_local Worker* tls_worker = nullptr;
// Ping intervals, write deadlines and idle buffer release are checked at this
// granularity; finer costs a walk over every connection more often.
constexpr std::chrono::milliseconds kTickPeriod{250};
}  // namespace

Worker::Worker(Server& server, int index)
    : server_(server), index_(index), router_thread_(server.sublist()), read_buffer_(new char[kReadBufferSize]) {
  loop_.SetTurnEndHook([this] { FlushQueued(); });
  loop_.SetTicker(kTickPeriod, [this] { Tick(); });
}

Worker::~Worker() { Join(); }

Worker* Worker::Current() { return tls_worker; }

void Worker::Start() {
  thread_ = std::thread([this] {
    tls_worker = this;
    loop_.Run();
    // Whatever is left after the loop stops (shutdown deadline passed) is closed hard.
    std::vector<std::shared_ptr<ClientConnection>> remaining;
    for (auto& [ptr, conn] : connections_) remaining.push_back(conn);
    for (auto& conn : remaining) conn->Close(CloseReason::kServerShutdown);
    to_flush_.clear();
    tls_worker = nullptr;
  });
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Adopt(int fd) {
  loop_.Post([this, fd] {
    auto conn = std::make_shared<ClientConnection>(*this, fd, server_.NextClientId());
    connections_.emplace(conn.get(), conn);
    conn->Start();
  });
}

void Worker::QueueFlush(std::shared_ptr<ClientConnection> conn) { to_flush_.push_back(std::move(conn)); }

void Worker::Forget(ClientConnection* conn) {
  connections_.erase(conn);
}

void Worker::FlushQueued() {
  if (to_flush_.empty()) return;
  // Flushing can deliver no new messages, but posting to other workers must
  // see a stable list, so work on a swapped-out copy.
  std::vector<std::shared_ptr<ClientConnection>> batch;
  batch.swap(to_flush_);
  std::vector<std::vector<std::shared_ptr<ClientConnection>>> remote;
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
  auto now = std::chrono::steady_clock::now();
  if (index_ == 0) server_.router().Tick();
  // Lets go of results (and the closed connections they name) that a quiet
  // worker would otherwise keep until its next publish.
  router_thread_.cache.Refresh();
  std::vector<std::shared_ptr<ClientConnection>> conns;
  conns.reserve(connections_.size());
  for (auto& [ptr, conn] : connections_) conns.push_back(conn);
  for (auto& conn : conns) conn->Tick(now);
  if (shutting_down_ && (connections_.empty() || now >= shutdown_deadline_)) loop_.Stop();
}

void Worker::BeginShutdown(std::chrono::steady_clock::time_point deadline) {
  loop_.Post([this, deadline] {
    shutting_down_ = true;
    shutdown_deadline_ = deadline;
    std::vector<std::shared_ptr<ClientConnection>> conns;
    for (auto& [ptr, conn] : connections_) conns.push_back(conn);
    for (auto& conn : conns) conn->CloseWhenFlushed();
    if (connections_.empty()) loop_.Stop();
  });
}

}  // namespace tern::server
