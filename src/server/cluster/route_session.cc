#include "server/cluster/route_session.h"

#include "base/log.h"
#include "proto/route/encoder.h"
#include "proto/subject.h"
#include "server/auth/bcrypt.h"
#include "server/auth/pool.h"
#include "server/cluster/cluster_manager.h"
#include "server/connection.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {
namespace {

using proto::route::OpType;
using proto::route::RouteOp;

// Both ends send INFO at once; a peer silent for this long is not one.
constexpr std::chrono::milliseconds kHandshakeTimeout{2000};
// nats-server's texts, which its route refusals use too.
constexpr std::string_view kErrAuthorization = "Authorization Violation";
constexpr std::string_view kErrAuthTimeout = "Authentication Timeout";
// As in NatsClientSession: payloads this large are spliced by reference.
constexpr size_t kSharePayloadFrom = 16 * 1024;

std::string Key(std::string_view subject, std::string_view queue) {
  std::string key;
  key.reserve(subject.size() + 1 + queue.size());
  return key.append(subject).append(" ").append(queue);
}

}  // namespace

RouteSession::RouteSession(Connection& conn, ClusterManager& cluster, std::string dialled_url)
    : conn_(conn),
      cluster_(cluster),
      worker_(conn.owner()),
      server_(conn.owner().server()),
      dialled_url_(std::move(dialled_url)) {
  conn_.SetPendingBound(cluster_.route_max_pending(), OverflowPolicy::kDrop);
  parser_.set_max_payload(server_.limits().max_payload.load(std::memory_order_relaxed) + 64 * 1024);
}

RouteSession::~RouteSession() = default;

uint64_t RouteSession::sink_id() const { return conn_.id(); }

uint64_t RouteSession::dropped() const { return conn_.dropped_writes(); }

std::string RouteSession::PeerAddress() const { return conn_.ip() + ":" + std::to_string(conn_.port()); }

std::string RouteSession::Name() const {
  if (got_info_ && !peer_.server_name.empty()) return peer_.server_name;
  return outbound() ? dialled_url_ : conn_.ip() + ":" + std::to_string(conn_.port());
}

void RouteSession::OnOpen() {
  const auto now = io::Clock::now();
  if (!outbound()) {
    // The secret in force now is the one this route is held to; a reload
    // re-checks it (Recheck).
    auth_ = cluster_.route_auth();
    if (auth_ != nullptr) {
      auth_state_ = AuthState::kAwaiting;
      auth_deadline_ = now + auth_->timeout;
    }
  }
  const std::string info = proto::route::EncodeInfo(cluster_.LocalInfo());
  conn_.WriteControl([&](io::OutputBuffer& out) { out.Append(info); });
  handshake_deadline_ = now + kHandshakeTimeout;
  next_ping_ = now + cluster_.options().ping_interval;
  io::Clock::time_point next = std::min(handshake_deadline_, next_ping_);
  if (auth_deadline_ != io::Clock::time_point{}) next = std::min(next, auth_deadline_);
  conn_.WakeAt(next);
  log::Debug("{}:{} - rid:{} - Route connection {}", conn_.ip(), conn_.port(), conn_.id(),
             outbound() ? "dialled" : "accepted");
}

