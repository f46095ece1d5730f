// A worker is one thread running one event loop; it owns the connections
// assigned to it (reads them, flushes them, closes them), whatever protocol
// they speak, and its own router state (match cache, queue-choice RNG,
// counters).
//
// When a publisher on worker A delivers to a connection owned by worker B, A
// appends to that connection's output under the connection's own lock. At
// the end of A's turn, A writes a small batch to a plain TCP socket itself if
// nobody else is writing it (no wake-up of B for a request or a reply), and
// hands B the rest in one Post(). Only B reads, registers with epoll and
// closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "core/router.h"
#include "io/event_loop.h"

namespace tern::server {

class Connection;
class Server;
class Session;
struct Endpoint;

class Worker {
 public:
  Worker(Server& server, int index);
  ~Worker();

  void Start();
  void Join();

  // The worker running on this thread, or nullptr off worker threads.
  static Worker* Current();

  // Any thread: take ownership of an accepted socket of `endpoint`.
  void Adopt(int fd, const Endpoint& endpoint);
  // Any thread: connect to host:port without blocking and run `endpoint`'s
  // session on it once connected (routes dial their peers this way). An
  // immediate failure (bad address) comes back here; a later one reaches
  // the session as a close with CloseReason::kConnectFailed.
  base::Status Dial(const std::string& host, int port, const Endpoint& endpoint, std::chrono::milliseconds timeout);
  // Loop thread: calls fn on the session of every open connection.
  void ForEachSession(const std::function<void(Session&)>& fn);
  // Delivering thread: flush `conn` at the end of this turn (batched).
  void QueueFlush(std::shared_ptr<Connection> conn);
  // Loop thread: a connection has closed. It stays alive at least until the
  // end of this turn, so events already gathered for it find it inert.
  void Retire(std::shared_ptr<Connection> conn);

  // Any thread: every session of this worker re-checks its rights (a
  // reload changed users or permissions), on this worker's thread.
  void NotifyAuthChanged();

  // Any thread: begin shutdown; connections are flushed and closed, and the
  // loop exits once all are gone or `deadline` passes.
  void BeginShutdown(std::chrono::steady_clock::time_point deadline);
  // Any thread: lame duck. Every session hears OnClusterChanged (clients
  // get INFO with ldm) and the client connections of this moment are
  // closed, a share per tick, between `first_close` and `last_close`.
  void BeginLameDuck(std::chrono::steady_clock::time_point first_close,
                     std::chrono::steady_clock::time_point last_close);

  int index() const { return index_; }
  io::EventLoop& loop() { return loop_; }
  core::RouterThread& router_thread() { return router_thread_; }
  Server& server() { return server_; }
  size_t connection_count() const { return connections_.size(); }
  // Shared read buffer: connections read into it and keep only split leftovers.
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 256 * 1024;

  const core::RouterCounters& counters() const { return router_thread_.counters; }
  // Loop thread only: the connections this worker owns now.
  std::vector<std::shared_ptr<Connection>> Connections() const;

 private:
  void EndTurn();
  void FlushQueued();
  void Tick();
  void CloseLameDuckClients(std::chrono::steady_clock::time_point now);

  Server& server_;
  const int index_;
  io::EventLoop loop_;
  std::thread thread_;
  core::RouterThread router_thread_;
  std::unique_ptr<char[]> read_buffer_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<Connection>> to_flush_;
  std::vector<std::shared_ptr<Connection>> retired_;
  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_deadline_{};
  // Lame duck: clients still to close, and the window to spread them over.
  std::vector<std::weak_ptr<Connection>> lame_duck_clients_;
  size_t lame_duck_total_ = 0;
  std::chrono::steady_clock::time_point lame_duck_first_{}, lame_duck_last_{};
};

}  // namespace tern::server
