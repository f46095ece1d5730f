#include "server/mqtt/mqtt_session.h"

#include <algorithm>
#include <climits>

#include "base/log.h"
#include "core/mqtt_subject.h"
#include "proto/mqtt/describe.h"
#include "proto/mqtt/encoder.h"
#include "proto/mqtt/topic.h"
#include "proto/subject.h"
#include "proto/utf8.h"
#include "server/connection.h"
#include "server/mqtt/broker.h"
#include "server/mqtt/session_state.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {

namespace pm = proto::mqtt;
using pm::ReasonCode;

namespace {

// Aliases a client may define for its PUBLISHes; each holds a topic string
// for the connection's life, so the number is kept small (mosquitto: 10).
constexpr uint16_t kTopicAliasMaximum = 64;
constexpr uint32_t kNeverExpires = UINT32_MAX;
// The node's own services (_TERN.STATS, _TERN.ADMIN.*): system users only.
constexpr std::string_view kSystemPrefix = "_TERN.";

std::chrono::milliseconds Millis(const std::atomic<int64_t>& ms) {
  return std::chrono::milliseconds(ms.load(std::memory_order_relaxed));
}

pm::DecoderOptions DecoderFor(const MqttOptions& options) {
  pm::DecoderOptions d;
  d.role = pm::Role::kServer;
  d.max_packet_size = static_cast<uint32_t>(std::min<uint64_t>(options.max_packet_size, pm::kMaxPacketSize));
  return d;
}

}  // namespace

MqttSession::MqttSession(Connection& conn)
    : conn_(conn),
      worker_(conn.owner()),
      server_(conn.owner().server()),
      broker_(conn.owner().server().mqtt()),
      decoder_(DecoderFor(broker_.options())) {}

MqttSession::~MqttSession() = default;

void MqttSession::Trace(std::string_view direction, const pm::Packet& packet) const {
  log::Trace("{}:{} - mid:{} - {} [{}]", conn_.ip(), conn_.port(), conn_.id(), direction, pm::Describe(packet));
}

// ---- lifecycle ---------------------------------------------------------

void MqttSession::Describe(ConnInfo* info, bool with_subs) const {
  (void)with_subs;  // MQTT subscriptions are listed by /mqttz, per session
  info->type = "mqtt";
  if (state_ == nullptr) return;  // before CONNECT, or after a takeover
  const mqtt::SessionState::Summary summary = state_->Summarize();
  info->mqtt_client = summary.client_id;
  info->subscriptions = static_cast<uint32_t>(summary.subscriptions);
}

void MqttSession::OnOpen() {
  opened_ = true;
  server_.counters().current_connections.fetch_add(1, std::memory_order_relaxed);
  server_.counters().total_connections.fetch_add(1, std::memory_order_relaxed);
  log::Debug("{}:{} - mid:{} - MQTT connection created ({})", conn_.ip(), conn_.port(), conn_.id(),
             conn_.endpoint().name);
  last_input_ = io::Clock::now();
  // Over the per-address limit: refused at CONNECT, where MQTT can say so.
  ip_slot_ = server_.limiter().AcquireIp(conn_.ip());
  // A socket that never sends CONNECT must not hold a slot for long.
  connect_deadline_ = last_input_ + Millis(server_.limits().auth_timeout_ms);
  ArmTimer();
}

