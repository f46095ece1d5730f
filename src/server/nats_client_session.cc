#include "server/nats_client_session.h"

#include <openssl/rand.h>
#include <algorithm>

#include "base/log.h"
#include "proto/nats/encoder.h"
#include "proto/nkey.h"
#include "proto/subject.h"
#include "server/cluster/cluster_manager.h"
#include "server/connection.h"
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
constexpr std::string_view kErrAuthTimeout = "Authentication Timeout";
constexpr std::string_view kErrPendingInput = "too much input before authentication completed";

// Server-answered subjects: only system users may publish to them once
// authorization is configured.
constexpr std::string_view kSystemPrefix = "_TERN.";

// Input kept while a CONNECT is being checked: what a client pipelines
// after CONNECT before it hears back (PING, SUBs, a few PUBs). A client
// that sends more is hung up on.
constexpr size_t kMaxHeldBytes = 4 * 1024 * 1024;

// Replies remembered per responder for allow_responses before the expired
// ones are swept.
constexpr size_t kMaxTrackedReplies = 10'000;

// nats-server's nonce: 11 random bytes, raw URL base64.
std::string MakeNonce() {
  unsigned char raw[11];
  RAND_bytes(raw, sizeof raw);
  return proto::nkey::Base64RawUrl(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

// A status message carries "NATS/1.0 503\r\n\r\n" (16 bytes) as its header block.
constexpr std::string_view kNoRespondersHeader = "NATS/1.0 503\r\n\r\n";

// MSG line overhead beyond subject, sid, reply and sizes: "MSG " + 3 blanks
// + two 20-digit sizes + CRLFs. A bound, not an exact count.
constexpr size_t kMsgOverhead = 56;

// Payloads from this size up are shared by reference between the
// connections they go to (written with writev) instead of copied into each
// one's buffer; below it a copy is cheaper than the bookkeeping.
constexpr size_t kSharePayloadFrom = 16 * 1024;

std::chrono::milliseconds Millis(const std::atomic<int64_t>& ms) {
  return std::chrono::milliseconds(ms.load(std::memory_order_relaxed));
}

}  // namespace

NatsClientSession::NatsClientSession(Connection& conn)
    : conn_(conn), worker_(conn.owner()), server_(conn.owner().server()) {
  RefreshLimits();
  // Until CONNECT says otherwise a client has nats-server's defaults, which
  // include headers off.
  parser_.set_headers_allowed(false);
}

NatsClientSession::~NatsClientSession() = default;

uint64_t NatsClientSession::sink_id() const { return conn_.id(); }

void NatsClientSession::RefreshLimits() {
  const LiveLimits& limits = server_.limits();
  limits_seen_ = limits.generation.load(std::memory_order_acquire);
  uint64_t max_payload = limits.max_payload.load(std::memory_order_relaxed);
  if (user_limits_.max_payload > 0) max_payload = std::min(max_payload, user_limits_.max_payload);
  parser_.set_max_payload(max_payload);
  parser_.set_max_control_line(limits.max_control_line.load(std::memory_order_relaxed));
}

void NatsClientSession::Trace(std::string_view direction, std::string_view what) const {
  log::Trace("{}:{} - cid:{} - {} [{}]", conn_.ip(), conn_.port(), conn_.id(), direction, what);
}

// ---- lifecycle ---------------------------------------------------------

void NatsClientSession::OnOpen() {
  opened_ = true;
  auto now = io::Clock::now();
  const LiveLimits& limits = server_.limits();

  proto::nats::ServerInfo info = server_.InfoFor(conn_.endpoint());
  info.client_id = conn_.id();
  info.client_ip = conn_.ip();
  info.auth_required = server_.auth().required();
  if (server_.auth().nonce_required()) info.nonce = nonce_ = MakeNonce();
  Send(proto::nats::EncodeInfo(info));
  rtt_probe_ = now;

  int64_t current = server_.counters().current_connections.fetch_add(1, std::memory_order_relaxed) + 1;
  server_.counters().total_connections.fetch_add(1, std::memory_order_relaxed);
  if (current > limits.max_connections.load(std::memory_order_relaxed)) {
    log::Error("{}:{} - cid:{} - {} ({})", conn_.ip(), conn_.port(), conn_.id(), kErrMaxConnections,
               limits.max_connections.load(std::memory_order_relaxed));
    FailAndClose(kErrMaxConnections, CloseReason::kMaxConnections);
    return;
  }
  if (!server_.limiter().AcquireIp(conn_.ip())) {
    server_.counters().refused_ip_connections.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - cid:{} - {} (per address)", conn_.ip(), conn_.port(), conn_.id(), kErrMaxConnections);
    FailAndClose(kErrMaxConnections, CloseReason::kMaxConnections);
    return;
  }
  ip_slot_ = true;
  log::Debug("{}:{} - cid:{} - {} connection created", conn_.ip(), conn_.port(), conn_.id(),
             conn_.endpoint().name == "client" ? "Client" : "Client (" + conn_.endpoint().name + ")");
  connect_deadline_ = now + Millis(limits.auth_timeout_ms);
  next_ping_ = now + Millis(limits.ping_interval_ms);
  conn_.WakeAt(std::min(connect_deadline_, next_ping_));
}

void NatsClientSession::Describe(ConnInfo* info, bool with_subs) const {
  info->name = connect_.name;
  info->lang = connect_.lang;
  info->version = connect_.version;
  info->rtt = std::chrono::microseconds(rtt_us_);
  info->in_msgs = in_msgs_.Get();
  info->in_bytes = in_bytes_.Get();
  info->out_msgs = out_msgs_.Get();
  info->out_bytes = out_bytes_.Get();
  uint32_t live = 0;
  for (const auto& [sid, sub] : subs_) {
    if (sub->closed.load(std::memory_order_acquire)) continue;
    ++live;
    if (!with_subs) continue;
    info->subs.push_back({sub->subject, sub->queue, sid, sub->delivered.load(std::memory_order_relaxed),
                          sub->max_msgs.load(std::memory_order_relaxed), conn_.id()});
  }
  info->subscriptions = live;
}

void NatsClientSession::RecordEvent(Event::Type type, std::string reason) const {
  Event e;
  e.type = type;
  e.cid = conn_.id();
  e.listener = conn_.endpoint().name;
  e.ip = conn_.ip();
  e.port = conn_.port();
  e.name = connect_.name;
  e.lang = connect_.lang;
  e.version = connect_.version;
  e.reason = std::move(reason);
  if (type == Event::Type::kDisconnect) {
    e.in_msgs = in_msgs_.Get();
    e.in_bytes = in_bytes_.Get();
    e.out_msgs = out_msgs_.Get();
    e.out_bytes = out_bytes_.Get();
  }
  server_.events().Add(std::move(e));
}

void NatsClientSession::OnClose(CloseReason reason) {
  if (opened_) {
    // Kept for /connz?state=closed with the subscriptions it had (a
    // shutdown closing 100,000 clients skips this when none are kept).
    if (server_.closed_connections().max() > 0) {
      ConnInfo info;
      conn_.Describe(&info, /*with_subs=*/true);
      info.stop = WallClock::now();
      info.reason = std::string(CloseReasonText(reason));
      server_.closed_connections().Add(std::move(info));
    }
    if (reason == CloseReason::kAuthenticationTimeout) {
      RecordEvent(Event::Type::kAuthFailure, std::string(kErrAuthTimeout));
    }
    RecordEvent(Event::Type::kDisconnect, std::string(CloseReasonText(reason)));
  }
  for (auto& [sid, sub] : subs_) DropSubscription(sub);
  server_.counters().session_subscriptions.fetch_sub(static_cast<int64_t>(subs_.size()), std::memory_order_relaxed);
  subs_.clear();
  if (ip_slot_) server_.limiter().ReleaseIp(conn_.ip());
  if (user_slot_) server_.limiter().ReleaseUser(user_);
  ip_slot_ = user_slot_ = false;
  if (reason == CloseReason::kAuthenticationTimeout) {
    server_.counters().auth_timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  if (!opened_) return;
  server_.counters().current_connections.fetch_sub(1, std::memory_order_relaxed);
  log::Debug("{}:{} - cid:{} - Client connection closed: {}", conn_.ip(), conn_.port(), conn_.id(),
             CloseReasonText(reason));
}

void NatsClientSession::OnTimer(io::Clock::time_point now) {
  SweepIfAutoUnsubscribed();
  const LiveLimits& limits = server_.limits();
  if (connect_deadline_ != io::Clock::time_point{} && now >= connect_deadline_) {
    // A socket that never sends CONNECT must not hold a slot for minutes.
    log::Debug("{}:{} - cid:{} - {}", conn_.ip(), conn_.port(), conn_.id(), kErrAuthTimeout);
    FailAndClose(kErrAuthTimeout, CloseReason::kAuthenticationTimeout);
    return;
  }
  if (now >= next_ping_) {
    next_ping_ = now + Millis(limits.ping_interval_ms);
    if (pings_out_ + 1 > limits.max_pings_out.load(std::memory_order_relaxed)) {
      server_.counters().stale_connections.fetch_add(1, std::memory_order_relaxed);
      log::Debug("{}:{} - cid:{} - Stale Client Connection - Closing", conn_.ip(), conn_.port(), conn_.id());
      FailAndClose(kErrStaleConnection, CloseReason::kStaleConnection);
      return;
    }
    ++pings_out_;
    rtt_probe_ = now;
    Send(proto::nats::kPing);
    if (log::Enabled(log::Level::kTrace)) Trace("->>", "PING");
  }
  io::Clock::time_point next = next_ping_;
  if (connect_deadline_ != io::Clock::time_point{}) next = std::min(next, connect_deadline_);
  conn_.WakeAt(next);
}

// ---- input -------------------------------------------------------------

void NatsClientSession::OnInput(char* data, size_t size) {
  if (auth_state_ == AuthState::kPending) {
    HoldInput(data, size);
    return;
  }
  if (server_.limits().generation.load(std::memory_order_relaxed) != limits_seen_) RefreshLimits();
  proto::nats::FeedResult result = parser_.Feed(data, size, *this);
  SweepIfAutoUnsubscribed();
  if (result.error == proto::nats::ParseError::kNone && auth_state_ == AuthState::kPending && !conn_.closed()) {
    // The parser stopped at the end of CONNECT; the rest waits for the answer.
    HoldInput(data + result.consumed, size - result.consumed);
    return;
  }
  if (result.error == proto::nats::ParseError::kNone || conn_.closed()) return;
  server_.counters().protocol_errors.fetch_add(1, std::memory_order_relaxed);
  std::string_view rest(data + result.consumed, size - result.consumed);
  log::Error("{}:{} - cid:{} - Client parser ERROR: {}: proto='{}'", conn_.ip(), conn_.port(), conn_.id(),
             proto::nats::ErrorName(result.error), log::Excerpt(rest, 32));
  CloseReason reason = result.error == proto::nats::ParseError::kPayloadTooLarge      ? CloseReason::kMaxPayloadExceeded
                       : result.error == proto::nats::ParseError::kControlLineTooLong ? CloseReason::kMaxControlLineExceeded
                                                                                       : CloseReason::kProtocolError;
  // Some violations nats-server answers with -ERR, others with a bare close.
  std::string_view text = proto::nats::ErrorText(result.error);
  if (text.empty()) {
    conn_.CloseAfterFlush(reason);
  } else {
    FailAndClose(text, reason);
  }
}

bool NatsClientSession::ShouldContinue() { return !conn_.closed() && auth_state_ != AuthState::kPending; }

void NatsClientSession::OnConnect(std::string_view json) {
  if (log::Enabled(log::Level::kTrace)) Trace("<<-", std::string("CONNECT ").append(json));
  std::string error;
  proto::nats::ConnectOptions options;
  if (!proto::nats::ParseConnect(json, &options, &error)) {
    // nats-server hangs up without an -ERR on a CONNECT it cannot decode.
    log::Debug("{}:{} - cid:{} - bad CONNECT: {}", conn_.ip(), conn_.port(), conn_.id(), error);
    conn_.CloseAfterFlush(CloseReason::kProtocolError);
    return;
  }
  if (options.protocol < 0 || options.protocol > 1) {
    FailAndClose(kErrBadProtocol, CloseReason::kProtocolError);
    return;
  }
  if (!options.account.empty() || options.new_account) {
    // Dynamic accounts are gone from nats-server too; it refuses them this way.
    RecordEvent(Event::Type::kAuthFailure, std::string(kErrAuthorization));
    FailAndClose(kErrAuthorization, CloseReason::kProtocolError);
    return;
  }
  if (options.no_responders && !options.headers) {
    FailAndClose(kErrNoRespondersNeedsHeaders, CloseReason::kProtocolError);
    return;
  }
  connect_.verbose = options.verbose;
  connect_.pedantic = options.pedantic;
  connect_.echo = options.echo;
  connect_.headers = options.headers;
  connect_.no_responders = options.no_responders;
  connect_.async_info = options.protocol >= 1;
  connect_.interest_barrier = options.interest_barrier;
  connect_.name = options.name;
  connect_.lang = std::move(options.lang);
  connect_.version = std::move(options.version);
  wants_headers_.store(connect_.headers, std::memory_order_relaxed);
  parser_.set_headers_allowed(connect_.headers);
  if (auth_state_ == AuthState::kDone) {
    // A later CONNECT changes options only; the identity stays.
    if (connect_.verbose) Send(proto::nats::kOk);
    return;
  }
  Authenticate(options);
}

// ---- authentication ----------------------------------------------------

void NatsClientSession::Authenticate(const proto::nats::ConnectOptions& options) {
  std::shared_ptr<const auth::AuthTable> table = server_.auth().table();
  auth::AuthRequest request;
  request.protocol = auth::Protocol::kNats;
  request.user = options.user;
  request.password = options.pass;
  request.token = options.auth_token;
  request.nkey = options.nkey;
  request.signature = options.sig;
  request.nonce = nonce_;
  if (table->required && conn_.tls_active()) {
    request.cert_subject = conn_.peer_certificate_subject();
    request.cert_names = conn_.peer_certificate_names();
  }
  request.client_ip = conn_.ip();
  request.client_id = conn_.id();
  request.client_name = connect_.name;
  if (!auth::Authenticator::Expensive(*table, request)) {
    FinishAuth(auth::Authenticator::Check(*table, request));
    return;
  }
  // bcrypt: off this loop. The connection stays owned by
  // this worker; the answer is posted back to it.
  auth_state_ = AuthState::kPending;
  ServerCounters& counters = server_.counters();
  counters.auth_pending.fetch_add(1, std::memory_order_relaxed);
  counters.auth_offloaded.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<Connection> conn = conn_.shared_from_this();
  bool queued = server_.auth_pool().Submit([table, request = std::move(request), conn, this] {
    // A client that gave up (or hit auth_timeout) while queued costs no
    // bcrypt: under a storm of logins that is most of the queue.
    auth::Decision decision;
    if (!conn->closed()) decision = auth::Authenticator::Check(*table, request);
    conn->owner().loop().Post([conn, this, decision = std::move(decision)]() mutable {
      server_.counters().auth_pending.fetch_sub(1, std::memory_order_relaxed);
      if (!conn->closed()) FinishAuth(std::move(decision));
    });
  });
  if (!queued) {
    counters.auth_pending.fetch_sub(1, std::memory_order_relaxed);
    counters.auth_queue_full.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - cid:{} - authentication refused: {} checks already waiting", conn_.ip(), conn_.port(),
               conn_.id(), server_.auth_pool().queued());
    auth_state_ = AuthState::kDone;
    FailAndClose(kErrAuthorization, CloseReason::kAuthenticationViolation);
  }
}

// An operation before CONNECT. Without authorization nats-server serves it
// (telnet demos); with it, the client becomes no_auth_user if there is one,
// else it is a violation.
bool NatsClientSession::AuthenticatedWithoutConnect() {
  if (!server_.auth().required()) return true;
  Authenticate(proto::nats::ConnectOptions{});
  return auth_state_ == AuthState::kDone && !conn_.closed();
}

void NatsClientSession::HoldInput(const char* data, size_t size) {
  if (held_.size() + size > kMaxHeldBytes) {
    log::Error("{}:{} - cid:{} - {}", conn_.ip(), conn_.port(), conn_.id(), kErrPendingInput);
    FailAndClose(kErrPendingInput, CloseReason::kProtocolError);
    return;
  }
  held_.append(data, size);
}

void NatsClientSession::FinishAuth(auth::Decision d) {
  auth_state_ = AuthState::kDone;
  held_.shrink_to_fit();
  if (!d.allowed) {
    server_.counters().auth_failures.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - cid:{} - {}", conn_.ip(), conn_.port(), conn_.id(), d.log);
    RecordEvent(Event::Type::kAuthFailure, std::string(kErrAuthorization));
    held_.clear();
    FailAndClose(kErrAuthorization, CloseReason::kAuthenticationViolation);
    return;
  }
  if (!d.user.empty()) {
    if (!server_.limiter().AcquireUser(d.user, d.limits.max_connections)) {
      server_.counters().refused_user_connections.fetch_add(1, std::memory_order_relaxed);
      log::Error("{}:{} - cid:{} - {} for user \"{}\" ({})", conn_.ip(), conn_.port(), conn_.id(), kErrMaxConnections,
                 d.user, d.limits.max_connections);
      held_.clear();
      FailAndClose(kErrMaxConnections, CloseReason::kMaxConnections);
      return;
    }
    user_slot_ = true;
  }
  user_ = std::move(d.user);
  via_ = d.via;
  fingerprint_ = d.fingerprint;
  system_ = d.system;
  user_limits_ = d.limits;
  ApplyPermissions(d.permissions);
  RefreshLimits();
  connected_ = true;
  connect_deadline_ = {};
  if (d.via != auth::Via::kOpen) {
    log::Debug("{}:{} - cid:{} - authenticated{}{}", conn_.ip(), conn_.port(), conn_.id(), user_.empty() ? "" : " as ",
               user_);
  }
  RecordEvent(Event::Type::kConnect, {});
  if (connect_.verbose) Send(proto::nats::kOk);
  if (info_outdated_) {
    info_outdated_ = false;
    OnClusterChanged();
  }
  if (!held_.empty()) {
    std::string held = std::move(held_);
    held_ = std::string();
    OnInput(held.data(), held.size());
  }
}

void NatsClientSession::ApplyPermissions(const core::PermissionsPtr& perms) {
  pub_perms_.Reset(perms);
  pub_restricted_ = perms != nullptr && perms->restricts_publish();
  sub_restricted_ = perms != nullptr && perms->restricts_subscribe();
  if (perms != nullptr && (perms->responses() || perms->restricts_subscribe()) && guard_ == nullptr) {
    guard_ = std::make_unique<DeliveryGuard>();
    guard_ptr_.store(guard_.get(), std::memory_order_release);
  }
  if (guard_ != nullptr) {
    std::lock_guard lock(guard_->mu);
    guard_->perms = perms;
    guard_->responses.store(perms != nullptr && perms->responses(), std::memory_order_relaxed);
    if (perms == nullptr || !perms->responses()) guard_->replies.clear();
  }
}

// nats-server's getAuthUser(), for violation logs.
std::string NatsClientSession::AuthUserText() const {
  if (via_ == auth::Via::kNkey) return fmt::format("Nkey \"{}\"", user_);
  return fmt::format("User \"{}\"", user_.empty() ? "N/A" : user_);
}

bool NatsClientSession::ResponseAllowed(std::string_view subject) {
  if (guard_ == nullptr) return false;
  std::lock_guard lock(guard_->mu);
  if (guard_->perms == nullptr || !guard_->perms->responses()) return false;
  auto it = guard_->replies.find(std::string(subject));
  if (it == guard_->replies.end()) return false;
  const core::ResponseRule& rule = *guard_->perms->responses();
  ++it->second.sent;
  if ((rule.max_msgs > 0 && it->second.sent > rule.max_msgs) ||
      (rule.expires.count() > 0 && io::Clock::now() - it->second.at > rule.expires)) {
    guard_->replies.erase(it);
    return false;
  }
  return true;
}

void NatsClientSession::PublishViolation(std::string_view subject) {
  server_.counters().permission_violations.fetch_add(1, std::memory_order_relaxed);
  SendErr(fmt::format("Permissions Violation for Publish to \"{}\"", subject));
  log::Error("{}:{} - cid:{} - Publish Violation - {}, Subject \"{}\"", conn_.ip(), conn_.port(), conn_.id(),
             AuthUserText(), subject);
}

int NatsClientSession::MaxSubscriptions() const {
  if (user_limits_.max_subscriptions > 0) return user_limits_.max_subscriptions;
  return server_.limits().max_subscriptions.load(std::memory_order_relaxed);
}

void NatsClientSession::OnAuthChanged() {
  if (auth_state_ != AuthState::kDone || !connected_) return;
  std::shared_ptr<const auth::AuthTable> table = server_.auth().table();
  const core::PermissionsPtr& current = pub_perms_.permissions();
  auth::Revalidation r = auth::Authenticator::Revalidate(*table, auth::Protocol::kNats, via_, user_, fingerprint_);
  if (!r.keep) {
    server_.counters().auth_expired.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - cid:{} - authentication error - {} (removed or changed by a reload)", conn_.ip(), conn_.port(),
               conn_.id(), AuthUserText());
    FailAndClose(kErrAuthorization, CloseReason::kAuthenticationExpired);
    return;
  }
  system_ = r.system;
  user_limits_ = r.limits;
  RefreshLimits();
  if (r.permissions != current) {
    ApplyPermissions(r.permissions);
    DropForbiddenSubscriptions();
  }
}