void RouteSession::OnTimer(io::Clock::time_point now) {
  if (handshake_deadline_ != io::Clock::time_point{} && now >= handshake_deadline_) {
    log::Debug("{} - rid:{} - no route INFO in time", Name(), conn_.id());
    conn_.Close(CloseReason::kAuthenticationTimeout);
    return;
  }
  if (auth_deadline_ != io::Clock::time_point{} && now >= auth_deadline_) {
    log::Error("{} - rid:{} - Route {}: no valid CONNECT within cluster.authorization.timeout", PeerAddress(),
               conn_.id(), kErrAuthTimeout);
    cluster_.CountAuthFailure(/*timeout=*/true);
    held_.clear();
    Fail(std::string(kErrAuthTimeout), CloseReason::kAuthenticationTimeout);
    return;
  }
  if (now >= next_ping_) {
    next_ping_ = now + cluster_.options().ping_interval;
    // A peer still behind on what we sent (a big resync it is taking in)
    // cannot answer a PING queued after it; the write deadline, not the
    // ping count, judges a peer that stopped reading altogether.
    if (conn_.pending_output() > 0) pings_out_ = 0;
    if (pings_out_ + 1 > server_.limits().max_pings_out.load(std::memory_order_relaxed)) {
      log::Info("{} - rid:{} - Stale route connection, closing", Name(), conn_.id());
      conn_.Close(CloseReason::kStaleConnection);
      return;
    }
    ++pings_out_;
    conn_.WriteControl([](io::OutputBuffer& out) { out.Append(proto::route::kPing); });
  }
  // A route that cannot keep up loses messages rather than stalling the
  // publishers; say so once per ping period while it lasts.
  if (const uint64_t dropped = conn_.dropped_writes(); dropped != dropped_reported_) {
    log::Warn("Route to {} is slow: {} messages dropped (cluster.max_pending {})", Name(), dropped - dropped_reported_,
              cluster_.route_max_pending()->load(std::memory_order_relaxed));
    cluster_.CountDropped(dropped - dropped_reported_);
    dropped_reported_ = dropped;
  }
  io::Clock::time_point next = next_ping_;
  if (handshake_deadline_ != io::Clock::time_point{}) next = std::min(next, handshake_deadline_);
  if (auth_deadline_ != io::Clock::time_point{}) next = std::min(next, auth_deadline_);
  conn_.WakeAt(next);
}

void RouteSession::OnInput(char* data, size_t size) {
  // Anything from the peer shows it is alive, so a PONG stuck behind a
  // large resync coming our way does not make the route look stale.
  pings_out_ = 0;
  if (auth_state_ == AuthState::kChecking) {
    HoldInput(data, size);
    return;
  }
  size_t pos = 0;
  while (pos < size && !conn_.closed()) {
    RouteOp op;
    proto::route::NextResult r = parser_.Next(data + pos, size - pos, &op);
    if (r.status == proto::route::NextResult::Status::kError) {
      log::Error("{} - rid:{} - route protocol error {}: '{}'", Name(), conn_.id(), proto::route::ErrorName(r.error),
                 log::Excerpt(std::string_view(data + pos + r.consumed, size - pos - r.consumed), 32));
      Fail("route protocol error", CloseReason::kProtocolError);
      return;
    }
    pos += r.consumed;
    if (r.status == proto::route::NextResult::Status::kNeedMore) break;
    HandleOp(op);
    if (auth_state_ == AuthState::kChecking) {
      // The CONNECT's bcrypt check is on the pool; the rest waits for it.
      HoldInput(data + pos, size - pos);
      return;
    }
  }
}

void RouteSession::HoldInput(const char* data, size_t size) {
  // The dialler sends its resync right after CONNECT, so a route may
  // bring a lot here; the route's own output bound bounds it too.
  if (held_.size() + size > cluster_.route_max_pending()->load(std::memory_order_relaxed)) {
    log::Error("{} - rid:{} - route sent more than cluster.max_pending while its credentials were checked",
               PeerAddress(), conn_.id());
    held_.clear();
    Fail("too much input before authentication", CloseReason::kProtocolError);
    return;
  }
  held_.append(data, size);
}