void MqttSession::OnClose(CloseReason reason) {
  if (opened_) server_.counters().current_connections.fetch_sub(1, std::memory_order_relaxed);
  log::Debug("{}:{} - mid:{} - MQTT connection closed: {}", conn_.ip(), conn_.port(), conn_.id(),
             CloseReasonText(reason));
  if (ip_slot_) server_.limiter().ReleaseIp(conn_.ip());
  if (user_slot_) server_.limiter().ReleaseUser(user_);
  ip_slot_ = user_slot_ = false;
  if (reason == CloseReason::kAuthenticationTimeout) {
    server_.counters().auth_timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  if (state_ == nullptr) return;
  const auto now = io::Clock::now();
  auto aftermath = broker_.sessions().Disconnected(state_, &conn_, will_on_close_, now);
  state_.reset();
  broker_.Settle(worker_.router_thread(), std::move(aftermath), now);
}

void MqttSession::OnServerStopping() {
  if (state_ != nullptr && version_ == pm::Version::kV5) Send(pm::Disconnect{ReasonCode::kServerShuttingDown, {}});
}

void MqttSession::TakenOver() {
  log::Debug("{}:{} - mid:{} - MQTT session taken over by another connection", conn_.ip(), conn_.port(), conn_.id());
  if (version_ == pm::Version::kV5) Send(pm::Disconnect{ReasonCode::kSessionTakenOver, {}});
  state_.reset();  // the new connection has it, Will included
  conn_.CloseAfterFlush(CloseReason::kDuplicateClientId);
}

void MqttSession::ArmTimer() {
  if (connect_deadline_ != io::Clock::time_point{}) {
    conn_.WakeAt(connect_deadline_);
  } else if (keep_alive_.count() > 0) {
    conn_.WakeAt(last_input_ + keep_alive_);
  }
}

void MqttSession::OnTimer(io::Clock::time_point now) {
  if (connect_deadline_ != io::Clock::time_point{} && now >= connect_deadline_) {
    log::Debug("{}:{} - mid:{} - no CONNECT in time", conn_.ip(), conn_.port(), conn_.id());
    conn_.CloseAfterFlush(CloseReason::kAuthenticationTimeout);
    return;
  }
  // MQTT-3.1.2-24: nothing for one and a half keep alives ends it.
  if (keep_alive_.count() > 0 && now >= last_input_ + keep_alive_) {
    server_.counters().stale_connections.fetch_add(1, std::memory_order_relaxed);
    Fail(ReasonCode::kKeepAliveTimeout, CloseReason::kStaleConnection, "keep alive timeout");
    return;
  }
  ArmTimer();
}

// ---- input -------------------------------------------------------------

void MqttSession::OnInput(char* data, size_t size) {
  last_input_ = io::Clock::now();
  std::string_view input(data, size);
  while (!conn_.closed()) {
    if (accepted_ != nullptr) {
      HoldInput(input);  // the credentials are being checked
      return;
    }
    pm::Packet packet;
    const pm::DecodeResult r = decoder_.Decode(input, &packet);
    input.remove_prefix(r.consumed);
    if (r.status == pm::DecodeStatus::kNeedMore) return;
    if (r.status == pm::DecodeStatus::kError) {
      const pm::DecodeError& e = decoder_.error();
      server_.counters().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      log::Debug("{}:{} - mid:{} - MQTT protocol error: {} ({})", conn_.ip(), conn_.port(), conn_.id(), e.rule,
                 pm::ReasonName(e.reason));
      const CloseReason close =
          e.reason == ReasonCode::kPacketTooLarge ? CloseReason::kMaxPayloadExceeded : CloseReason::kProtocolError;
      switch (e.action) {
        case pm::ErrorAction::kSendConnack:
          RefuseConnect(e.version, e.reason);
          break;
        case pm::ErrorAction::kSendDisconnect:
          Fail(e.reason, close, e.rule);
          break;
        case pm::ErrorAction::kClose:
          conn_.CloseAfterFlush(close);
          break;
      }
      return;
    }
    if (log::Enabled(log::Level::kTrace)) Trace("<<-", packet);
    Handle(packet);
  }
}

void MqttSession::Handle(const pm::Packet& packet) {
  std::visit(
      [this](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, pm::Connect>) {
          OnConnect(p);
        } else if constexpr (std::is_same_v<T, pm::Publish>) {
          OnPublish(p);
        } else if constexpr (std::is_same_v<T, pm::PubAck>) {
          OnAck(p);
        } else if constexpr (std::is_same_v<T, pm::Subscribe>) {
          OnSubscribe(p);
        } else if constexpr (std::is_same_v<T, pm::Unsubscribe>) {
          OnUnsubscribe(p);
        } else if constexpr (std::is_same_v<T, pm::PingReq>) {
          Send(pm::PingResp{});
        } else if constexpr (std::is_same_v<T, pm::Disconnect>) {
          OnDisconnect(p);
        } else if constexpr (std::is_same_v<T, pm::Auth>) {
          // No CONNECT asked for enhanced authentication (CheckConnect refuses it).
          Fail(ReasonCode::kProtocolError, CloseReason::kProtocolError, "AUTH without an authentication method");
        }
        // The decoder lets through only what clients send.
      },
      packet);
}

// ---- CONNECT -----------------------------------------------------------

struct MqttSession::AcceptedConnect {
  std::string client_id;
  bool clean_start = true;
  uint16_t keep_alive = 0;
  pm::ConnectProperties properties;  // only its integers: the views are cleared
  std::optional<mqtt::SessionState::Will> will;
};

