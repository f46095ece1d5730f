#include "server/connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "core/sink.h"
#include "io/socket.h"
#include "server/server.h"
#include "server/worker.h"
#include "server/ws_stage.h"

namespace tern::server {

namespace {

// Output buffers above this are given back after they drain, so one burst
// does not pin memory for the connection's lifetime.
constexpr size_t kKeepBufferCapacity = 64 * 1024;
// A connection quiet for this long gives back its buffers: 10k idle clients
// should cost little more than their sockets.
constexpr std::chrono::seconds kIdleRelease{1};
constexpr int kMaxReadsPerEvent = 4;
// A big batch is the owner's to write: under load that spreads the syscalls
// over every core instead of piling them on the publisher's. A peer writes
// only the small trickle (requests, replies) where a hand-over would cost a
// wake-up more than the write itself.
constexpr size_t kPeerFlushMaxBytes = 16 * 1024;
constexpr int kMaxIov = 64;

Connection::Clock::time_point Earliest(Connection::Clock::time_point a, Connection::Clock::time_point b) {
  if (a == Connection::Clock::time_point{}) return b;
  if (b == Connection::Clock::time_point{}) return a;
  return std::min(a, b);
}

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
    case CloseReason::kMaxPayloadExceeded:
      return "Maximum Payload Exceeded";
    case CloseReason::kMaxControlLineExceeded:
      return "Maximum Control Line Exceeded";
    case CloseReason::kSlowConsumerPendingBytes:
      return "Slow Consumer (Pending Bytes)";
    case CloseReason::kSlowConsumerWriteDeadline:
      return "Slow Consumer (Write Deadline)";
    case CloseReason::kStaleConnection:
      return "Stale Connection";
    case CloseReason::kMaxConnections:
      return "Maximum Connections Exceeded";
    case CloseReason::kAuthenticationTimeout:
      return "Authentication Timeout";
    case CloseReason::kAuthenticationViolation:
      return "Authentication Failure";
    case CloseReason::kAuthenticationExpired:
      return "Authentication Expired";
    case CloseReason::kConnectionRateExceeded:
      return "Connection Rate Exceeded";
    case CloseReason::kTlsHandshakeError:
      return "TLS Handshake Failure";
    case CloseReason::kWebsocketHandshakeError:
      return "WebSocket Handshake Failure";
    case CloseReason::kConnectFailed:
      return "Connect Failed";
    case CloseReason::kServerShutdown:
      return "Server Shutdown";
    case CloseReason::kKicked:
      return "Kicked";
    case CloseReason::kDuplicateClientId:
      return "Duplicate Client ID";
  }
  return "Unknown";
}

io::CloseKind CloseKindOf(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientClosed:
    case CloseReason::kConnectFailed:
      return io::CloseKind::kNormal;
    case CloseReason::kServerShutdown:
    case CloseReason::kKicked:
      return io::CloseKind::kGoingAway;
    case CloseReason::kProtocolError:
    case CloseReason::kWebsocketHandshakeError:
      return io::CloseKind::kProtocolError;
    case CloseReason::kMaxPayloadExceeded:
      return io::CloseKind::kTooBig;
    case CloseReason::kMaxControlLineExceeded:
    case CloseReason::kSlowConsumerPendingBytes:
    case CloseReason::kSlowConsumerWriteDeadline:
    case CloseReason::kMaxConnections:
    case CloseReason::kAuthenticationTimeout:
    case CloseReason::kAuthenticationViolation:
    case CloseReason::kAuthenticationExpired:
    case CloseReason::kConnectionRateExceeded:
    case CloseReason::kDuplicateClientId:
      return io::CloseKind::kPolicy;
    case CloseReason::kReadError:
    case CloseReason::kWriteError:
    case CloseReason::kStaleConnection:
    case CloseReason::kTlsHandshakeError:
      return io::CloseKind::kInternal;
  }
  return io::CloseKind::kInternal;
}

