#include "server/client_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "io/socket.h"
#include "proto/nats/encoder.h"
#include "proto/subject.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {

namespace {

// The -ERR texts a client can provoke outside framing (framing errors come
// from proto::nats::ErrorText). Spelled exactly as nats-server spells them,
// because client libraries match on them.
constexpr std::string_view kErrInvalidSubject = "Invalid Subject";
constexpr std::string_view kErrInvalidPublishSubject = "Invalid Publish Subject";
constexpr std::string_view kErrMaxSubscriptions = "maximum subscriptions exceeded";
constexpr std::string_view kErrMaxConnections = "maximum connections exceeded";
constexpr std::string_view kErrStaleConnection = "Stale Connection";
constexpr std::string_view kErrNoRespondersNeedsHeaders = "no responders requires headers support";
constexpr std::string_view kErrBadProtocol = "invalid client protocol";
constexpr std::string_view kErrAuthorization = "Authorization Violation";

// A status message carries "NATS/1.0 503\r\n\r\n" (16 bytes) as its header block.
constexpr std::string_view kNoRespondersHeader = "NATS/1.0 503\r\n\r\n";

// Output buffers above this are given back after they drain, so one burst
// does not pin memory for the connection's lifetime.
constexpr size_t kKeepBufferCapacity = 64 * 1024;

constexpr int kMaxReadsPerEvent = 4;

constexpr size_t kPeerFlushMaxBytes = 16 * 1024;

}  // namespace

std::string_view CloseReasonText(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientClosed:
      return "Client Closed";
    case CloseReason::kReadError:
      return "Read Error";
    case CloseReason::kWriteError:
      return "Write Error";
    case CloseReason::kProtocolError:
      return "Protocol Violation";
    case CloseReason::kSlowConsumerPendingBytes:
      return "Slow Consumer (Pending Bytes)";
    case CloseReason::kSlowConsumerWriteDeadline:
      return "Slow Consumer (Write Deadline)";
    case CloseReason::kStaleConnection:
      return "Stale Connection";
    case CloseReason::kMaxConnections:
      return "Maximum Connections Exceeded";
    case CloseReason::kServerShutdown:
      return "Server Shutdown";
  }
  return "Unknown";
}

ClientConnection::ClientConnection(Worker& worker, int fd, uint64_t id) : worker_(worker), fd_(fd), id_(id) {
  const LiveLimits& limits = worker_.server().limits();
  parser_ = proto::nats::ServerParser(proto::nats::ParseLimits{limits.max_control_line.load(std::memory_order_relaxed),
                                                               limits.max_payload.load(std::memory_order_relaxed)});
  // Until CONNECT says otherwise a client has nats-server's defaults, which
  // include headers off.
  parser_.set_headers_allowed(false);
  client_ip_ = io::PeerAddress(fd_, &client_port_);
}

ClientConnection::~ClientConnection() {
  if (!closed()) close(fd_);
}

void ClientConnection::Start() {
  Server& server = worker_.server();
  auto now = Clock::now();
  last_activity_ = now;
  last_output_ = now;
  next_ping_ = now + std::chrono::milliseconds(server.limits().ping_interval_ms.load(std::memory_order_relaxed));
  io::SetNoDelay(fd_);

  proto::nats::ServerInfo info = server.BaseInfo();
  info.client_id = id_;
  info.client_ip = client_ip_;
  SendProto(proto::nats::EncodeInfo(info));

  int64_t current = server.counters().current_connections.fetch_add(1, std::memory_order_relaxed) + 1;
  server.counters().total_connections.fetch_add(1, std::memory_order_relaxed);
  if (current > server.limits().max_connections.load(std::memory_order_relaxed)) {
    FailAndClose(kErrMaxConnections, CloseReason::kMaxConnections);
    return;
  }
  if (!worker_.loop().Add(fd_, EPOLLIN | EPOLLRDHUP, this)) {
    Close(CloseReason::kReadError);
    return;
  }
  log::Debug("{}:{} - cid:{} - client connection created", client_ip_, client_port_, id_);
}

// ---- input -------------------------------------------------------------