ReasonCode MqttSession::CheckConnect(const pm::Connect& c) {
  const MqttOptions& o = broker_.options();
  if (c.version == pm::Version::kV5 && c.properties.authentication_method) {
    return ReasonCode::kBadAuthenticationMethod;  // no enhanced authentication (yet)
  }
  const int64_t current = server_.counters().current_connections.load(std::memory_order_relaxed);
  if (current > server_.limits().max_connections.load(std::memory_order_relaxed)) return ReasonCode::kServerBusy;
  if (!ip_slot_) {
    // authorization.max_connections_per_ip, as for NATS clients; MQTT can
    // only say so in CONNACK.
    server_.counters().refused_ip_connections.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - mid:{} - maximum connections exceeded (per address)", conn_.ip(), conn_.port(), conn_.id());
    return ReasonCode::kQuotaExceeded;
  }
  if (c.client_id.empty() && !c.clean_start && c.version != pm::Version::kV5) {
    return ReasonCode::kClientIdentifierNotValid;  // MQTT-3.1.3-8
  }
  const auto max_keepalive = std::chrono::duration_cast<std::chrono::seconds>(o.max_keepalive).count();
  if (c.version != pm::Version::kV5 && c.keep_alive > max_keepalive) {
    return ReasonCode::kClientIdentifierNotValid;  // 3.1.1 cannot be told a shorter one; mosquitto refuses so
  }
  return ReasonCode::kSuccess;
}

void MqttSession::RefuseConnect(pm::Version version, ReasonCode reason) {
  if (version == pm::Version::kUnknown) version = pm::Version::kV311;
  pm::Connack connack{false, reason, {}};
  std::string bytes;
  pm::AppendConnack(bytes, version, connack);
  if (log::Enabled(log::Level::kTrace)) Trace("->>", connack);
  conn_.Send(bytes);
  conn_.CloseAfterFlush(CloseReason::kProtocolError);
}

void MqttSession::OnConnect(const pm::Connect& c) {
  version_ = c.version;
  const auto now = io::Clock::now();
  if (ReasonCode refused = CheckConnect(c); refused != ReasonCode::kSuccess) {
    RefuseConnect(version_, refused);
    return;
  }
  auto accepted = std::make_unique<AcceptedConnect>();
  accepted->client_id.assign(c.client_id);
  accepted->clean_start = c.clean_start;
  accepted->keep_alive = c.keep_alive;
  accepted->properties.session_expiry_interval = c.properties.session_expiry_interval;
  accepted->properties.receive_maximum = c.properties.receive_maximum;
  accepted->properties.maximum_packet_size = c.properties.maximum_packet_size;
  accepted->properties.topic_alias_maximum = c.properties.topic_alias_maximum;
  if (c.will) {
    pm::Publish as_publish;
    as_publish.topic = c.will->topic;
    as_publish.payload = c.will->payload;
    as_publish.qos = c.will->qos;
    as_publish.retain = c.will->retain;
    const pm::WillProperties& wp = c.will->properties;
    as_publish.properties.payload_format_indicator = wp.payload_format_indicator;
    as_publish.properties.message_expiry_interval = wp.message_expiry_interval;
    as_publish.properties.content_type = wp.content_type;
    as_publish.properties.response_topic = wp.response_topic;
    as_publish.properties.correlation_data = wp.correlation_data;
    as_publish.properties.user_properties = wp.user_properties;
    core::Message msg;
    ReasonCode bad = inbound_.Convert(as_publish.topic, as_publish, &msg);
    if (bad == ReasonCode::kSuccess && wp.payload_format_indicator == 1 && !proto::IsValidUtf8(c.will->payload)) {
      bad = ReasonCode::kPayloadFormatInvalid;
    }
    if (bad != ReasonCode::kSuccess) {
      RefuseConnect(version_, bad);
      return;
    }
    accepted->will = mqtt::SessionState::Will{mqtt::StoredMessage::From(msg, now), wp.will_delay_interval.value_or(0)};
  }
  accepted_ = std::move(accepted);
  Authenticate(c);
}

// ---- authentication ----------------------------------------------------

