#include "server/mqtt/session_state.h"

#include <algorithm>

#include "proto/mqtt/encoder.h"
#include "proto/subject.h"
#include "server/connection.h"
#include "server/mqtt/broker.h"

namespace tern::server::mqtt {

namespace pm = proto::mqtt;

namespace {

bool Matches(const CoreSubscription& sub, std::string_view subject) {
  if (sub.skips_dollar && subject.starts_with('$')) return false;
  return proto::SubjectMatches(sub.subject, subject);
}

}  // namespace

SessionState::SessionState(Broker& broker, std::string client_id, uint64_t id)
    : broker_(broker), client_id_(std::move(client_id)), id_(id) {}

SessionState::~SessionState() = default;

uint64_t SessionState::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

// ---- delivery ------------------------------------------------------------

bool SessionState::Deliver(const core::Subscription& core_sub, const core::Message& msg) {
  const auto& sub = static_cast<const CoreSubscription&>(core_sub);
  std::lock_guard lock(mu_);
  if (!sub.live) return true;  // replaced or removed; its successor (if any) delivers
  if (sub.skips_dollar && msg.subject.starts_with('$')) return true;
  if (sub.deny_filter != nullptr && sub.deny_filter->DeniesDelivery(msg.subject)) return true;
  const bool own = msg.publisher == this;
  if (sub.shared || plain_subs_ <= 1) {
    if (own && sub.record->options.no_local) return true;
    const SubscriptionOptions& o = sub.record->options;
    const uint32_t id = o.identifier;
    return SendLocked(msg, std::min(msg.qos, o.qos), o.retain_as_published && msg.retain,
                      id != 0 ? std::span<const uint32_t>(&id, 1) : std::span<const uint32_t>(),
                      io::Clock::now());
  }
  // Overlapping subscriptions (MQTT-3.3.5-1): every matching subscription
  // of this session gets the same call from the router, so the first one in
  // filter order delivers one copy for all of them, at the highest QoS
  // granted and with all their identifiers; the others stay silent.
  const SessionSubscription* first = nullptr;
  uint8_t qos = 0;
  bool retain = false;
  ids_scratch_.clear();
  for (const auto& [filter, record] : subs_) {
    if (record.shared || (own && record.options.no_local)) continue;
    bool match = false;
    for (const auto& c : record.core) match = match || Matches(*c, msg.subject);
    if (!match) continue;
    if (first == nullptr) first = &record;
    qos = std::max(qos, record.options.qos);
    retain = retain || (record.options.retain_as_published && msg.retain);
    if (record.options.identifier != 0) ids_scratch_.push_back(record.options.identifier);
  }
  if (first != sub.record) return true;
  std::vector<uint32_t> ids = std::move(ids_scratch_);
  const bool taken = SendLocked(msg, std::min(msg.qos, qos), retain, ids, io::Clock::now());
  ids_scratch_ = std::move(ids);
  return taken;
}

void SessionState::DeliverRetained(const SubscriptionOptions& options, const StoredMessage& msg) {
  std::lock_guard lock(mu_);
  const uint32_t id = options.identifier;
  SendLocked(msg.View(), std::min(msg.qos, options.qos), true,
             id != 0 ? std::span<const uint32_t>(&id, 1) : std::span<const uint32_t>(), io::Clock::now());
}

bool SessionState::SendLocked(const core::Message& msg, uint8_t qos, bool retain,
                              std::span<const uint32_t> identifiers, io::Clock::time_point now) {
  if (qos == 0) {
    // QoS 0 is not kept for a session nobody serves (as mosquitto by default).
    if (link_.conn == nullptr) return true;
    return WritePublishLocked(msg, 0, retain, false, 0, identifiers, std::nullopt) != Written::kRefused;
  }
  Pending p{StoredMessage::From(msg, now), {identifiers.begin(), identifiers.end()}};
  p.msg.qos = qos;
  p.msg.retain = retain;
  if (link_.conn != nullptr && inflight_.size() < link_.send_quota && queued_.empty()) {
    SendInFlightLocked(std::move(p), now);
    return true;
  }
  if (queued_.size() >= static_cast<size_t>(broker_.options().max_queued)) {
    ++dropped_;
    broker_.counters().dropped_queued.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  queued_.push_back(std::move(p));
  return true;
}

void SessionState::SendInFlightLocked(Pending p, io::Clock::time_point now) {
  p.packet_id = NextPacketIdLocked();
  inflight_.push_back(std::move(p));
  // A refused write leaves it in flight: it goes again on reconnect.
  const Written w = WritePendingLocked(inflight_.back(), false, now);
  if (w == Written::kTooLarge) {
    inflight_.pop_back();
  } else if (w == Written::kYes) {
    inflight_.back().sent = true;
  }
}

SessionState::Written SessionState::WritePendingLocked(const Pending& p, bool dup, io::Clock::time_point now) {
  std::optional<uint32_t> expiry_left;
  if (p.msg.expires != io::Clock::time_point{}) {
    expiry_left = static_cast<uint32_t>(
        std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(p.msg.expires - now).count()));
  }
  return WritePublishLocked(p.msg.View(), p.msg.qos, p.msg.retain, dup, p.packet_id, p.identifiers, expiry_left);
}

SessionState::Written SessionState::WritePublishLocked(const core::Message& msg, uint8_t qos, bool retain, bool dup,
                                      uint16_t packet_id, std::span<const uint32_t> identifiers,
                                      std::optional<uint32_t> expiry_left) {
  pm::Publish publish;
  outbound_.Convert(msg, link_.version, expiry_left, &publish);
  publish.qos = static_cast<pm::Qos>(qos);
  publish.retain = retain;
  publish.dup = dup;
  publish.packet_id = packet_id;
  if (link_.version == pm::Version::kV5) {
    publish.properties.subscription_identifiers = pm::List<uint32_t>(identifiers);
    // Topic aliases (3.3.2.3.4): the first PUBLISH of a topic names it
    // and its alias, the next ones only the alias.
    if (link_.topic_alias_max > 0) {
      auto it = aliases_.find(std::string(publish.topic));
      if (it != aliases_.end()) {
        publish.properties.topic_alias = it->second;
        publish.topic = {};
      } else if (aliases_.size() < link_.topic_alias_max) {
        const auto alias = static_cast<uint16_t>(aliases_.size() + 1);
        aliases_.emplace(std::string(publish.topic), alias);
        publish.properties.topic_alias = alias;
      }
    }
  }
  if (!Fits(publish)) return Written::kTooLarge;
  const size_t size = pm::PublishSize(link_.version, publish, publish.payload.size());
  const bool taken =
      link_.conn->Write(size, [&](io::OutputBuffer& out) { pm::AppendPublish(out.bytes(), link_.version, publish); });
  return taken ? Written::kYes : Written::kRefused;
}

bool SessionState::Fits(const pm::Publish& publish) const {
  if (link_.max_packet_size == 0) return true;
  return pm::PublishSize(link_.version, publish, publish.payload.size()) <= link_.max_packet_size;
}

bool SessionState::WritePubrelLocked(uint16_t packet_id) {
  pm::PubAck rel;
  rel.type = pm::PacketType::kPubrel;
  rel.packet_id = packet_id;
  return link_.conn->Write(16, [&](io::OutputBuffer& out) { pm::AppendPubAck(out.bytes(), link_.version, rel); });
}

uint16_t SessionState::NextPacketIdLocked() {
  // The window is far smaller than the id space, so a free id is near.
  for (;;) {
    last_packet_id_ = static_cast<uint16_t>(last_packet_id_ + 1);
    if (last_packet_id_ == 0) continue;
    const uint16_t id = last_packet_id_;
    if (std::none_of(inflight_.begin(), inflight_.end(), [id](const Pending& p) { return p.packet_id == id; })) {
      return id;
    }
  }
}

void SessionState::FillWindowLocked(io::Clock::time_point now) {
  while (link_.conn != nullptr && !queued_.empty() && inflight_.size() < link_.send_quota) {
    Pending p = std::move(queued_.front());
    queued_.pop_front();
    if (p.msg.Expired(now)) continue;  // Message Expiry ran out while it waited (3.3.2.3.3)
    SendInFlightLocked(std::move(p), now);
  }
}

void SessionState::ResendLocked(io::Clock::time_point now) {
  // The new connection may allow smaller packets than the old one did.
  std::erase_if(inflight_, [&](Pending& p) {
    if (p.released) {
      WritePubrelLocked(p.packet_id);
      return false;
    }
    // Never on the wire and past its Message Expiry: onward delivery never
    // started, so the copy goes (3.3.2.3.3), as a queued one would.
    if (!p.sent && p.msg.Expired(now)) return true;
    const Written w = WritePendingLocked(p, p.sent, now);
    if (w == Written::kYes) p.sent = true;
    return w == Written::kTooLarge;
  });
}

// ---- the serving connection ------------------------------------------------

void SessionState::Attach(Link link, const pm::Connack& connack) {
  std::lock_guard lock(mu_);
  link_ = std::move(link);
  aliases_.clear();
  link_.conn->Write(64 + (connack.properties.assigned_client_identifier
                              ? connack.properties.assigned_client_identifier->size()
                              : 0),
                    [&](io::OutputBuffer& out) { pm::AppendConnack(out.bytes(), link_.version, connack); });
  const auto now = io::Clock::now();
  ResendLocked(now);
  FillWindowLocked(now);
}

bool SessionState::Detach(const Connection* conn) {
  std::lock_guard lock(mu_);
  if (link_.conn.get() != conn || conn == nullptr) return false;
  link_ = {};
  return true;
}

std::optional<Link> SessionState::DetachAny() {
  std::lock_guard lock(mu_);
  if (link_.conn == nullptr) return std::nullopt;
  Link old = std::move(link_);
  link_ = {};
  return old;
}

SessionState::Summary SessionState::Summarize() const {
  std::lock_guard lock(mu_);
  Summary out;
  out.client_id = client_id_;
  if (link_.conn != nullptr) {
    out.cid = link_.conn->id();
    out.ip = link_.conn->ip();
    out.port = link_.conn->port();
    out.version = link_.version;
  }
  out.subscriptions = subs_.size();
  out.inflight = inflight_.size();
  out.queued = queued_.size();
  out.incoming_qos2 = incoming_qos2_.size();
  out.dropped = dropped_;
  return out;
}

bool SessionState::attached() const {
  std::lock_guard lock(mu_);
  return link_.conn != nullptr;
}

void SessionState::OnPuback(const Connection* conn, uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (link_.conn.get() != conn) return;
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Pending& p) { return p.packet_id == packet_id && p.msg.qos == 1; });
  if (it == inflight_.end()) return;
  inflight_.erase(it);
  FillWindowLocked(io::Clock::now());
}