void RouteSession::HandleOp(const RouteOp& op) {
  if (!got_info_ && op.type != OpType::kInfo && op.type != OpType::kError) {
    Fail("route INFO expected first", CloseReason::kProtocolError);
    return;
  }
  if (auth_state_ == AuthState::kAwaiting && op.type != OpType::kInfo && op.type != OpType::kConnect &&
      op.type != OpType::kError && op.type != OpType::kPing && op.type != OpType::kPong) {
    // nats-server's rule for a secured listener: CONNECT comes first.
    RefuseAuth("interest or messages before CONNECT");
    return;
  }
  switch (op.type) {
    case OpType::kInfo:
      HandleInfo(op.text);
      break;
    case OpType::kConnect:
      HandleConnect(op.text);
      break;
    case OpType::kSubscribe:
      HandleSubscribe(op);
      break;
    case OpType::kUnsubscribe:
      HandleUnsubscribe(op);
      break;
    case OpType::kSyncDone:
      HandleSyncDone(op.count);
      break;
    case OpType::kMessage:
      HandleMessage(op);
      break;
    case OpType::kPing:
      conn_.WriteControl([](io::OutputBuffer& out) { out.Append(proto::route::kPong); });
      break;
    case OpType::kPong:
      pings_out_ = 0;
      break;
    case OpType::kBarrier: {
      // Every RS+ before it is in our index already: the peer's barrier holds.
      const std::string_view token = op.text;
      conn_.WriteControl([token](io::OutputBuffer& out) { proto::route::AppendBarrierAck(out.bytes(), token); });
      break;
    }
    case OpType::kBarrierAck:
      cluster_.OnBarrierAck(*this, op.text);
      break;
    case OpType::kError:
      refusal_ = log::Excerpt(op.text, 256);
      conn_.Close(CloseReason::kClientClosed);
      break;
  }
}

void RouteSession::HandleInfo(std::string_view json) {
  proto::route::RouteInfo info;
  std::string error;
  if (!proto::route::ParseInfo(json, &info, &error)) {
    log::Error("{} - rid:{} - bad route INFO: {}", Name(), conn_.id(), error);
    Fail("bad route INFO", CloseReason::kProtocolError);
    return;
  }
  const bool first = !got_info_;
  if (first) {
    if (info.route_protocol != proto::route::kRouteProtocolVersion) {
      const std::string why = fmt::format("route protocol version mismatch: this node speaks {}, the peer {}",
                                          proto::route::kRouteProtocolVersion, info.route_protocol);
      log::Error("Route to {} ({}): {}", info.server_name, info.server_id, why);
      Fail(why, CloseReason::kProtocolError);
      return;
    }
    if (info.cluster != cluster_.options().name) {
      const std::string why = fmt::format("cluster name mismatch: this node is in '{}', the peer in '{}'",
                                          cluster_.options().name, info.cluster);
      log::Error("Route to {} ({}): {}", info.server_name, info.server_id, why);
      Fail(why, CloseReason::kProtocolError);
      return;
    }
    got_info_ = true;
    handshake_deadline_ = {};
    peer_ = info;
    if (outbound() && info.auth_required && info.server_id != cluster_.server_id()) {
      // Before our resync (the manager sends it once it keeps the route),
      // on the same ordered stream.
      const RouteCredentials creds = cluster_.DialCredentials(dialled_url_);
      if (creds.user.empty()) {
        log::Warn(
            "Route to {} asks for credentials and this node has none for it (cluster.authorization, or "
            "user:password@ in the route URL)",
            Name());
      }
      const std::string line = proto::route::EncodeConnect({creds.user, creds.password, cluster_.server_name()});
      conn_.WriteControl([&](io::OutputBuffer& out) { out.Append(line); });
    }
  } else if (info.server_id != peer_.server_id) {
    Fail("route INFO changed its server id", CloseReason::kProtocolError);
    return;
  }
  if (const bool draining = info.lame_duck || info.paused; draining != peer_draining_) SetDraining(draining);
  if (auth_state_ == AuthState::kAwaiting) {
    if (info.server_id == cluster_.server_id()) {
      // This node dialled itself (a seed list shared by every node): no
      // secret to check, and none to count as a failure.
      Drop();
      return;
    }
    // The manager meets the peer once it has authenticated (FinishAuth).
    pending_info_ = std::move(info);
    return;
  }
  cluster_.OnRouteInfo(*this, std::move(info), first);
}

void RouteSession::HandleConnect(std::string_view json) {
  if (auth_state_ != AuthState::kAwaiting) return;  // not asked for (or already given): nothing to check
  proto::route::RouteConnect presented;
  std::string error;
  if (!proto::route::ParseConnect(json, &presented, &error)) {
    RefuseAuth(error);
    return;
  }
  auth_state_ = AuthState::kChecking;
  presented_ = std::move(presented);
  CheckCredentials(auth_, presented_, [this](bool ok) { FinishAuth(ok); });
}