void MqttSession::Authenticate(const pm::Connect& c) {
  std::shared_ptr<const auth::AuthTable> table = server_.auth().table();
  auth::AuthRequest request;
  request.protocol = auth::Protocol::kMqtt;
  request.user.assign(c.username.value_or(""));
  request.password.assign(c.password.value_or(""));
  // A token server takes the token in the password field, as nats-server's MQTT does.
  request.token = request.password;
  if (table->required && conn_.tls_active()) {
    request.cert_subject = conn_.peer_certificate_subject();
    request.cert_names = conn_.peer_certificate_names();
  }
  request.client_ip = conn_.ip();
  request.client_id = conn_.id();
  request.client_name = accepted_->client_id;
  if (!auth::Authenticator::Expensive(*table, request)) {
    FinishAuth(auth::Authenticator::Check(*table, request));
    return;
  }
  // bcrypt: off this loop, as for NATS clients (nats_client_session.cc);
  // what the client pipelines meanwhile waits in held_.
  ServerCounters& counters = server_.counters();
  counters.auth_pending.fetch_add(1, std::memory_order_relaxed);
  counters.auth_offloaded.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<Connection> conn = conn_.shared_from_this();
  bool queued = server_.auth_pool().Submit([table, request = std::move(request), conn, this] {
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
    log::Error("{}:{} - mid:{} - authentication refused: {} checks already waiting", conn_.ip(), conn_.port(),
               conn_.id(), server_.auth_pool().queued());
    accepted_.reset();
    RefuseConnect(version_, ReasonCode::kServerBusy);
  }
}

void MqttSession::FinishAuth(auth::Decision d) {
  std::unique_ptr<AcceptedConnect> accepted = std::move(accepted_);
  if (!d.allowed) {
    server_.counters().auth_failures.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - mid:{} - MQTT {}", conn_.ip(), conn_.port(), conn_.id(), d.log);
    held_.clear();
    // 3.1.1 reads these as 4 and 5.
    RefuseConnect(version_, d.failure == auth::AuthResult::Failure::kBadCredentials ? ReasonCode::kBadUserNameOrPassword
                                                                                    : ReasonCode::kNotAuthorized);
    return;
  }
  if (!d.user.empty()) {
    if (!server_.limiter().AcquireUser(d.user, d.limits.max_connections)) {
      server_.counters().refused_user_connections.fetch_add(1, std::memory_order_relaxed);
      log::Error("{}:{} - mid:{} - maximum connections exceeded for user \"{}\" ({})", conn_.ip(), conn_.port(),
                 conn_.id(), d.user, d.limits.max_connections);
      held_.clear();
      RefuseConnect(version_, ReasonCode::kQuotaExceeded);
      return;
    }
    user_slot_ = true;
  }
  user_ = std::move(d.user);
  via_ = d.via;
  fingerprint_ = d.fingerprint;
  system_ = d.system;
  ApplyPermissions(d.permissions);
  // A Will the user may not publish is refused at CONNECT, so the client
  // hears why, rather than losing the Will silently when it would go.
  if (accepted->will && !MayPublish(accepted->will->message.subject)) {
    held_.clear();
    RefuseConnect(version_, ReasonCode::kNotAuthorized);
    return;
  }
  if (via_ != auth::Via::kOpen) {
    log::Debug("{}:{} - mid:{} - authenticated{}{}", conn_.ip(), conn_.port(), conn_.id(), user_.empty() ? "" : " as ",
               user_);
  }
  Accept(std::move(*accepted));
  if (!held_.empty() && !conn_.closed()) {
    std::string held = std::move(held_);
    held_ = std::string();
    OnInput(held.data(), held.size());
  }
}

void MqttSession::ApplyPermissions(const core::PermissionsPtr& permissions) {
  pub_perms_.Reset(permissions);
  pub_restricted_ = permissions != nullptr && permissions->restricts_publish();
  sub_restricted_ = permissions != nullptr && permissions->restricts_subscribe();
}

std::string MqttSession::UserText() const {
  if (via_ == auth::Via::kNkey) return fmt::format("Nkey \"{}\"", user_);
  return fmt::format("User \"{}\"", user_.empty() ? "N/A" : user_);
}

bool MqttSession::MayPublish(std::string_view subject) {
  if ((pub_restricted_ && !pub_perms_.Allowed(subject)) || (!system_ && subject.starts_with(kSystemPrefix))) {
    server_.counters().permission_violations.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - mid:{} - Publish Violation - {}, Subject \"{}\"", conn_.ip(), conn_.port(), conn_.id(),
               UserText(), subject);
    return false;
  }
  return true;
}

