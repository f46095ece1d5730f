// One accepted (or dialled) socket, whatever protocol it speaks: the
// transport chain (none, TLS, WebSocket, or both), the read loop, the
// output buffer with batched flushing, the pending-output bound and its
// slow-consumer policy, the write deadline, the handshake deadline, one
// timer, and close. The protocol lives in a Session (server/session.h).
//
// Threading. The owning worker's thread does everything except Write(),
// which any worker may call while delivering a publish: it appends to `out_`
// under `out_mu_` and asks for a flush. Whoever holds `write_mu_` moves
// `out_` into `wire_` and writes it. For a plain TCP connection that may be
// the delivering worker itself at the end of its turn (TryFlushFromPeer: a
// request or reply costs no cross-thread wake-up); a connection with stages
// (TLS, WebSocket) is encoded and written by its owner only, because
// OpenSSL state must stay on one thread. Only the owner touches epoll, the
// stages and the session, and closes. A slow socket never blocks a
// publisher: a peer gives up on EAGAIN and the owner waits for EPOLLOUT.
//
// Lifetime: shared_ptr, because cached match results on any worker may
// still name a subscription whose sink is this connection's session. Close()
// releases the descriptor at once; the object lives on (inert) until the
// last reference goes, and the worker keeps it at least to the end of the
// loop turn, so a handler may close another connection of its worker.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/event_loop.h"
#include "io/output_buffer.h"
#include "io/stage.h"
#include "server/endpoint.h"
#include "server/session.h"

namespace tern::core {
class Sink;
}

namespace tern::server {

class Worker;

// What a Write() past the pending bound does.
enum class OverflowPolicy : uint8_t {
  kSlowConsumer,  // refuse it and close the connection (clients, as nats-server)
  kDrop,          // refuse it and count it; the connection stays (routes)
};

class Connection final : public io::Pollable, public io::Timer, public std::enable_shared_from_this<Connection> {
 public:
  using Clock = io::Clock;

  // `fd` is connected (accepted, or an outbound connect that completed).
  Connection(Worker& worker, int fd, uint64_t id, const Endpoint& endpoint);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Owner thread: attach the session, register with the loop, start the
  // handshakes; the session opens when they are done. False with the
  // connection closed when the loop refused the descriptor.
  bool Start(std::unique_ptr<Session> session);
  // Owner thread: the same for a socket whose non-blocking connect is still
  // in progress (io::StartConnect to `host`). The transport and the session
  // start once it connects; a connect that fails, or does not finish within
  // `timeout`, closes the connection with kConnectFailed. With a TLS
  // endpoint (a client-role context) `host` is the name the server's
  // certificate is checked against.
  bool StartOutbound(std::unique_ptr<Session> session, std::string host, std::chrono::milliseconds timeout);

  // ---- for sessions ------------------------------------------------------

  // Any thread. Appends about `size` bytes by calling encode(io::OutputBuffer&)
  // under the output lock, and schedules a flush. False when the bytes would
  // pass the pending bound (nothing is appended; see OverflowPolicy) or the
  // connection is closed. Everything a session sends goes through here, so
  // the bound counts PONGs and errors as well as messages.
  template <typename Encode>
  bool Write(size_t size, Encode&& encode);
  bool Send(std::string_view bytes) {
    return Write(bytes.size(), [bytes](io::OutputBuffer& out) { out.Append(bytes); });
  }
  // Write() that the pending bound never refuses: a route's interest,
  // barriers and keepalives must not be lost to a burst of messages (their
  // volume is bounded by the interest table, not by publishers). A peer
  // that stops reading is still closed by the write deadline.
  template <typename Encode>
  bool WriteControl(Encode&& encode);

  // Owner thread.
  void Close(CloseReason reason);
  // Writes what it can of the pending output now (and the transports'
  // goodbyes), then closes: for errors after which the peer is hung up on.
  void CloseAfterFlush(CloseReason reason);
  // NATS "TLS after INFO": what is pending goes out in plain text; every
  // byte after it, both ways, goes through TLS.
  void StartTls();
  // Asks for Session::OnTimer() at `when` (or soon after). The earliest
  // request wins until it has fired.
  void WakeAt(Clock::time_point when);
  void SetPendingBound(const std::atomic<uint64_t>* max_pending, OverflowPolicy policy) {
    max_pending_ = max_pending;
    overflow_ = policy;
  }