void NatsClientSession::DropForbiddenSubscriptions() {
  const core::PermissionsPtr& perms = pub_perms_.permissions();
  for (auto it = subs_.begin(); it != subs_.end();) {
    auto& sub = static_cast<NatsSubscription&>(*it->second);
    bool filter = false;
    if (!sub_restricted_ || perms->CanSubscribe(sub.subject, sub.queue, &filter)) {
      sub.filtered.store(filter, std::memory_order_relaxed);
      ++it;
      continue;
    }
    // As nats-server's processSubsOnConfigReload: the client hears which
    // subscription went, and keeps its connection.
    server_.counters().permission_violations.fetch_add(1, std::memory_order_relaxed);
    SendErr(fmt::format("Permissions Violation for Subscription to \"{}\" (sid \"{}\")", sub.subject, sub.sid));
    log::Info("Removed sub \"{}\" (sid \"{}\") for {} - not authorized", sub.subject, sub.sid, AuthUserText());
    DropSubscription(it->second);
    it = subs_.erase(it);
    server_.counters().session_subscriptions.fetch_sub(1, std::memory_order_relaxed);
  }
}

void NatsClientSession::OnPub(const proto::nats::PubOp& op) {
  if (auth_state_ != AuthState::kDone && !AuthenticatedWithoutConnect()) return;
  if (log::Enabled(log::Level::kTrace)) {
    Trace("<<-", fmt::format("{} {}{}{} {}", op.headers.empty() ? "PUB" : "HPUB", op.subject, op.reply.empty() ? "" : " ",
                             op.reply, op.headers.size() + op.payload.size()));
  }
  // nats-server reports a bad subject in pedantic mode but still delivers
  // the message; so do we, so that clients see the same thing from both.
  if (connect_.pedantic && !proto::IsValidLiteralSubject(op.subject)) SendErr(kErrInvalidPublishSubject);
  if (pub_restricted_ && !pub_perms_.Allowed(op.subject) && !ResponseAllowed(op.subject)) {
    PublishViolation(op.subject);
    return;
  }
  if (!system_ && op.subject.starts_with(kSystemPrefix)) {
    PublishViolation(op.subject);
    return;
  }
  // +OK before the publish: the publisher's own copy of the message (echo)
  // must follow the acknowledgement, as from nats-server.
  if (connect_.verbose) Send(proto::nats::kOk);
  in_msgs_.Add();
  in_bytes_.Add(op.headers.size() + op.payload.size());
  core::Message msg{op.subject, op.reply, op.headers, op.payload};
  core::PublishResult result =
      server_.router().Publish(worker_.router_thread(), msg, core::Origin::Client(this, connect_.echo));
  if (result.delivered == 0 && !result.lingered && !op.reply.empty() && connect_.no_responders && connect_.headers) {
    SendNoResponders(op.reply);
  }
}