void MqttSession::OnAuthChanged() {
  if (state_ == nullptr || accepted_ != nullptr) return;  // not in yet: the check under way uses the table it took
  std::shared_ptr<const auth::AuthTable> table = server_.auth().table();
  auth::Revalidation r = auth::Authenticator::Revalidate(*table, auth::Protocol::kMqtt, via_, user_, fingerprint_);
  if (!r.keep) {
    server_.counters().auth_expired.fetch_add(1, std::memory_order_relaxed);
    log::Error("{}:{} - mid:{} - authentication error - {} (removed or changed by a reload)", conn_.ip(), conn_.port(),
               conn_.id(), UserText());
    Fail(ReasonCode::kNotAuthorized, CloseReason::kAuthenticationExpired, "credentials removed by a reload");
    return;
  }
  system_ = r.system;
  if (r.permissions != pub_perms_.permissions()) {
    ApplyPermissions(r.permissions);
    ReviewSubscriptions();
  }
}

void MqttSession::Accept(AcceptedConnect accepted) {
  const auto now = io::Clock::now();
  const MqttOptions& o = broker_.options();
  const bool v5 = version_ == pm::Version::kV5;
  pm::Connack connack;

  std::string client_id = std::move(accepted.client_id);
  const bool assigned = client_id.empty();
  if (assigned) client_id = broker_.AssignClientId();

  // Keep alive: a 5.0 client that wants longer than allowed (or none) is
  // told the longest allowed (3.2.2.3.14).
  uint32_t keep_alive = accepted.keep_alive;
  const auto max_keepalive =
      static_cast<uint16_t>(std::chrono::duration_cast<std::chrono::seconds>(o.max_keepalive).count());
  if (v5 && (keep_alive > max_keepalive || (keep_alive == 0 && max_keepalive < 65535))) {
    keep_alive = max_keepalive;
    connack.properties.server_keep_alive = max_keepalive;
  }

  auto opened = broker_.sessions().Open(client_id, accepted.clean_start, now);
  state_ = std::move(opened.state);
  state_->expiry_interval =
      v5 ? accepted.properties.session_expiry_interval.value_or(0) : (accepted.clean_start ? 0 : kNeverExpires);
  state_->SetWill(std::move(accepted.will));
  // A resumed session keeps its subscriptions only as far as this client's
  // permissions allow (another user may have made them).
  if (opened.present && server_.auth().required()) ReviewSubscriptions();

  mqtt::Link link;
  link.conn = conn_.shared_from_this();
  link.session = this;
  link.version = version_;
  link.send_quota =
      static_cast<uint16_t>(std::min<int>(accepted.properties.receive_maximum.value_or(65535), o.max_inflight));
  link.max_packet_size = accepted.properties.maximum_packet_size.value_or(0);
  link.topic_alias_max = accepted.properties.topic_alias_maximum.value_or(0);

  connack.session_present = opened.present;
  if (v5) {
    if (assigned) connack.properties.assigned_client_identifier = client_id;
    if (o.max_inflight < 65535) connack.properties.receive_maximum = static_cast<uint16_t>(o.max_inflight);
    if (decoder_.max_packet_size() < pm::kMaxPacketSize) {
      connack.properties.maximum_packet_size = decoder_.max_packet_size();
    }
    connack.properties.topic_alias_maximum = kTopicAliasMaximum;
  }
  if (log::Enabled(log::Level::kTrace)) Trace("->>", connack);
  state_->Attach(std::move(link), connack);

  connect_deadline_ = {};
  keep_alive_ = std::chrono::milliseconds(keep_alive * 1500);
  ArmTimer();
  log::Debug("{}:{} - mid:{} - MQTT {} client '{}' connected{}", conn_.ip(), conn_.port(), conn_.id(),
             v5 ? "5.0" : "3.1.1", client_id, opened.present ? " (session present)" : "");
  broker_.Settle(worker_.router_thread(), std::move(opened.aftermath), now);
}

void MqttSession::HoldInput(std::string_view input) {
  // As NATS clients' pending input (nats_client_session.cc): enough for a
  // burst, not a way to make the server buffer without bound.
  constexpr size_t kMaxHeldBytes = 4 << 20;
  if (held_.size() + input.size() > kMaxHeldBytes) {
    log::Error("{}:{} - mid:{} - too much input while authenticating", conn_.ip(), conn_.port(), conn_.id());
    conn_.CloseAfterFlush(CloseReason::kProtocolError);
    return;
  }
  held_.append(input);
}

// ---- PUBLISH and acknowledgements --------------------------------------