Connection::Connection(Worker& worker, int fd, uint64_t id, const Endpoint& endpoint)
    : worker_(worker),
      fd_(fd),
      id_(id),
      endpoint_(endpoint),
      started_(WallClock::now()),
      max_pending_(&worker.server().limits().max_pending) {
  ip_ = io::PeerAddress(fd_, &port_);
  endpoint_.stats->current.fetch_add(1, std::memory_order_relaxed);
  endpoint_.stats->total.fetch_add(1, std::memory_order_relaxed);
}

Connection::~Connection() {
  if (!closed()) {
    ::close(fd_);
    endpoint_.stats->current.fetch_sub(1, std::memory_order_relaxed);
  }
}

bool Connection::Register(uint32_t events) {
  if (base::Status added = worker_.loop().Add(fd_, events, this); !added.ok()) {
    log::Error("{}:{} - cid:{} - cannot register connection: {}", ip_, port_, id_, added.message());
    Close(CloseReason::kReadError);
    return false;
  }
  return true;
}

bool Connection::Start(std::unique_ptr<Session> session) {
  session_ = std::move(session);
  io::SetNoDelay(fd_);
  if (!Register(EPOLLIN | EPOLLRDHUP)) return false;
  BeginTransport();
  return !closed();
}

bool Connection::StartOutbound(std::unique_ptr<Session> session, std::string host, std::chrono::milliseconds timeout) {
  session_ = std::move(session);
  if (endpoint_.tls != nullptr) {
    EnsureChain();
    chain_->dialled_host = host;
  }
  connecting_ = true;
  if (!Register(EPOLLOUT | EPOLLRDHUP)) return false;
  handshake_deadline_ = Clock::now() + timeout;
  Rearm();
  return true;
}

void Connection::FinishOutbound() {
  connecting_ = false;
  handshake_deadline_ = {};
  if (base::Status connected = io::FinishConnect(fd_); !connected.ok()) {
    log::Debug("cid:{} - {}", id_, connected.message());
    Close(CloseReason::kConnectFailed);
    return;
  }
  ip_ = io::PeerAddress(fd_, &port_);
  io::SetNoDelay(fd_);
  if (base::Status s = worker_.loop().Modify(fd_, EPOLLIN | EPOLLRDHUP, this); !s.ok()) {
    log::Error("{}:{} - cid:{} - {}", ip_, port_, id_, s.message());
    Close(CloseReason::kConnectFailed);
    return;
  }
  BeginTransport();
}

std::unique_ptr<io::Stage> Connection::NewTlsStage() const {
  return endpoint_.tls->NewStage(chain_ ? std::string_view(chain_->dialled_host) : std::string_view());
}

void Connection::EnsureChain() {
  if (!chain_) chain_ = std::make_unique<Chain>();
}

void Connection::BeginTransport() {
  auto now = Clock::now();
  last_output_ = now;
  last_input_ = now;
  switch (endpoint_.tls_mode) {
    case TlsMode::kImplicit:
      AddStage(NewTlsStage());
      break;
    case TlsMode::kAuto:
      // Wait a moment for a TLS-first client's ClientHello; a client that
      // expects INFO first stays silent, and gets it when the wait is over.
      awaiting_first_bytes_ = true;
      handshake_deadline_ = now + endpoint_.tls_fallback;
      break;
    case TlsMode::kNone:
    case TlsMode::kAfterGreeting:
      break;
  }
  if (endpoint_.websocket) AddStage(NewWebsocketStage(endpoint_.websocket_policy, *endpoint_.websocket));
  if (depth() > 0) handshake_deadline_ = now + endpoint_.handshake_timeout();
  if (!closed() && !awaiting_first_bytes_) MaybeOpenSession();
  Rearm();
}

void Connection::AddStage(std::unique_ptr<io::Stage> stage) {
  // TLS always sits nearest the socket, below WebSocket.
  const bool tls = stage->name() == "tls";
  EnsureChain();
  auto& stages = chain_->stages;
  const size_t level = tls ? 0 : stages.size();
  io::Stage* added = stage.get();
  if (tls) chain_->tls = added;
  stages.insert(stages.begin() + static_cast<std::ptrdiff_t>(level), std::move(stage));
  chain_->links.clear();
  for (size_t i = 0; i < stages.size(); ++i) chain_->links.push_back(std::make_unique<Link>(*this, i));
  std::string first;
  if (base::Status s = added->Begin(first); !s.ok()) {
    log::Error("{}:{} - cid:{} - {}", ip_, port_, id_, s.message());
    CloseAfterFlush(CloseReason::kTlsHandshakeError);
    return;
  }
  if (!first.empty()) SendBelow(level, first);
}