void ClientConnection::OnEvents(uint32_t events) {
  auto self = shared_from_this();  // Close() may drop the worker's reference
  if (events & EPOLLIN) ReadAvailable();
  if (closed()) return;
  SweepIfAutoUnsubscribed();
  if (events & EPOLLOUT) Flush();
  if (closed()) return;
  if (events & (EPOLLERR | EPOLLHUP)) Close(CloseReason::kClientClosed);
}

void ClientConnection::ReadAvailable() {
  char* buffer = worker_.read_buffer();
  for (int i = 0; i < kMaxReadsPerEvent && !closed(); ++i) {
    ssize_t n = read(fd_, buffer, Worker::kReadBufferSize);
    if (n > 0) {
      last_activity_ = Clock::now();
      proto::nats::FeedResult result = parser_.Feed(buffer, static_cast<size_t>(n), *this);
      if (result.error != proto::nats::ParseError::kNone) {
        worker_.server().counters().protocol_errors.fetch_add(1, std::memory_order_relaxed);
        std::string_view text = proto::nats::ErrorText(result.error);
        log::Debug("{}:{} - cid:{} - protocol error: {}", client_ip_, client_port_, id_,
                   proto::nats::ErrorName(result.error));
        // Some violations nats-server answers with -ERR, others with a bare close.
        if (text.empty()) {
          Close(CloseReason::kProtocolError);
        } else {
          FailAndClose(text, CloseReason::kProtocolError);
        }
        return;
      }
      if (static_cast<size_t>(n) < Worker::kReadBufferSize) return;  // drained
      continue;
    }
    if (n == 0) {
      Close(CloseReason::kClientClosed);
      return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR) continue;
    Close(CloseReason::kReadError);
    return;
  }
}

void ClientConnection::OnConnect(std::string_view json) {
  std::string error;
  proto::nats::ConnectOptions options;
  if (!proto::nats::ParseConnect(json, &options, &error)) {
    // nats-server hangs up without an -ERR on a CONNECT it cannot decode.
    log::Debug("{}:{} - cid:{} - bad CONNECT: {}", client_ip_, client_port_, id_, error);
    Close(CloseReason::kProtocolError);
    return;
  }
  if (options.protocol < 0 || options.protocol > 1) {
    FailAndClose(kErrBadProtocol, CloseReason::kProtocolError);
    return;
  }
  if (!options.account.empty() || options.new_account) {
    // Dynamic accounts are gone from nats-server too; it refuses them this way.
    FailAndClose(kErrAuthorization, CloseReason::kProtocolError);
    return;
  }
  if (options.no_responders && !options.headers) {
    FailAndClose(kErrNoRespondersNeedsHeaders, CloseReason::kProtocolError);
    return;
  }
  connect_ = std::move(options);
  wants_headers_.store(connect_.headers, std::memory_order_relaxed);
  parser_.set_headers_allowed(connect_.headers);
  if (connect_.verbose) SendProto(proto::nats::kOk);
}

void ClientConnection::OnPub(const proto::nats::PubOp& op) {
  // nats-server reports a bad subject in pedantic mode but still delivers
  // the message; so do we, so that clients see the same thing from both.
  if (connect_.pedantic && !proto::IsValidLiteralSubject(op.subject)) SendErr(kErrInvalidPublishSubject);
  // +OK before the publish: the publisher's own copy of the message (echo)
  // must follow the acknowledgement, as from nats-server.
  if (connect_.verbose) SendProto(proto::nats::kOk);
  core::Message msg{op.subject, op.reply, op.headers, op.payload};
  core::PublishResult result =
      worker_.server().router().Publish(worker_.router_thread(), msg, core::Origin::Client(this, connect_.echo));
  if (result.delivered == 0 && !result.lingered && !op.reply.empty() && connect_.no_responders && connect_.headers) {
    SendNoResponders(op.reply);
  }
}

