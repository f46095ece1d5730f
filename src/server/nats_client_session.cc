#include "server/nats_client_session.h"

#include <algorithm>

#include "base/log.h"
#include "proto/nats/encoder.h"
#include "proto/subject.h"
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
  parser_.set_max_payload(limits.max_payload.load(std::memory_order_relaxed));
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

  SendInfo(server_.lame_duck());
  rtt_probe_ = now;

  int64_t current = server_.counters().current_connections.fetch_add(1, std::memory_order_relaxed) + 1;
  server_.counters().total_connections.fetch_add(1, std::memory_order_relaxed);
  if (current > limits.max_connections.load(std::memory_order_relaxed)) {
    log::Error("{}:{} - cid:{} - {} ({})", conn_.ip(), conn_.port(), conn_.id(), kErrMaxConnections,
               limits.max_connections.load(std::memory_order_relaxed));
    FailAndClose(kErrMaxConnections, CloseReason::kMaxConnections);
    return;
  }
  log::Debug("{}:{} - cid:{} - {} connection created", conn_.ip(), conn_.port(), conn_.id(),
             conn_.endpoint().name == "client" ? "Client" : "Client (" + conn_.endpoint().name + ")");
  connect_deadline_ = now + Millis(limits.auth_timeout_ms);
  next_ping_ = now + Millis(limits.ping_interval_ms);
  conn_.WakeAt(std::min(connect_deadline_, next_ping_));
}

void NatsClientSession::SendInfo(bool lame_duck) {
  proto::nats::ServerInfo info = server_.InfoFor(conn_.endpoint());
  info.client_id = conn_.id();
  info.client_ip = conn_.ip();
  info.ldm = lame_duck;
  Send(proto::nats::EncodeInfo(info));
}

void NatsClientSession::OnLameDuck() {
  if (opened_ && !conn_.closed()) SendInfo(true);
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
  if (server_.limits().generation.load(std::memory_order_relaxed) != limits_seen_) RefreshLimits();
  proto::nats::FeedResult result = parser_.Feed(data, size, *this);
  SweepIfAutoUnsubscribed();
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

bool NatsClientSession::ShouldContinue() { return !conn_.closed(); }

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
  connect_.name = std::move(options.name);
  connect_.lang = std::move(options.lang);
  connect_.version = std::move(options.version);
  connected_ = true;
  connect_deadline_ = {};
  wants_headers_.store(connect_.headers, std::memory_order_relaxed);
  parser_.set_headers_allowed(connect_.headers);
  RecordEvent(Event::Type::kConnect, {});
  if (connect_.verbose) Send(proto::nats::kOk);
}

void NatsClientSession::OnPub(const proto::nats::PubOp& op) {
  if (log::Enabled(log::Level::kTrace)) {
    Trace("<<-", fmt::format("{} {}{}{} {}", op.headers.empty() ? "PUB" : "HPUB", op.subject, op.reply.empty() ? "" : " ",
                             op.reply, op.headers.size() + op.payload.size()));
  }
  // nats-server reports a bad subject in pedantic mode but still delivers
  // the message; so do we, so that clients see the same thing from both.
  if (connect_.pedantic && !proto::IsValidLiteralSubject(op.subject)) SendErr(kErrInvalidPublishSubject);
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
  if (log::Enabled(log::Level::kTrace)) {
    Trace("<<-", fmt::format("SUB {} {} {}", op.subject, op.queue, op.sid));
  }
  if (!proto::IsValidSubject(op.subject) || (!op.queue.empty() && !proto::IsValidQueueName(op.queue))) {
    SendErr(kErrInvalidSubject);
    return;
  }
  int max_subs = server_.limits().max_subscriptions.load(std::memory_order_relaxed);
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
  it->second = sub;
  if (connect_.verbose) Send(proto::nats::kOk);
  server_.router().Subscribe(worker_.router_thread(), sub);
}

void NatsClientSession::OnUnsub(const proto::nats::UnsubOp& op) {
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
  if (log::Enabled(log::Level::kTrace)) Trace("<<-", "PING");
  // Clients PING right after CONNECT: INFO to that PING is a first RTT.
  if (rtt_us_ == 0 && connected_ && rtt_probe_ != io::Clock::time_point{}) MeasureRtt();
  Send(proto::nats::kPong);
}

void NatsClientSession::OnPong() {
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