bool Connection::stages_open() const {
  return !chain_ || std::all_of(chain_->stages.begin(), chain_->stages.end(), [](const auto& s) { return s->open(); });
}

void Connection::MaybeOpenSession() {
  if (session_open_ || closed() || !stages_open()) return;
  handshake_deadline_ = {};
  OpenSession();
}

void Connection::OpenSession() {
  session_open_ = true;
  awaiting_first_bytes_ = false;
  session_->OnOpen();
  // The protocol greets in plain text and then upgrades (NATS "TLS after INFO").
  if (endpoint_.tls_mode == TlsMode::kAfterGreeting || endpoint_.tls_mode == TlsMode::kAuto) StartTls();
  // Output the session queued while stages were still handshaking.
  if (!closed()) RequestFlush();
}

void Connection::StartTls() {
  if (tls_stage() != nullptr || endpoint_.tls == nullptr || closed()) return;
  {
    // What is pending was written for the plain socket: it goes out as is.
    std::lock_guard write_lock(write_mu_);
    std::lock_guard lock(out_mu_);
    out_.ForEachPiece([this](std::string_view piece) { wire_.Append(piece); });
    out_.Clear();
    unsent_wire_.store(wire_.size(), std::memory_order_relaxed);
  }
  AddStage(NewTlsStage());
  handshake_deadline_ = Clock::now() + endpoint_.handshake_timeout();
  Flush();
  Rearm();
}

std::shared_ptr<core::Sink> Connection::sink_ref() {
  core::Sink* sink = session_ ? session_->sink() : nullptr;
  if (sink == nullptr) return nullptr;
  return std::shared_ptr<core::Sink>(shared_from_this(), sink);
}

bool Connection::Describe(ConnInfo* info, bool with_subs) {
  if (session_ == nullptr || !session_->monitored()) return false;
  info->cid = id_;
  info->listener = endpoint_.name;
  info->type = endpoint_.websocket ? "websocket" : "nats";
  info->ip = ip_;
  info->port = port_;
  info->start = started_;
  // Steady times become wall-clock ones relative to now.
  const Clock::time_point now = Clock::now();
  const WallClock::time_point wall_now = WallClock::now();
  Clock::time_point last_out;
  {
    std::lock_guard lock(write_mu_);
    last_out = last_output_;
  }
  Clock::time_point last = std::max(last_input_, last_out);
  info->last_activity =
      last == Clock::time_point{} ? started_
                                  : wall_now - std::chrono::duration_cast<WallClock::duration>(now - last);
  if (info->last_activity < started_) info->last_activity = started_;
  {
    std::lock_guard lock(out_mu_);
    info->pending_bytes = out_.size() + unsent_wire_.load(std::memory_order_relaxed);
  }
  if (io::Stage* tls = tls_stage()) {
    io::TlsSessionInfo tls_info = io::SessionInfo(*tls);
    info->tls_version = std::move(tls_info.version);
    info->tls_cipher = std::move(tls_info.cipher);
  }
  session_->Describe(info, with_subs);
  return true;
}

std::string Connection::peer_certificate_subject() const {
  io::Stage* tls = tls_stage();
  return tls == nullptr ? std::string() : io::PeerCertificateSubject(*tls);
}

std::vector<std::string> Connection::peer_certificate_names() const {
  io::Stage* tls = tls_stage();
  return tls == nullptr ? std::vector<std::string>() : io::PeerCertificateNames(*tls);
}

void Connection::NotifyAuthChanged() {
  if (!closed() && session_open_ && session_) session_->OnAuthChanged();
}

// ---- input -------------------------------------------------------------