void MqttSession::OnPublish(const pm::Publish& p) {
  std::string_view topic = p.topic;
  if (version_ == pm::Version::kV5 && p.properties.topic_alias) {
    const uint16_t alias = *p.properties.topic_alias;
    if (alias > kTopicAliasMaximum) {
      Fail(ReasonCode::kTopicAliasInvalid, CloseReason::kProtocolError, "Topic Alias above the maximum");
      return;
    }
    if (!topic.empty()) {
      topic_aliases_[alias].assign(topic);
    } else if (auto it = topic_aliases_.find(alias); it != topic_aliases_.end()) {
      topic = it->second;
    } else {
      Fail(ReasonCode::kProtocolError, CloseReason::kProtocolError, "3.3.2.3.4: a Topic Alias the client never set");
      return;
    }
  }
  const auto qos = static_cast<uint8_t>(p.qos);
  core::Message msg;
  ReasonCode reason = inbound_.Convert(topic, p, &msg);
  if (reason == ReasonCode::kSuccess && p.properties.payload_format_indicator == 1 && !proto::IsValidUtf8(p.payload)) {
    reason = ReasonCode::kPayloadFormatInvalid;
  }
  if (reason != ReasonCode::kSuccess) {
    if (version_ != pm::Version::kV5) {
      conn_.CloseAfterFlush(CloseReason::kProtocolError);  // 3.1.1 has no way to say why
    } else if (qos > 0) {
      SendAck(qos == 1 ? pm::PacketType::kPuback : pm::PacketType::kPubrec, p.packet_id, reason);
    } else {
      Fail(reason, CloseReason::kProtocolError, "PUBLISH that cannot be delivered");
    }
    return;
  }
  if (!MayPublish(msg.subject)) {
    // Dropped, the connection kept: 5.0 hears 0x87 in the acknowledgement;
    // 3.1.1 has no way to say it, so it gets a plain one and stops resending
    // (mosquitto does the same).
    if (qos > 0) {
      SendAck(qos == 1 ? pm::PacketType::kPuback : pm::PacketType::kPubrec, p.packet_id, ReasonCode::kNotAuthorized);
    }
    return;
  }
  if (qos == 2) {
    // Receive Maximum (3.3.4): QoS 2 publishes not yet released count.
    if (state_->incoming_qos2() >= static_cast<size_t>(broker_.options().max_inflight) &&
        version_ == pm::Version::kV5) {
      Fail(ReasonCode::kReceiveMaximumExceeded, CloseReason::kProtocolError, "Receive Maximum exceeded");
      return;
    }
    if (!state_->BeginIncomingQos2(p.packet_id)) {
      SendAck(pm::PacketType::kPubrec, p.packet_id, ReasonCode::kSuccess);  // a resend: delivered once already
      return;
    }
  }
  msg.publisher = state_.get();
  const auto now = io::Clock::now();
  core::PublishResult result =
      broker_.Publish(worker_.router_thread(), msg, core::Origin::Client(state_.get(), true), now);
  if (qos == 0) return;
  const ReasonCode ack =
      result.delivered == 0 && !result.lingered ? ReasonCode::kNoMatchingSubscribers : ReasonCode::kSuccess;
  SendAck(qos == 1 ? pm::PacketType::kPuback : pm::PacketType::kPubrec, p.packet_id, ack);
}

void MqttSession::OnAck(const pm::PubAck& a) {
  switch (a.type) {
    case pm::PacketType::kPuback:
      state_->OnPuback(&conn_, a.packet_id);
      break;
    case pm::PacketType::kPubrec:
      if (!state_->OnPubrec(&conn_, a.packet_id, a.reason)) {
        SendAck(pm::PacketType::kPubrel, a.packet_id, ReasonCode::kPacketIdentifierNotFound);
      }
      break;
    case pm::PacketType::kPubrel:
      SendAck(pm::PacketType::kPubcomp, a.packet_id,
              state_->ReleaseIncomingQos2(a.packet_id) ? ReasonCode::kSuccess : ReasonCode::kPacketIdentifierNotFound);
      break;
    case pm::PacketType::kPubcomp:
      state_->OnPubcomp(&conn_, a.packet_id);
      break;
    default:
      break;
  }
}

// ---- SUBSCRIBE / UNSUBSCRIBE -------------------------------------------

void MqttSession::OnSubscribe(const pm::Subscribe& s) {
  std::vector<ReasonCode> reasons;
  std::vector<const pm::Subscription*> retained_for;
  std::vector<pm::Subscription> subs = s.subscriptions.ToVector();
  reasons.reserve(subs.size());
  for (const pm::Subscription& sub : subs) {
    reasons.push_back(SubscribeOne(sub, s.properties.subscription_identifier, &retained_for));
    if (conn_.closed()) return;
  }
  pm::Suback suback;
  suback.packet_id = s.packet_id;
  suback.reasons = reasons;
  Send(suback);
  for (const pm::Subscription* sub : retained_for) SendRetained(*sub, s.properties.subscription_identifier);
}

