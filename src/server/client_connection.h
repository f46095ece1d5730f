// One NATS client connection: framing (ServerParser), protocol semantics
// (CONNECT options, PUB/SUB/UNSUB, PING/PONG, errors), and its output buffer.
//
// Threading: the owning worker's thread does everything except Deliver()
// and TryFlushFromPeer(). Deliver() (any worker, while publishing) only
// appends to `out_` under `out_mu_` and asks for a flush. Whoever holds
// `write_mu_` swaps `out_` into `writing_` and writes it: normally the
// delivering worker itself at the end of its turn (TryFlushFromPeer, so a
// message costs no cross-thread wake-up), or the owner when the peer found
// the lock taken or the socket full. Only the owner touches epoll and
// closes. A slow socket never blocks a publisher: a peer gives up on
// EAGAIN and the owner waits for EPOLLOUT.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/string_hash.h"
#include "core/sink.h"
#include "core/subscription.h"
#include "io/event_loop.h"
#include "proto/nats/connect_info.h"
#include "proto/nats/server_parser.h"

namespace tern::server {

class Worker;

enum class CloseReason {
  kClientClosed,
  kReadError,
  kWriteError,
  kProtocolError,
  kSlowConsumerPendingBytes,
  kSlowConsumerWriteDeadline,
  kStaleConnection,
  kMaxConnections,
  kServerShutdown,
};
std::string_view CloseReasonText(CloseReason reason);

// The NATS session's view of a subscription: the client's sid, echoed in MSG.
struct NatsSubscription : core::Subscription {
  std::string sid;
};

class ClientConnection final : public core::Sink,
                               public io::Pollable,
                               public proto::nats::ServerOpHandler,
                               public std::enable_shared_from_this<ClientConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  ClientConnection(Worker& worker, int fd, uint64_t id);
  ~ClientConnection() override;

  // Owner thread: register with the loop and greet the client with INFO.
  void Start();

  // core::Sink: any thread.
  bool Deliver(const core::Subscription& sub, const core::Message& msg) override;
  void OnAutoUnsubscribed(const core::Subscription& sub) override;
  uint64_t sink_id() const override { return id_; }

  // io::Pollable: owner thread.
  void OnEvents(uint32_t events) override;

  // Another worker, at the end of its turn: write pending output now if no
  // one else is writing it. False when the owner must flush instead.
  bool TryFlushFromPeer();

  // Owner thread.
  void Flush();
  void Tick(Clock::time_point now);
  void Close(CloseReason reason);
  // Shutdown: write what is pending, then close.
  void CloseWhenFlushed();
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  Worker& owner() { return worker_; }

 private:
  // proto::nats::ServerOpHandler
  void OnConnect(std::string_view json) override;
  void OnPub(const proto::nats::PubOp& op) override;
  void OnSub(const proto::nats::SubOp& op) override;
  void OnUnsub(const proto::nats::UnsubOp& op) override;
  void OnPing() override;
  void OnPong() override;
  bool ShouldContinue() override { return !closed(); }

  void ReadAvailable();
  // Appends protocol bytes for this client (INFO, PONG, +OK, -ERR) and
  // schedules a flush.
  void SendProto(std::string_view bytes);
  void SendErr(std::string_view text);
  // -ERR, flush what we can, close: for errors after which nats-server hangs up.
  void FailAndClose(std::string_view text, CloseReason reason);
  void SendNoResponders(std::string_view reply);
  void RequestFlush();
  enum class WriteOutcome { kDrained, kBlocked, kFailed };
  // Needs write_mu_.
  WriteOutcome WriteLocked();
  bool IdleOutputLocked() const;
  void SetWantWrite(bool want);
  void DropSubscription(const core::SubscriptionPtr& sub);
  size_t LiveSubscriptionCount();
  // Forgets sid table entries whose subscription ended (closed): always, or
  // only when OnAutoUnsubscribed was heard since the last sweep.
  void SweepEnded();
  void SweepIfAutoUnsubscribed();

  Worker& worker_;
  const int fd_;
  const uint64_t id_;
  std::string client_ip_;
  int client_port_ = 0;

  proto::nats::ServerParser parser_;
  proto::nats::ConnectOptions connect_;  // nats-server defaults until CONNECT arrives
  // connect_.headers, for Deliver() on other workers (connect_ is the owner's).
  std::atomic<bool> wants_headers_{false};

  // Subscriptions by sid. Owner thread only; an entry whose subscription an
  // auto-unsubscribe ended on another worker is swept by the owner after
  // that worker bumps `auto_unsubscribed_` (no cross-thread map access).
  StringMap<core::SubscriptionPtr> subs_;
  std::atomic<uint64_t> auto_unsubscribed_{0};
  uint64_t swept_auto_unsubscribed_ = 0;

  // Output. `out_` is shared with delivering threads (under out_mu_);
  // `writing_` and the write state below belong to whoever holds write_mu_.
  // Lock order: write_mu_, then out_mu_.
  std::mutex out_mu_;
  std::string out_;
  std::mutex write_mu_;
  std::string writing_;
  size_t writing_off_ = 0;
  Clock::time_point last_output_;
  Clock::time_point blocked_since_{};      // when a write first hit EAGAIN; zero when not blocked
  std::atomic<size_t> unsent_writing_{0};  // writing_.size() - writing_off_, for the pending-bytes check
  std::atomic<bool> flush_queued_{false};
  std::atomic<bool> slow_consumer_{false};
  std::atomic<bool> closed_{false};
  bool want_write_ = false;
  bool close_when_flushed_ = false;

  Clock::time_point last_activity_;
  Clock::time_point next_ping_;
  int pings_out_ = 0;
};

}  // namespace tern::server