void ClientConnection::OnSub(const proto::nats::SubOp& op) {
  if (!proto::IsValidSubject(op.subject) || (!op.queue.empty() && !proto::IsValidQueueName(op.queue))) {
    SendErr(kErrInvalidSubject);
    return;
  }
  int max_subs = worker_.server().limits().max_subscriptions.load(std::memory_order_relaxed);
  if (max_subs > 0 && LiveSubscriptionCount() >= static_cast<size_t>(max_subs)) {
    SendErr(kErrMaxSubscriptions);
    return;
  }
  auto [it, inserted] = subs_.try_emplace(std::string(op.sid));
  if (!inserted && !it->second->closed.load(std::memory_order_acquire)) {
    // nats-server keeps the first subscription for a reused sid.
    if (connect_.verbose) SendProto(proto::nats::kOk);
    return;
  }
  if (inserted) worker_.server().counters().session_subscriptions.fetch_add(1, std::memory_order_relaxed);
  auto sub = std::make_shared<NatsSubscription>();
  sub->sink = shared_from_this();
  sub->subject.assign(op.subject);
  sub->queue.assign(op.queue);
  sub->sid.assign(op.sid);
  it->second = sub;
  if (connect_.verbose) SendProto(proto::nats::kOk);
  worker_.server().router().Subscribe(worker_.router_thread(), sub);
}