void RouteSession::CheckCredentials(std::shared_ptr<const ClusterAuthOptions> auth,
                                    proto::route::RouteConnect presented, std::function<void(bool)> done) {
  const bool user_ok = auth::PlainEquals(presented.user, auth->user);
  if (!auth::IsBcrypt(auth->password)) {
    done(user_ok && auth::PlainEquals(presented.pass, auth->password));
    return;
  }
  if (!user_ok) {
    done(false);
    return;
  }
  // bcrypt costs ~100 ms: never on this loop. Routes are few, so one pool
  // hop per route handshake (and per reload) is nothing.
  std::shared_ptr<Connection> conn = conn_.shared_from_this();
  const bool queued =
      server_.auth_pool().Submit([conn, auth = std::move(auth), pass = std::move(presented.pass), done]() mutable {
        const bool ok = !conn->closed() && auth::BcryptVerify(pass, auth->password);
        conn->owner().loop().Post([conn, ok, done = std::move(done)] {
          if (!conn->closed()) done(ok);
        });
      });
  if (!queued) {
    log::Error("{} - rid:{} - route credentials not checked: {} checks already waiting", PeerAddress(), conn_.id(),
               server_.auth_pool().queued());
    done(false);
  }
}

void RouteSession::FinishAuth(bool ok) {
  if (!ok) {
    RefuseAuth(presented_.user.empty() ? "no credentials"
                                       : fmt::format("wrong user or password (user \"{}\")", presented_.user));
    return;
  }
  auth_state_ = AuthState::kDone;
  auth_deadline_ = {};
  log::Debug("{} - rid:{} - route authenticated as user \"{}\"", PeerAddress(), conn_.id(), presented_.user);
  cluster_.OnRouteInfo(*this, std::move(pending_info_), /*first=*/true);
  if (!held_.empty()) {
    std::string held = std::move(held_);
    held_ = std::string();
    OnInput(held.data(), held.size());
  }
}

void RouteSession::RefuseAuth(std::string_view why) {
  cluster_.CountAuthFailure(/*timeout=*/false);
  log::Error("{} - rid:{} - Route {} from {}: {}", PeerAddress(), conn_.id(), kErrAuthorization,
             got_info_ && !peer_.server_name.empty() ? peer_.server_name : "a node", why);
  held_.clear();
  Fail(std::string(kErrAuthorization), CloseReason::kAuthenticationViolation);
}

void RouteSession::Recheck(std::shared_ptr<const ClusterAuthOptions> auth) {
  // A route still authenticating finishes against the secret it started with.
  if (outbound() || auth_state_ == AuthState::kAwaiting || auth_state_ == AuthState::kChecking) return;
  const bool was_open = auth_state_ == AuthState::kOpen;
  auth_ = auth;
  if (auth == nullptr) return;
  if (was_open) {
    RefuseAuth("no credentials (cluster.authorization was set by a reload)");
    return;
  }
  CheckCredentials(std::move(auth), presented_, [this](bool ok) {
    if (!ok) RefuseAuth("its credentials are no longer valid after a reload");
  });
}

void RouteSession::HandleSubscribe(const RouteOp& op) {
  if (!proto::IsValidSubject(op.subject) || (!op.queue.empty() && !proto::IsValidQueueName(op.queue))) {
    log::Debug("Route {}: ignoring interest in invalid subject '{}'", Name(), log::Excerpt(op.subject, 64));
    return;
  }
  std::string key = Key(op.subject, op.queue);
  const uint32_t weight = op.queue.empty() ? 1 : peer_draining_ ? 0 : op.weight;
  if (auto it = subs_.find(key); it != subs_.end()) {
    // Interest we have: a queue group's member count changed.
    it->second->weight.store(weight, std::memory_order_relaxed);
    return;
  }
  auto sub = std::make_shared<core::Subscription>();
  sub->sink = conn_.sink_ref();
  sub->subject.assign(op.subject);
  sub->queue.assign(op.queue);
  sub->weight.store(weight, std::memory_order_relaxed);
  subs_.emplace(std::move(key), sub);
  if (synced_) {
    if (!server_.router().Subscribe(worker_.router_thread(), sub)) subs_.erase(Key(op.subject, op.queue));
  } else {
    resync_.push_back(std::move(sub));
  }
}