bool SessionState::OnPubrec(const Connection* conn, uint16_t packet_id, pm::ReasonCode reason) {
  std::lock_guard lock(mu_);
  if (link_.conn.get() != conn) return true;
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Pending& p) { return p.packet_id == packet_id && p.msg.qos == 2; });
  if (it == inflight_.end()) return false;
  if (pm::IsError(reason)) {
    // The client refused it (4.3.3): the exchange ends here.
    inflight_.erase(it);
    FillWindowLocked(io::Clock::now());
    return true;
  }
  it->released = true;
  // Only the id matters from now on.
  it->msg = {};
  it->msg.qos = 2;
  WritePubrelLocked(packet_id);
  return true;
}

bool SessionState::OnPubcomp(const Connection* conn, uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (link_.conn.get() != conn) return true;
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Pending& p) { return p.packet_id == packet_id && p.released; });
  if (it == inflight_.end()) return false;
  inflight_.erase(it);
  FillWindowLocked(io::Clock::now());
  return true;
}

bool SessionState::BeginIncomingQos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  if (std::find(incoming_qos2_.begin(), incoming_qos2_.end(), packet_id) != incoming_qos2_.end()) return false;
  incoming_qos2_.push_back(packet_id);
  return true;
}

bool SessionState::ReleaseIncomingQos2(uint16_t packet_id) {
  std::lock_guard lock(mu_);
  auto it = std::find(incoming_qos2_.begin(), incoming_qos2_.end(), packet_id);
  if (it == incoming_qos2_.end()) return false;
  incoming_qos2_.erase(it);
  return true;
}