void ClientConnection::OnUnsub(const proto::nats::UnsubOp& op) {
  auto it = subs_.find(op.sid);
  if (it != subs_.end()) {
    bool ended = true;
    if (op.max_msgs > 0) {
      ended = worker_.server().router().LimitDeliveries(*it->second, static_cast<uint64_t>(op.max_msgs));
    } else {
      DropSubscription(it->second);
    }
    if (ended) {
      subs_.erase(it);
      worker_.server().counters().session_subscriptions.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  if (connect_.verbose) SendProto(proto::nats::kOk);
}

void ClientConnection::OnPing() { SendProto(proto::nats::kPong); }

void ClientConnection::OnPong() { pings_out_ = 0; }

void ClientConnection::DropSubscription(const core::SubscriptionPtr& sub) {
  worker_.server().router().Unsubscribe(*sub);
}

size_t ClientConnection::LiveSubscriptionCount() {
  SweepEnded();
  return subs_.size();
}

void ClientConnection::OnAutoUnsubscribed(const core::Subscription&) {
  auto_unsubscribed_.fetch_add(1, std::memory_order_release);
}

void ClientConnection::SweepIfAutoUnsubscribed() {
  const uint64_t heard = auto_unsubscribed_.load(std::memory_order_acquire);
  if (heard == swept_auto_unsubscribed_) return;
  swept_auto_unsubscribed_ = heard;
  SweepEnded();
}

void ClientConnection::SweepEnded() {
  size_t n =
      std::erase_if(subs_, [](const auto& entry) { return entry.second->closed.load(std::memory_order_acquire); });
  worker_.server().counters().session_subscriptions.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
}

void ClientConnection::SendNoResponders(std::string_view reply) {
  // The 503 goes to this client's own subscription that matches the reply
  // subject (its request inbox); without one there is nobody to tell.
  const core::MatchResult& match = worker_.router_thread().cache.Lookup(reply);
  for (const core::SubscriptionPtr& sub : match.plain) {
    if (sub->sink.get() != this) continue;
    std::lock_guard lock(out_mu_);
    proto::nats::AppendHmsg(out_, reply, static_cast<const NatsSubscription&>(*sub).sid, {}, kNoRespondersHeader, {});
    break;
  }
  RequestFlush();
}

// ---- output ------------------------------------------------------------

bool ClientConnection::Deliver(const core::Subscription& core_sub, const core::Message& msg) {
  // Only subscriptions this connection made reach it.
  const auto& sub = static_cast<const NatsSubscription&>(core_sub);
  if (closed() || slow_consumer_.load(std::memory_order_relaxed)) return false;
  const uint64_t max_pending = worker_.server().limits().max_pending.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(out_mu_);
    size_t pending = out_.size() + unsent_writing_.load(std::memory_order_relaxed);
    if (pending + msg.payload.size() + msg.headers.size() > max_pending) {
      slow_consumer_.store(true, std::memory_order_release);
    } else if (!msg.headers.empty() && wants_headers_.load(std::memory_order_relaxed)) {
      proto::nats::AppendHmsg(out_, msg.subject, sub.sid, msg.reply, msg.headers, msg.payload);
    } else {
      // A client that did not ask for headers gets the payload alone, as from nats-server.
      proto::nats::AppendMsg(out_, msg.subject, sub.sid, msg.reply, msg.payload);
    }
  }
  RequestFlush();  // also how the owner learns of a slow consumer
  return !slow_consumer_.load(std::memory_order_relaxed);
}

void ClientConnection::SendProto(std::string_view bytes) {
  {
    std::lock_guard lock(out_mu_);
    out_.append(bytes);
  }
  RequestFlush();
}

void ClientConnection::SendErr(std::string_view text) {
  {
    std::lock_guard lock(out_mu_);
    proto::nats::AppendErr(out_, text);
  }
  RequestFlush();
}

void ClientConnection::FailAndClose(std::string_view text, CloseReason reason) {
  log::Debug("{}:{} - cid:{} - {}", client_ip_, client_port_, id_, text);
  SendErr(text);
  Flush();
  Close(reason);
}

void ClientConnection::RequestFlush() {
  // Checked with a plain load first: after the first delivery of a turn the
  // flag is already set and the publish path pays no atomic exchange.
  if (flush_queued_.load(std::memory_order_relaxed) || flush_queued_.exchange(true, std::memory_order_acq_rel)) {
    return;
  }
  Worker* current = Worker::Current();
  if (current != nullptr) {
    current->QueueFlush(shared_from_this());
  } else {
    worker_.loop().Post([self = shared_from_this()] { self->Flush(); });
  }
}

bool ClientConnection::IdleOutputLocked() const {
  return writing_off_ >= writing_.size() && unsent_writing_.load(std::memory_order_relaxed) == 0;
}

ClientConnection::WriteOutcome ClientConnection::WriteLocked() {
  for (;;) {
    if (writing_off_ >= writing_.size()) {
      writing_.clear();
      writing_off_ = 0;
      std::lock_guard lock(out_mu_);
      if (out_.empty()) break;
      writing_.swap(out_);
    }
    unsent_writing_.store(writing_.size() - writing_off_, std::memory_order_relaxed);
    ssize_t n = send(fd_, writing_.data() + writing_off_, writing_.size() - writing_off_, MSG_NOSIGNAL);
    if (n > 0) {
      writing_off_ += static_cast<size_t>(n);
      last_output_ = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (blocked_since_ == Clock::time_point{}) blocked_since_ = Clock::now();
      return WriteOutcome::kBlocked;
    }
    return WriteOutcome::kFailed;
  }
  unsent_writing_.store(0, std::memory_order_relaxed);
  blocked_since_ = Clock::time_point{};
  if (writing_.capacity() > kKeepBufferCapacity) std::string().swap(writing_);
  return WriteOutcome::kDrained;
}

void ClientConnection::Flush() {
  flush_queued_.store(false, std::memory_order_release);
  if (closed()) return;
  if (slow_consumer_.load(std::memory_order_acquire)) {
    auto& counters = worker_.server().counters();
    counters.slow_consumers.fetch_add(1, std::memory_order_relaxed);
    log::Info("{}:{} - cid:{} - Slow Consumer Detected: MaxPending of {} Exceeded", client_ip_, client_port_, id_,
              worker_.server().limits().max_pending.load(std::memory_order_relaxed));
    Close(CloseReason::kSlowConsumerPendingBytes);
    return;
  }
  WriteOutcome outcome;
  {
    std::lock_guard lock(write_mu_);
    outcome = WriteLocked();
  }
  if (outcome == WriteOutcome::kFailed) {
    Close(CloseReason::kWriteError);
    return;
  }
  SetWantWrite(outcome == WriteOutcome::kBlocked);
  if (outcome == WriteOutcome::kDrained && close_when_flushed_) Close(CloseReason::kServerShutdown);
}

bool ClientConnection::TryFlushFromPeer() {
  if (closed() || slow_consumer_.load(std::memory_order_acquire)) return false;
  std::unique_lock lock(write_mu_, std::try_to_lock);
  if (!lock.owns_lock() || closed() || !IdleOutputLocked()) return false;
  {
    // A big batch is the owner's to write: under load that spreads the
    // syscalls over every core instead of piling them on the publisher's.
    // Writing here is for the small trickle (requests, replies) where a
    // hand-over would cost a wake-up more than the write itself.
    std::lock_guard out_lock(out_mu_);
    if (out_.size() > kPeerFlushMaxBytes) return false;
  }
  flush_queued_.store(false, std::memory_order_release);
  // Anything but a full drain (a blocked socket needs EPOLLOUT, a failed one
  // a close) is for the owner, which the caller then asks to flush.
  return WriteLocked() == WriteOutcome::kDrained;
}

void ClientConnection::SetWantWrite(bool want) {
  if (want == want_write_ || closed()) return;
  want_write_ = want;
  worker_.loop().Modify(fd_, EPOLLIN | EPOLLRDHUP | (want ? uint32_t{EPOLLOUT} : 0u), this);
}

void ClientConnection::Tick(Clock::time_point now) {
  if (closed()) return;
  auto self = shared_from_this();
  SweepIfAutoUnsubscribed();
  const LiveLimits& limits = worker_.server().limits();
  bool write_stuck;
  {
    std::lock_guard lock(write_mu_);
    write_stuck =
        blocked_since_ != Clock::time_point{} &&
        now - blocked_since_ > std::chrono::milliseconds(limits.write_deadline_ms.load(std::memory_order_relaxed));
  }
  if (write_stuck) {
    worker_.server().counters().slow_consumers.fetch_add(1, std::memory_order_relaxed);
    log::Info("{}:{} - cid:{} - Slow Consumer Detected: WriteDeadline exceeded", client_ip_, client_port_, id_);
    Close(CloseReason::kSlowConsumerWriteDeadline);
    return;
  }
  if (now >= next_ping_) {
    auto interval = std::chrono::milliseconds(limits.ping_interval_ms.load(std::memory_order_relaxed));
    next_ping_ = now + interval;
    if (pings_out_ + 1 > limits.max_pings_out.load(std::memory_order_relaxed)) {
      worker_.server().counters().stale_connections.fetch_add(1, std::memory_order_relaxed);
      FailAndClose(kErrStaleConnection, CloseReason::kStaleConnection);
      return;
    }
    ++pings_out_;
    SendProto(proto::nats::kPing);
  }
  // An idle connection gives back its buffers: 10k quiet clients should
  // cost little more than their sockets.
  {
    std::lock_guard write_lock(write_mu_);
    if (now - last_output_ > std::chrono::seconds(1) && IdleOutputLocked()) {
      std::lock_guard lock(out_mu_);
      if (out_.empty() && out_.capacity() > 0) std::string().swap(out_);
      if (writing_.capacity() > 0) std::string().swap(writing_);
      writing_off_ = 0;
    }
  }
  if (now - last_activity_ > std::chrono::seconds(1)) parser_.ShrinkIfIdle();
}

void ClientConnection::CloseWhenFlushed() {
  close_when_flushed_ = true;
  Flush();
}

void ClientConnection::Close(CloseReason reason) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  auto self = shared_from_this();
  worker_.loop().Remove(fd_);
  {
    // A peer worker may be writing this socket right now. Closing under its
    // lock, after `closed_` is set, means no write can land on the
    // descriptor number once the kernel hands it to a new connection.
    std::lock_guard lock(write_mu_);
    ::close(fd_);
  }
  for (auto& [sid, sub] : subs_) DropSubscription(sub);
  worker_.server().counters().session_subscriptions.fetch_sub(static_cast<int64_t>(subs_.size()),
                                                              std::memory_order_relaxed);
  subs_.clear();
  worker_.server().counters().current_connections.fetch_sub(1, std::memory_order_relaxed);
  log::Debug("{}:{} - cid:{} - client connection closed: {}", client_ip_, client_port_, id_, CloseReasonText(reason));
  worker_.Forget(this);
}

}  // namespace tern::server