void RouteSession::HandleSyncDone(uint64_t count) {
  const size_t added = server_.router().SubscribeBatch(worker_.router_thread(), resync_);
  if (count != resync_.size()) {
    log::Warn("Route {}: resync announced {} entries, {} arrived", Name(), count, resync_.size());
  }
  log::Debug("Route {}: {} interest entries in one batch", Name(), added);
  std::vector<core::SubscriptionPtr>().swap(resync_);
  synced_ = true;
}

void RouteSession::HandleUnsubscribe(const RouteOp& op) {
  auto it = subs_.find(Key(op.subject, op.queue));
  if (it == subs_.end()) return;  // a removal that crossed our resync, or one we never had
  server_.router().Unsubscribe(*it->second);
  subs_.erase(it);
}

void RouteSession::SetDraining(bool draining) {
  peer_draining_ = draining;
  if (!draining) {
    log::Info("Route {} takes queue work again", Name());
    return;
  }
  size_t groups = 0;
  for (auto& [key, sub] : subs_) {  // a resync still collecting is in subs_ too
    if (sub->queue.empty()) continue;
    sub->weight.store(0, std::memory_order_relaxed);
    ++groups;
  }
  log::Info("Route {} is draining: {} queue group(s) there get work only when no other node can take it", Name(),
            groups);
}

void RouteSession::HandleMessage(const RouteOp& op) {
  core::Message msg{op.subject, op.reply, op.headers, op.payload};
  msg.queues = op.queues;
  server_.router().Publish(worker_.router_thread(), msg, core::Origin::Route(this));
}

bool RouteSession::Deliver(const core::Subscription& sub, const core::Message& msg) {
  (void)sub;
  // Interest changes made before this message go first, or a reply could
  // come back to a node that does not know yet that it is wanted.
  if (cluster_.interest_pending()) cluster_.FlushInterest();
  const size_t body = msg.headers.size() + msg.payload.size();
  const size_t size = proto::route::MessageSizeBound(msg.subject, msg.reply, msg.queues, body);
  const bool share = msg.payload.size() >= kSharePayloadFrom;
  return conn_.Write(size, [&](io::OutputBuffer& out) {
    if (share) {
      proto::route::AppendMessageHeader(out.bytes(), msg.subject, msg.reply, msg.queues, msg.headers.size(),
                                        msg.payload.size());
      out.Append(msg.headers);
      const auto& payload = msg.SharedPayload();
      out.AppendShared(payload, 0, payload->size());
      out.Append(proto::route::kCrLf);
    } else {
      proto::route::AppendMessage(out.bytes(), msg.subject, msg.reply, msg.queues, msg.headers, msg.payload);
    }
  });
}

void RouteSession::Fail(const std::string& text, CloseReason reason) {
  conn_.WriteControl([&](io::OutputBuffer& out) { proto::route::AppendError(out.bytes(), text); });
  conn_.CloseAfterFlush(reason);
}

void RouteSession::Refuse(const std::string& text) { Fail(text, CloseReason::kProtocolError); }

void RouteSession::Drop() { conn_.CloseAfterFlush(CloseReason::kClientClosed); }

void RouteSession::OnClose(CloseReason reason) {
  for (auto& [key, sub] : subs_) server_.router().Unsubscribe(*sub);
  subs_.clear();
  resync_.clear();
  if (const uint64_t dropped = conn_.dropped_writes(); dropped != dropped_reported_) {
    cluster_.CountDropped(dropped - dropped_reported_);
  }
  log::Debug("{} - rid:{} - Route connection closed: {}", Name(), conn_.id(), CloseReasonText(reason));
  cluster_.OnRouteClosed(*this, std::move(refusal_));
}

}  // namespace tern::server