size_t SessionState::incoming_qos2() const {
  std::lock_guard lock(mu_);
  return incoming_qos2_.size();
}

// ---- subscriptions ---------------------------------------------------------

std::optional<SessionSubscription> SessionState::Replace(SessionSubscription sub) {
  std::lock_guard lock(mu_);
  std::optional<SessionSubscription> old;
  auto it = subs_.find(sub.filter);
  if (it != subs_.end()) {
    old = std::move(it->second);
    for (auto& c : old->core) c->live = false;
    if (!old->shared) --plain_subs_;
    subs_.erase(it);
  }
  if (!sub.shared) ++plain_subs_;
  auto [pos, inserted] = subs_.emplace(sub.filter, std::move(sub));
  for (auto& c : pos->second.core) {
    c->record = &pos->second;
    c->live = true;
  }
  return old;
}

std::optional<SessionSubscription> SessionState::Remove(std::string_view filter) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(filter);
  if (it == subs_.end()) return std::nullopt;
  SessionSubscription old = std::move(it->second);
  for (auto& c : old.core) c->live = false;
  if (!old.shared) --plain_subs_;
  subs_.erase(it);
  return old;
}

std::vector<SessionSubscription> SessionState::ListSubscriptions() const {
  std::lock_guard lock(mu_);
  std::vector<SessionSubscription> list;
  list.reserve(subs_.size());
  for (const auto& [filter, sub] : subs_) list.push_back(sub);
  return list;
}

std::vector<SessionSubscription> SessionState::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<SessionSubscription> all;
  for (auto& [filter, sub] : subs_) {
    for (auto& c : sub.core) c->live = false;
    all.push_back(std::move(sub));
  }
  subs_.clear();
  plain_subs_ = 0;
  inflight_.clear();
  queued_.clear();
  incoming_qos2_.clear();
  return all;
}

void SessionState::SetWill(std::optional<Will> will) {
  std::lock_guard lock(mu_);
  will_ = std::move(will);
}

std::optional<SessionState::Will> SessionState::TakeWill() {
  std::lock_guard lock(mu_);
  std::optional<Will> will = std::move(will_);
  will_.reset();
  return will;
}

}  // namespace tern::server::mqtt