void Connection::OnEvents(uint32_t events) {
  if (closed()) return;  // closed earlier in this turn; the event was already queued
  auto self = shared_from_this();  // Close() drops the worker's reference
  if (connecting_) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) FinishOutbound();
    return;
  }
  if (events & EPOLLIN) ReadAvailable();
  if (closed()) return;
  if (events & EPOLLOUT) Flush();
  if (closed()) return;
  if (events & (EPOLLERR | EPOLLHUP)) Close(CloseReason::kClientClosed);
}

void Connection::ReadAvailable() {
  char* buffer = worker_.read_buffer();
  for (int i = 0; i < kMaxReadsPerEvent && !closed(); ++i) {
    ssize_t n = read(fd_, buffer, Worker::kReadBufferSize);
    if (n > 0) {
      last_input_ = Clock::now();
      if (awaiting_first_bytes_) {
        OnFirstBytesAuto(buffer, static_cast<size_t>(n));
        if (closed()) return;
      }
      PassUp(0, buffer, static_cast<size_t>(n));
      if (!closed() && idle_check_ == Clock::time_point{}) {
        idle_check_ = last_input_ + kIdleRelease;
        Rearm();
      }
      if (closed()) return;
      for (size_t level = 0; level < depth(); ++level) {
        if (chain_->stages[level]->peer_closed()) {
          CloseAfterFlush(CloseReason::kClientClosed);
          return;
        }
      }
      MaybeOpenSession();
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

void Connection::OnFirstBytesAuto(const char* data, size_t size) {
  awaiting_first_bytes_ = false;
  if (size > 0 && io::LooksLikeTlsHandshake(static_cast<unsigned char>(data[0]))) {
    AddStage(NewTlsStage());
    handshake_deadline_ = Clock::now() + endpoint_.handshake_timeout();
    return;
  }
  // Plain bytes before INFO: no NATS client does that on a TLS port. The
  // TLS stage the session will ask for refuses them.
  OpenSession();
}

void Connection::PassUp(size_t level, char* data, size_t size) {
  if (closed()) return;
  if (level == depth()) {
    MaybeOpenSession();  // the last handshake finished within this very read
    if (!closed()) session_->OnInput(data, size);
    return;
  }
  io::Stage& stage = *chain_->stages[level];
  base::Status status = stage.Inbound(data, size, *chain_->links[level]);
  if (!status.ok() && !closed()) {
    bool handshake = !stage.open();
    log::Debug("{}:{} - cid:{} - {}: {}", ip_, port_, id_, stage.name(), status.message());
    if (handshake) {
      log::Error("{}:{} - cid:{} - {}", ip_, port_, id_, status.message());
      CloseAfterFlush(&stage == tls_stage() ? CloseReason::kTlsHandshakeError
                                                          : CloseReason::kWebsocketHandshakeError);
    } else {
      CloseAfterFlush(CloseReason::kProtocolError);
    }
  }
}

void Connection::SendBelow(size_t level, std::string_view data) {
  std::lock_guard lock(write_mu_);
  EncodeFrom(level, data, wire_.bytes());
  unsent_wire_.store(wire_.size(), std::memory_order_relaxed);
  RequestFlush();
}

void Connection::EncodeFrom(size_t level, std::string_view data, std::string& wire) {
  if (level == 0) {
    wire.append(data);
    return;
  }
  std::string encoded;
  if (base::Status s = chain_->stages[level - 1]->Outbound(data, encoded); !s.ok()) {
    log::Debug("{}:{} - cid:{} - {}", ip_, port_, id_, s.message());
    return;
  }
  EncodeFrom(level - 1, encoded, wire);
}

// ---- output ------------------------------------------------------------

void Connection::RequestFlush() {
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

bool Connection::IdleOutputLocked() const { return wire_.empty(); }

void Connection::EncodeStagedLocked() {
  // Owner only. Session output waits until every handshake is done.
  if (!stages_open() || !session_open_) return;
  io::OutputBuffer pending;
  {
    std::lock_guard lock(out_mu_);
    if (out_.empty()) return;
    pending.Swap(out_);
  }
  pending.ForEachPiece([this](std::string_view piece) { EncodeFrom(depth(), piece, wire_.bytes()); });
}

Connection::WriteOutcome Connection::WriteLocked() {
  for (;;) {
    if (wire_.empty()) {
      if (allows_peer_flush()) {
        std::lock_guard lock(out_mu_);
        if (out_.empty()) break;
        wire_.Swap(out_);
      } else {
        EncodeStagedLocked();
        if (wire_.empty()) break;
      }
    }
    unsent_wire_.store(wire_.size(), std::memory_order_relaxed);
    iovec iov[kMaxIov];
    int count = wire_.Gather(iov, kMaxIov);
    ssize_t n = count == 1 ? send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                           : writev(fd_, iov, count);
    if (n > 0) {
      wire_.Consume(static_cast<size_t>(n));
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
  unsent_wire_.store(0, std::memory_order_relaxed);
  blocked_since_ = Clock::time_point{};
  wire_.ReleaseIfEmpty(kKeepBufferCapacity);
  return WriteOutcome::kDrained;
}

void Connection::Flush() {
  flush_queued_.store(false, std::memory_order_release);
  if (closed()) return;
  if (slow_consumer_.load(std::memory_order_acquire)) {
    worker_.server().counters().slow_consumers.fetch_add(1, std::memory_order_relaxed);
    log::Info("{}:{} - cid:{} - Slow Consumer Detected: MaxPending of {} Exceeded", ip_, port_, id_,
              max_pending_->load(std::memory_order_relaxed));
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
  if (outcome == WriteOutcome::kDrained && close_when_flushed_) {
    CloseAfterFlush(CloseReason::kServerShutdown);  // with the transports' goodbyes
    return;
  }
  if (idle_check_ == Clock::time_point{} || outcome == WriteOutcome::kBlocked) {
    if (idle_check_ == Clock::time_point{}) idle_check_ = last_output_ + kIdleRelease;
    Rearm();
  }
}

bool Connection::TryFlushFromPeer() {
  if (!allows_peer_flush() || closed() || slow_consumer_.load(std::memory_order_acquire)) return false;
  std::unique_lock lock(write_mu_, std::try_to_lock);
  if (!lock.owns_lock() || closed() || !IdleOutputLocked()) return false;
  {
    std::lock_guard out_lock(out_mu_);
    if (out_.size() > kPeerFlushMaxBytes) return false;
  }
  flush_queued_.store(false, std::memory_order_release);
  // Anything but a full drain (a blocked socket needs EPOLLOUT, a failed one
  // a close) is for the owner, which the caller then asks to flush.
  return WriteLocked() == WriteOutcome::kDrained;
}

void Connection::SetWantWrite(bool want) {
  if (want == want_write_ || closed()) return;
  want_write_ = want;
  if (base::Status s = worker_.loop().Modify(fd_, EPOLLIN | EPOLLRDHUP | (want ? uint32_t{EPOLLOUT} : 0u), this);
      !s.ok()) {
    log::Error("{}:{} - cid:{} - {}", ip_, port_, id_, s.message());
    Close(CloseReason::kWriteError);
  }
}

// ---- timer -------------------------------------------------------------

void Connection::WakeAt(Clock::time_point when) {
  if (closed()) return;
  session_wake_ = Earliest(session_wake_, when);
  if (!armed() || session_wake_ < this->when()) worker_.loop().Arm(*this, session_wake_);
}

void Connection::Rearm() {
  if (closed()) return;
  Clock::time_point next = Earliest(handshake_deadline_, session_wake_);
  Clock::time_point blocked;
  {
    std::lock_guard lock(write_mu_);
    blocked = blocked_since_;
  }
  if (blocked != Clock::time_point{}) {
    auto deadline = std::chrono::milliseconds(worker_.server().limits().write_deadline_ms.load(std::memory_order_relaxed));
    next = Earliest(next, blocked + deadline);
  }
  next = Earliest(next, idle_check_);
  if (next == Clock::time_point{}) {
    worker_.loop().Disarm(*this);
  } else {
    worker_.loop().Arm(*this, next);
  }
}

void Connection::OnTimer() {
  if (closed()) return;
  auto self = shared_from_this();
  Clock::time_point now = Clock::now();
  if (handshake_deadline_ != Clock::time_point{} && now >= handshake_deadline_) {
    handshake_deadline_ = {};
    if (connecting_) {
      log::Debug("cid:{} - connect timeout", id_);
      Close(CloseReason::kConnectFailed);
      return;
    }
    if (awaiting_first_bytes_) {
      OpenSession();  // no ClientHello came: a client that waits for INFO
    } else if (!stages_open()) {
      log::Error("{}:{} - cid:{} - {} handshake timeout", ip_, port_, id_,
                 tls_stage() != nullptr && !tls_stage()->open() ? "TLS" : "WebSocket");
      Close(tls_stage() != nullptr && !tls_stage()->open() ? CloseReason::kTlsHandshakeError
                                                         : CloseReason::kWebsocketHandshakeError);
      return;
    }
  }
  if (closed()) return;
  bool write_stuck;
  {
    std::lock_guard lock(write_mu_);
    auto deadline = std::chrono::milliseconds(worker_.server().limits().write_deadline_ms.load(std::memory_order_relaxed));
    write_stuck = blocked_since_ != Clock::time_point{} && now - blocked_since_ >= deadline;
  }
  if (write_stuck) {
    worker_.server().counters().slow_consumers.fetch_add(1, std::memory_order_relaxed);
    log::Info("{}:{} - cid:{} - Slow Consumer Detected: WriteDeadline exceeded", ip_, port_, id_);
    Close(CloseReason::kSlowConsumerWriteDeadline);
    return;
  }
  if (idle_check_ != Clock::time_point{} && now >= idle_check_) {
    idle_check_ = {};
    ReleaseIdleMemory(now);
  }
  if (session_open_ && session_wake_ != Clock::time_point{} && now >= session_wake_) {
    session_wake_ = {};
    session_->OnTimer(now);
  }
  Rearm();
}

void Connection::ReleaseIdleMemory(Clock::time_point now) {
  bool quiet_out = false;
  {
    std::lock_guard write_lock(write_mu_);
    if (now - last_output_ >= kIdleRelease && IdleOutputLocked()) {
      quiet_out = true;
      std::lock_guard lock(out_mu_);
      out_.ReleaseIfEmpty(0);
      wire_.ReleaseIfEmpty(0);
    }
  }
  if (now - last_input_ >= kIdleRelease && session_open_) {
    session_->ReleaseIdleMemory();
    if (chain_) {
      for (auto& stage : chain_->stages) stage->ReleaseIdleMemory();
    }
  }
  // A busy connection is looked at again a second later; a quiet one only
  // when it next reads or writes (which re-arm the check).
  idle_check_ = quiet_out ? Clock::time_point{} : now + kIdleRelease;
}

// ---- close -------------------------------------------------------------

size_t Connection::pending_output() {
  std::lock_guard lock(out_mu_);
  return out_.size() + unsent_wire_.load(std::memory_order_relaxed);
}

void Connection::CloseWhenFlushed() {
  close_when_flushed_ = true;
  Flush();
}

void Connection::CloseAfterFlush(CloseReason reason) {
  if (closed()) return;
  {
    std::lock_guard write_lock(write_mu_);
    if (depth() > 0) {
      EncodeStagedLocked();
      // Goodbyes, top first, each encoded by the stages below it.
      const io::CloseNote note{CloseKindOf(reason), CloseReasonText(reason)};
      for (size_t level = depth(); level-- > 0;) {
        std::string bye;
        chain_->stages[level]->Closing(note, bye);
        if (!bye.empty()) EncodeFrom(level, bye, wire_.bytes());
      }
    }
    WriteLocked();
  }
  Close(reason);
}

void Connection::Close(CloseReason reason) {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  auto self = shared_from_this();
  worker_.loop().Remove(fd_);
  worker_.loop().Disarm(*this);
  {
    // A peer worker may be writing this socket right now. Closing under its
    // lock, after `closed_` is set, means no write can land on the
    // descriptor number once the kernel hands it to a new connection.
    std::lock_guard lock(write_mu_);
    ::close(fd_);
  }
  endpoint_.stats->current.fetch_sub(1, std::memory_order_relaxed);
  if (session_) session_->OnClose(reason);
  worker_.Retire(std::move(self));
}

}  // namespace tern::server