ReasonCode MqttSession::SubscribeOne(const pm::Subscription& sub, std::optional<uint32_t> identifier,
                                     std::vector<const pm::Subscription*>* retained_for) {
  mqtt::SessionSubscription record;
  mqtt::SubscriptionOptions options;
  options.qos = std::min<uint8_t>(static_cast<uint8_t>(sub.qos), 2);
  options.no_local = sub.no_local;
  options.retain_as_published = sub.retain_as_published;
  options.retain_handling = sub.retain_handling;
  options.identifier = identifier.value_or(0);
  if (ReasonCode refused = MakeSubscription(sub.filter, options, &record); refused != ReasonCode::kSuccess) {
    return refused;
  }
  const bool shared = record.shared;
  std::optional<mqtt::SessionSubscription> old = InstallSubscription(std::move(record));
  const bool wants_retained = sub.retain_handling == pm::RetainHandling::kSendOnSubscribe ||
                              (sub.retain_handling == pm::RetainHandling::kSendIfNew && !old);
  // Shared subscriptions get no retained messages (4.8.2).
  if (!shared && wants_retained) retained_for->push_back(&sub);
  return static_cast<ReasonCode>(options.qos);
}

ReasonCode MqttSession::MakeSubscription(std::string_view filter, const mqtt::SubscriptionOptions& options,
                                         mqtt::SessionSubscription* record) {
  record->filter.assign(filter);
  record->options = options;
  std::string_view group;
  record->shared = pm::IsSharedSubscription(filter);
  if (record->shared) {
    std::optional<pm::SharedSubscription> parsed = pm::ParseSharedSubscription(filter);
    if (!parsed || !proto::IsValidQueueName(parsed->group)) return ReasonCode::kTopicFilterInvalid;
    if (options.no_local) {
      Fail(ReasonCode::kProtocolError, CloseReason::kProtocolError, "MQTT-3.8.3-4: No Local on a shared subscription");
      return ReasonCode::kProtocolError;
    }
    group = parsed->group;
    filter = parsed->filter;
  }
  std::string subject, parent;
  if (!core::MqttFilterToSubjects(filter, &subject, &parent)) return ReasonCode::kTopicFilterInvalid;
  // Subscribe permissions are on the mapped subjects, a $share group being
  // the queue group ("sensors.* workers" allows $share/workers/sensors/+).
  // "a/#" needs "a.>"; its parent "a" is kept only where allowed too.
  bool filtered[2] = {false, false};
  if (sub_restricted_) {
    const core::Permissions& perms = *pub_perms_.permissions();
    if (!perms.CanSubscribe(subject, group, &filtered[0])) {
      server_.counters().permission_violations.fetch_add(1, std::memory_order_relaxed);
      log::Error("{}:{} - mid:{} - Subscription Violation - {}, Topic \"{}\"", conn_.ip(), conn_.port(), conn_.id(),
                 UserText(), record->filter);
      return ReasonCode::kNotAuthorized;  // 3.1.1: 0x80
    }
    if (!parent.empty() && !perms.CanSubscribe(parent, group, &filtered[1])) parent.clear();
  }
  std::string* patterns[] = {&subject, &parent};
  for (int i = 0; i < 2; ++i) {
    if (patterns[i]->empty()) continue;
    auto c = std::make_shared<mqtt::CoreSubscription>();
    c->sink = state_;
    c->subject = std::move(*patterns[i]);
    c->queue.assign(group);
    c->shared = record->shared;
    c->skips_dollar = core::FilterStartsWithWildcard(filter);
    if (filtered[i]) c->deny_filter = pub_perms_.permissions();
    record->core.push_back(std::move(c));
  }
  return ReasonCode::kSuccess;
}

std::optional<mqtt::SessionSubscription> MqttSession::InstallSubscription(mqtt::SessionSubscription record) {
  const std::vector<std::shared_ptr<mqtt::CoreSubscription>> cores = record.core;
  std::optional<mqtt::SessionSubscription> old = state_->Replace(std::move(record));
  auto& counters = server_.counters();
  for (const auto& c : cores) {
    server_.router().Subscribe(worker_.router_thread(), c);
    counters.session_subscriptions.fetch_add(1, std::memory_order_relaxed);
  }
  if (old) EndCoreSubscriptions(*old);
  return old;
}