  uint64_t id() const { return id_; }
  const std::string& ip() const { return ip_; }
  int port() const { return port_; }
  const Endpoint& endpoint() const { return endpoint_; }
  Worker& owner() { return worker_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  bool slow_consumer() const { return slow_consumer_.load(std::memory_order_relaxed); }
  // True once TLS is on (implicit, or after StartTls()).
  bool tls_active() const { return tls_stage() != nullptr; }
  // The peer's certificate subject, when TLS with client certificates is on.
  std::string peer_certificate_subject() const;
  // Its subject alternative names (email, DNS, URI).
  std::vector<std::string> peer_certificate_names() const;
  // Owner thread: tell the session that users or permissions were reloaded.
  void NotifyAuthChanged();
  // The session as a core::Sink that keeps this connection alive.
  std::shared_ptr<core::Sink> sink_ref();
  uint64_t dropped_writes() const { return dropped_writes_.load(std::memory_order_relaxed); }
  // Owner thread: a monitoring snapshot (transport part here, the rest from
  // the session); false for connections monitoring does not list.
  bool Describe(ConnInfo* info, bool with_subs);
  Session* session() { return session_.get(); }
  WallClock::time_point started() const { return started_; }
  // Any thread: bytes written by the session and not yet taken by the socket.
  size_t pending_output();

  // ---- for the worker ----------------------------------------------------

  void OnEvents(uint32_t events) override;
  void OnTimer() override;
  // Owner thread: write pending output (the end-of-turn flush).
  void Flush();
  // Another worker, at the end of its turn: write pending output now if no
  // one else is writing it. False when the owner must flush instead.
  bool TryFlushFromPeer();
  // Shutdown: write what is pending, then close.
  void CloseWhenFlushed();

 private:
  // The StageIo a stage at `level` talks through.
  class Link final : public io::StageIo {
   public:
    Link(Connection& conn, size_t level) : conn_(conn), level_(level) {}
    void Up(char* data, size_t size) override { conn_.PassUp(level_ + 1, data, size); }
    void Down(std::string_view data) override { conn_.SendBelow(level_, data); }

   private:
    Connection& conn_;
    size_t level_;
  };
  enum class WriteOutcome { kDrained, kBlocked, kFailed };

  bool Register(uint32_t events);
  void BeginTransport();
  void FinishOutbound();
  std::unique_ptr<io::Stage> NewTlsStage() const;
  void ReadAvailable();
  // Bytes for the layer at `level` (depth() is the session).
  void PassUp(size_t level, char* data, size_t size);
  // Bytes a stage at `level` sends on its own, encoded by the ones below it.
  void SendBelow(size_t level, std::string_view data);
  void EncodeFrom(size_t level, std::string_view data, std::string& wire);
  void AddStage(std::unique_ptr<io::Stage> stage);
  bool stages_open() const;
  void MaybeOpenSession();
  void OnFirstBytesAuto(const char* data, size_t size);
  void OpenSession();
  void RequestFlush();
  // Needs write_mu_.
  WriteOutcome WriteLocked();
  bool IdleOutputLocked() const;
  void EncodeStagedLocked();
  void SetWantWrite(bool want);
  void Rearm();
  void ReleaseIdleMemory(Clock::time_point now);
  bool allows_peer_flush() const { return depth() == 0; }
  // Stages in the chain; 0 for plain TCP.
  size_t depth() const { return chain_ ? chain_->stages.size() : 0; }
  io::Stage* tls_stage() const { return chain_ ? chain_->tls : nullptr; }
  void EnsureChain();

  Worker& worker_;
  const int fd_;
  const uint64_t id_;
  const Endpoint& endpoint_;
  std::string ip_;
  int port_ = 0;
  const WallClock::time_point started_;
  std::unique_ptr<Session> session_;

  // The transport chain, allocated only for connections that have one (a
  // plain TCP client carries a null pointer); owner thread only.
  struct Chain {
    std::vector<std::unique_ptr<io::Stage>> stages;  // [0] nearest the socket
    std::vector<std::unique_ptr<Link>> links;
    io::Stage* tls = nullptr;
    std::string dialled_host;  // outbound: the name the TLS server certificate must carry
  };
  std::unique_ptr<Chain> chain_;
  bool session_open_ = false;
  bool awaiting_first_bytes_ = false;  // TlsMode::kAuto, before the first byte or the fallback
  bool connecting_ = false;            // outbound, before the connect completed

  // Output. `out_` is shared with delivering threads (under out_mu_);
  // `wire_` and the write state below belong to whoever holds write_mu_.
  // Lock order: write_mu_, then out_mu_.
  std::mutex out_mu_;
  io::OutputBuffer out_;
  std::mutex write_mu_;
  io::OutputBuffer wire_;
  Clock::time_point last_output_{};
  Clock::time_point blocked_since_{};    // when a write first hit EAGAIN; zero when not blocked
  std::atomic<size_t> unsent_wire_{0};   // wire_.size(), for the pending check
  const std::atomic<uint64_t>* max_pending_;
  OverflowPolicy overflow_ = OverflowPolicy::kSlowConsumer;
  std::atomic<bool> flush_queued_{false};
  std::atomic<bool> slow_consumer_{false};
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> dropped_writes_{0};
  bool want_write_ = false;
  bool close_when_flushed_ = false;

  // Deadlines the single timer serves; zero when not set.
  Clock::time_point handshake_deadline_{};
  Clock::time_point session_wake_{};
  Clock::time_point idle_check_{};
  Clock::time_point last_input_{};
};

template <typename Encode>
bool Connection::Write(size_t size, Encode&& encode) {
  if (closed() || slow_consumer_.load(std::memory_order_relaxed)) return false;
  bool taken = true;
  {
    std::lock_guard lock(out_mu_);
    size_t pending = out_.size() + unsent_wire_.load(std::memory_order_relaxed);
    if (pending + size > max_pending_->load(std::memory_order_relaxed)) {
      taken = false;
      if (overflow_ == OverflowPolicy::kSlowConsumer) {
        slow_consumer_.store(true, std::memory_order_release);
      } else {
        dropped_writes_.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      encode(out_);
    }
  }
  // Also how the owner learns of a slow consumer.
  if (taken || overflow_ == OverflowPolicy::kSlowConsumer) RequestFlush();
  return taken;
}

template <typename Encode>
bool Connection::WriteControl(Encode&& encode) {
  if (closed()) return false;
  {
    std::lock_guard lock(out_mu_);
    encode(out_);
  }
  RequestFlush();
  return true;
}

}  // namespace tern::server