void NatsClientSession::OnSub(const proto::nats::SubOp& op) {
  if (auth_state_ != AuthState::kDone && !AuthenticatedWithoutConnect()) return;
  if (log::Enabled(log::Level::kTrace)) {
    Trace("<<-", fmt::format("SUB {} {} {}", op.subject, op.queue, op.sid));
  }
  if (!proto::IsValidSubject(op.subject) || (!op.queue.empty() && !proto::IsValidQueueName(op.queue))) {
    SendErr(kErrInvalidSubject);
    return;
  }
  bool filter = false;
  if (sub_restricted_ && !pub_perms_.permissions()->CanSubscribe(op.subject, op.queue, &filter)) {
    server_.counters().permission_violations.fetch_add(1, std::memory_order_relaxed);
    if (op.queue.empty()) {
      SendErr(fmt::format("Permissions Violation for Subscription to \"{}\"", op.subject));
      log::Error("{}:{} - cid:{} - Subscription Violation - {}, Subject \"{}\", SID {}", conn_.ip(), conn_.port(),
                 conn_.id(), AuthUserText(), op.subject, op.sid);
    } else {
      SendErr(fmt::format("Permissions Violation for Subscription to \"{}\" using queue \"{}\"", op.subject,
                          op.queue));
      log::Error("{}:{} - cid:{} - Subscription Violation - {}, Subject \"{}\", Queue: \"{}\", SID {}", conn_.ip(),
                 conn_.port(), conn_.id(), AuthUserText(), op.subject, op.queue, op.sid);
    }
    return;
  }
  int max_subs = MaxSubscriptions();
  if (max_subs > 0 && LiveSubscriptionCount() >= static_cast<size_t>(max_subs)) {
    log::Error("{}:{} - cid:{} - {} ({})", conn_.ip(), conn_.port(), conn_.id(), kErrMaxSubscriptions, max_subs);
    SendErr(kErrMaxSubscriptions);
    return;
  }
  auto [it, inserted] = subs_.try_emplace(std::string(op.sid));
  if (!inserted && !it->second->closed.load(std::memory_order_acquire)) {
    // nats-server keeps the first subscription for a reused sid.
    if (connect_.verbose) Send(proto::nats::kOk);
    return;
  }
  if (inserted) server_.counters().session_subscriptions.fetch_add(1, std::memory_order_relaxed);
  auto sub = std::make_shared<NatsSubscription>();
  sub->sink = conn_.sink_ref();
  sub->subject.assign(op.subject);
  sub->queue.assign(op.queue);
  sub->sid.assign(op.sid);
  sub->filtered.store(filter, std::memory_order_relaxed);
  it->second = sub;
  if (connect_.verbose) Send(proto::nats::kOk);
  server_.router().Subscribe(worker_.router_thread(), sub);
}