void MqttSession::ReviewSubscriptions() {
  for (const mqtt::SessionSubscription& current : state_->ListSubscriptions()) {
    mqtt::SessionSubscription record;
    if (MakeSubscription(current.filter, current.options, &record) != ReasonCode::kSuccess) {
      // MQTT has no packet to tell the client; the log says which went.
      log::Info("{}:{} - mid:{} - removed subscription \"{}\" of {}: not authorized", conn_.ip(), conn_.port(),
                conn_.id(), current.filter, UserText());
      if (std::optional<mqtt::SessionSubscription> old = state_->Remove(current.filter)) EndCoreSubscriptions(*old);
      continue;
    }
    // Re-made only when the rights change what it delivers: a swap can miss
    // what is published during it, so an unchanged one is left alone.
    auto same = [](const auto& a, const auto& b) {
      return a->subject == b->subject && a->deny_filter == b->deny_filter;
    };
    if (!std::equal(record.core.begin(), record.core.end(), current.core.begin(), current.core.end(), same)) {
      InstallSubscription(std::move(record));
    }
  }
}

void MqttSession::SendRetained(const pm::Subscription& sub, std::optional<uint32_t> identifier) {
  std::string subject, parent;
  if (!core::MqttFilterToSubjects(sub.filter, &subject, &parent)) return;
  const std::string patterns[] = {subject, parent};
  mqtt::SubscriptionOptions options;
  options.qos = static_cast<uint8_t>(sub.qos);
  options.identifier = identifier.value_or(0);
  const core::Permissions* perms = sub_restricted_ ? pub_perms_.permissions().get() : nullptr;
  broker_.retained().ForEachMatch(patterns, core::FilterStartsWithWildcard(sub.filter), io::Clock::now(),
                                  [&](const mqtt::StoredMessage& m) {
                                    // Also what only the parent of "a/#" matches, when "a" was not allowed.
                                    if (perms != nullptr && !perms->CanSubscribe(m.subject, {})) return;
                                    state_->DeliverRetained(options, m);
                                  });
}

void MqttSession::EndCoreSubscriptions(const mqtt::SessionSubscription& sub) {
  for (const auto& c : sub.core) {
    server_.router().Unsubscribe(*c);
    server_.counters().session_subscriptions.fetch_sub(1, std::memory_order_relaxed);
  }
}

void MqttSession::OnUnsubscribe(const pm::Unsubscribe& u) {
  std::vector<ReasonCode> reasons;
  for (std::string_view filter : u.filters) {
    std::optional<mqtt::SessionSubscription> old = state_->Remove(filter);
    if (old) EndCoreSubscriptions(*old);
    reasons.push_back(old ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
  }
  pm::Unsuback unsuback;
  unsuback.packet_id = u.packet_id;
  unsuback.reasons = reasons;
  Send(unsuback);
}

// ---- DISCONNECT --------------------------------------------------------

void MqttSession::OnDisconnect(const pm::Disconnect& d) {
  if (version_ == pm::Version::kV5) {
    if (d.properties.session_expiry_interval) {
      if (state_->expiry_interval == 0 && *d.properties.session_expiry_interval != 0) {
        Fail(ReasonCode::kProtocolError, CloseReason::kProtocolError, "MQTT-3.14.2-2: Session Expiry set on DISCONNECT");
        return;
      }
      state_->expiry_interval = *d.properties.session_expiry_interval;
    }
    will_on_close_ = d.reason == ReasonCode::kDisconnectWithWillMessage;
  } else {
    will_on_close_ = false;
  }
  conn_.Close(CloseReason::kClientClosed);
}

// ---- output ------------------------------------------------------------

void MqttSession::Fail(ReasonCode reason, CloseReason close, std::string_view why) {
  log::Debug("{}:{} - mid:{} - closing: {} ({})", conn_.ip(), conn_.port(), conn_.id(), why, pm::ReasonName(reason));
  // Only 5.0 servers send DISCONNECT.
  if (version_ == pm::Version::kV5) Send(pm::Disconnect{reason, {}});
  conn_.CloseAfterFlush(close);
}

void MqttSession::SendAck(pm::PacketType type, uint16_t packet_id, ReasonCode reason) {
  pm::PubAck ack;
  ack.type = type;
  ack.packet_id = packet_id;
  ack.reason = reason;
  Send(ack);
}

void MqttSession::Send(const pm::Packet& packet) {
  if (log::Enabled(log::Level::kTrace)) Trace("->>", packet);
  conn_.Write(pm::EncodedSize(version_, packet),
              [&](io::OutputBuffer& out) { pm::AppendPacket(out.bytes(), version_, packet); });
}

}  // namespace tern::server