void NatsClientSession::OnUnsub(const proto::nats::UnsubOp& op) {
  if (auth_state_ != AuthState::kDone && !AuthenticatedWithoutConnect()) return;
  if (log::Enabled(log::Level::kTrace)) {
    Trace("<<-", op.max_msgs > 0 ? fmt::format("UNSUB {} {}", op.sid, op.max_msgs) : fmt::format("UNSUB {}", op.sid));
  }
  auto it = subs_.find(op.sid);
  if (it != subs_.end()) {
    bool ended = true;
    if (op.max_msgs > 0) {
      ended = server_.router().LimitDeliveries(*it->second, static_cast<uint64_t>(op.max_msgs));
    } else {
      DropSubscription(it->second);
    }
    if (ended) {
      subs_.erase(it);
      server_.counters().session_subscriptions.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  if (connect_.verbose) Send(proto::nats::kOk);
}

void NatsClientSession::OnPing() {
  if (auth_state_ != AuthState::kDone && !AuthenticatedWithoutConnect()) return;
  if (log::Enabled(log::Level::kTrace)) Trace("<<-", "PING");
  // Clients PING right after CONNECT: INFO to that PING is a first RTT.
  if (rtt_us_ == 0 && connected_ && rtt_probe_ != io::Clock::time_point{}) MeasureRtt();
  if (connect_.interest_barrier && server_.cluster() != nullptr) {
    // The PONG waits until every peer has what this client subscribed to.
    server_.cluster()->Barrier(conn_.shared_from_this());
    return;
  }
  Send(proto::nats::kPong);
}

void NatsClientSession::OnClusterChanged() {
  // A client between our INFO and its CONNECT cannot be told yet; without
  // the catch-up below it would keep the URLs of the INFO it got (a node
  // meshing while its first clients connect gave them one peer of two).
  if (!connected_) {
    info_outdated_ = true;
    return;
  }
  // As nats-server: only clients that said they understand async INFO.
  if (!connect_.async_info) return;
  proto::nats::ServerInfo info = server_.InfoFor(conn_.endpoint());
  info.client_id = conn_.id();
  info.client_ip = conn_.ip();
  Send(proto::nats::EncodeInfo(info));
}

void NatsClientSession::OnPong() {
  if (auth_state_ != AuthState::kDone && !AuthenticatedWithoutConnect()) return;
  if (log::Enabled(log::Level::kTrace)) Trace("<<-", "PONG");
  pings_out_ = 0;
  if (rtt_probe_ != io::Clock::time_point{}) MeasureRtt();
}

void NatsClientSession::MeasureRtt() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(io::Clock::now() - rtt_probe_).count();
  rtt_us_ = static_cast<uint32_t>(std::clamp<int64_t>(us, 1, UINT32_MAX));
  rtt_probe_ = {};
}

void NatsClientSession::DropSubscription(const core::SubscriptionPtr& sub) { server_.router().Unsubscribe(*sub); }

size_t NatsClientSession::LiveSubscriptionCount() {
  SweepEnded();
  return subs_.size();
}

void NatsClientSession::OnAutoUnsubscribed(const core::Subscription&) {
  auto_unsubscribed_.fetch_add(1, std::memory_order_release);
}

void NatsClientSession::SweepIfAutoUnsubscribed() {
  const uint64_t heard = auto_unsubscribed_.load(std::memory_order_acquire);
  if (heard == swept_auto_unsubscribed_) return;
  swept_auto_unsubscribed_ = heard;
  SweepEnded();
}

void NatsClientSession::SweepEnded() {
  size_t n =
      std::erase_if(subs_, [](const auto& entry) { return entry.second->closed.load(std::memory_order_acquire); });
  server_.counters().session_subscriptions.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
}

void NatsClientSession::SendNoResponders(std::string_view reply) {
  // The 503 goes to this client's own subscription that matches the reply
  // subject (its request inbox); without one there is nobody to tell.
  const core::MatchResult& match = worker_.router_thread().cache.Lookup(reply);
  for (const core::SubscriptionPtr& sub : match.plain) {
    if (sub->sink.get() != static_cast<core::Sink*>(this)) continue;
    const std::string& sid = static_cast<const NatsSubscription&>(*sub).sid;
    conn_.Write(reply.size() + sid.size() + kNoRespondersHeader.size() + kMsgOverhead, [&](io::OutputBuffer& out) {
      proto::nats::AppendHmsg(out.bytes(), reply, sid, {}, kNoRespondersHeader, {});
    });
    break;
  }
}

// ---- output ------------------------------------------------------------

bool NatsClientSession::Deliver(const core::Subscription& core_sub, const core::Message& msg) {
  // Only subscriptions this session made reach it.
  const auto& sub = static_cast<const NatsSubscription&>(core_sub);
  // The guard's lock only when this message needs it: a subscription with
  // a deny inside its wildcard, or a request to a responder.
  if (DeliveryGuard* guard = guard_ptr_.load(std::memory_order_acquire);
      guard != nullptr && (sub.filtered.load(std::memory_order_relaxed) ||
                           (!msg.reply.empty() && guard->responses.load(std::memory_order_relaxed)))) {
    std::lock_guard lock(guard->mu);
    if (sub.filtered.load(std::memory_order_relaxed) && guard->perms != nullptr &&
        guard->perms->DeniesDelivery(msg.subject)) {
      return true;  // not for this client's eyes; not a refusal either
    }
    if (!msg.reply.empty() && guard->perms != nullptr && guard->perms->responses()) {
      auto now = io::Clock::now();
      if (guard->replies.size() >= kMaxTrackedReplies) {
        const auto expires = guard->perms->responses()->expires;
        std::erase_if(guard->replies, [&](const auto& e) { return now - e.second.at > expires; });
        if (guard->replies.size() >= kMaxTrackedReplies) guard->replies.clear();
      }
      guard->replies[std::string(msg.reply)] = DeliveryGuard::Reply{now, 0};
    }
  }
  const bool headers = !msg.headers.empty() && wants_headers_.load(std::memory_order_relaxed);
  // A client that did not ask for headers gets the payload alone, as from nats-server.
  const size_t body = (headers ? msg.headers.size() : 0) + msg.payload.size();
  const size_t size = msg.subject.size() + sub.sid.size() + msg.reply.size() + body + kMsgOverhead;
  const bool share = msg.payload.size() >= kSharePayloadFrom;
  bool taken = conn_.Write(size, [&](io::OutputBuffer& out) {
    out_msgs_.Add();
    out_bytes_.Add(body);
    if (share) {
      if (headers) {
        proto::nats::AppendHmsgHeader(out.bytes(), msg.subject, sub.sid, msg.reply, msg.headers.size(),
                                      msg.payload.size());
        out.Append(msg.headers);
      } else {
        proto::nats::AppendMsgHeader(out.bytes(), msg.subject, sub.sid, msg.reply, msg.payload.size());
      }
      const auto& payload = msg.SharedPayload();
      out.AppendShared(payload, 0, payload->size());
      out.Append(proto::nats::kCrLf);
    } else if (headers) {
      proto::nats::AppendHmsg(out.bytes(), msg.subject, sub.sid, msg.reply, msg.headers, msg.payload);
    } else {
      proto::nats::AppendMsg(out.bytes(), msg.subject, sub.sid, msg.reply, msg.payload);
    }
  });
  if (taken && log::Enabled(log::Level::kTrace)) {
    Trace("->>", headers ? fmt::format("HMSG {} {} {}", msg.subject, sub.sid, body)
                         : fmt::format("MSG {} {} {}", msg.subject, sub.sid, body));
  }
  return taken;
}

void NatsClientSession::Send(std::string_view proto) { conn_.Send(proto); }

void NatsClientSession::SendErr(std::string_view text) {
  if (log::Enabled(log::Level::kTrace)) Trace("->>", std::string("-ERR ").append(text));
  conn_.Write(text.size() + 10, [text](io::OutputBuffer& out) { proto::nats::AppendErr(out.bytes(), text); });
}

void NatsClientSession::FailAndClose(std::string_view text, CloseReason reason) {
  SendErr(text);
  conn_.CloseAfterFlush(reason);
}

}  // namespace tern::server
