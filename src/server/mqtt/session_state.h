// The MQTT spec's Session State on the server (4.1): the subscriptions, the
// QoS 1/2 messages sent and not yet acknowledged (in flight), those waiting
// for a slot in the in-flight window (queued, also while no connection
// serves the session), the QoS 2 packet ids received and not yet released,
// and the Will. It outlives its connections: a client that reconnects with
// Clean Start off finds it again (session_registry.h).
//
// It is the core::Sink of its subscriptions, so delivery reaches it however
// many connections come and go. Threading: Deliver() runs on any worker;
// the serving connection's owner calls the rest. Everything mutable is
// under `mu_`. Lock order: registry, then mu_, then the connection's output
// lock (Connection::Write). Never call the router while holding mu_: a
// subscribe replays lingering messages into Deliver().
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/permissions.h"
#include "core/sink.h"
#include "core/subscription.h"
#include "proto/mqtt/packets.h"
#include "server/mqtt/message.h"

namespace tern::server {
class Connection;
class MqttSession;
}

namespace tern::server::mqtt {

class Broker;
struct SessionSubscription;

// The options of one MQTT subscription (3.8.3.1) and its identifier.
struct SubscriptionOptions {
  uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  proto::mqtt::RetainHandling retain_handling = proto::mqtt::RetainHandling::kSendOnSubscribe;
  uint32_t identifier = 0;  // 0: none
};

// One core subscription of an MQTT subscription: "a/#" needs two (a.> and a).
struct CoreSubscription : core::Subscription {
  const SessionSubscription* record = nullptr;  // valid while `live`
  bool live = false;                            // under the session's mu_
  bool shared = false;                          // $share/...: a queue group
  bool skips_dollar = false;                    // the filter starts with a wildcard (MQTT-4.7.2-1)
  // Set when a subscribe deny of the user lies within this wildcard: the
  // subjects it denies are not delivered (as nats-server filters them).
  // Fixed before the router sees the subscription.
  core::PermissionsPtr deny_filter;
};

// One MQTT subscription as the client made it.
struct SessionSubscription {
  std::string filter;  // as sent, $share/group/ prefix included
  SubscriptionOptions options;
  bool shared = false;
  std::vector<std::shared_ptr<CoreSubscription>> core;
};

// What the connection now serving the session asked for in its CONNECT.
struct Link {
  std::shared_ptr<Connection> conn;
  MqttSession* session = nullptr;  // lives as long as conn
  proto::mqtt::Version version = proto::mqtt::Version::kV311;
  uint16_t send_quota = 65535;    // in flight to the client: min(its Receive Maximum, mqtt.max_inflight)
  uint32_t max_packet_size = 0;   // the client's Maximum Packet Size; 0: the protocol's
  uint16_t topic_alias_max = 0;   // aliases the client accepts from us
};

class SessionState final : public core::Sink {
 public:
  SessionState(Broker& broker, std::string client_id, uint64_t id);
  ~SessionState() override;

  // core::Sink: any thread.
  bool Deliver(const core::Subscription& sub, const core::Message& msg) override;
  uint64_t sink_id() const override { return id_; }

  const std::string& client_id() const { return client_id_; }

  // ---- the serving connection ----------------------------------------------

  // Serves the session on `link`: the CONNACK goes first, then what is in
  // flight again (PUBLISH with DUP, or PUBREL) and what is queued, so a
  // delivery racing the attach cannot overtake the CONNACK.
  void Attach(Link link, const proto::mqtt::Connack& connack);
  // Ends service by `conn` if it still serves. Returns whether it did.
  bool Detach(const Connection* conn);
  // Ends service by whichever connection serves (a takeover), returning it.
  std::optional<Link> DetachAny();
  bool attached() const;

  // Acknowledgements from `conn` for messages sent to it. PUBREC returns
  // whether the packet id was in flight (a 5.0 client gets 0x92 otherwise).
  void OnPuback(const Connection* conn, uint16_t packet_id);
  bool OnPubrec(const Connection* conn, uint16_t packet_id, proto::mqtt::ReasonCode reason);
  bool OnPubcomp(const Connection* conn, uint16_t packet_id);

  // QoS 2 publishes from the client (4.3.3): true when `packet_id` is new
  // (publish it), false when it is a resend of one not yet released.
  bool BeginIncomingQos2(uint16_t packet_id);
  bool ReleaseIncomingQos2(uint16_t packet_id);
  size_t incoming_qos2() const;

  // ---- subscriptions (the serving connection's owner) --------------------------

  // Puts `sub` in place of any subscription with the same filter and
  // returns the one it replaced (whose core subscriptions the caller ends).
  std::optional<SessionSubscription> Replace(SessionSubscription sub);
  std::optional<SessionSubscription> Remove(std::string_view filter);
  // A copy of every subscription, in filter order (its core subscriptions
  // shared, not copied).
  std::vector<SessionSubscription> ListSubscriptions() const;
  // Everything, for the end of the session.
  std::vector<SessionSubscription> TakeAll();
  // One retained message for a subscription just made.
  void DeliverRetained(const SubscriptionOptions& options, const StoredMessage& msg);

  // ---- the Will and expiry (the registry, under its lock) --------------------------

  struct Will {
    StoredMessage message;
    uint32_t delay = 0;  // seconds (5.0 Will Delay Interval)
  };
  void SetWill(std::optional<Will> will);
  std::optional<Will> TakeWill();
  uint32_t expiry_interval = 0;  // seconds; UINT32_MAX: never
  io::Clock::time_point will_at{};    // detached: when the Will goes
  io::Clock::time_point expire_at{};  // detached: when the session ends

  uint64_t dropped() const;

  // What the session holds now, for /mqttz.
  struct Summary {
    std::string client_id;
    uint64_t cid = 0;  // the serving connection; 0 when none serves it
    std::string ip;
    int port = 0;
    proto::mqtt::Version version = proto::mqtt::Version::kUnknown;
    size_t subscriptions = 0;
    size_t inflight = 0;  // sent at QoS 1/2, not yet acknowledged
    size_t queued = 0;    // waiting for room in the client's Receive Maximum, or for a connection
    size_t incoming_qos2 = 0;
    uint64_t dropped = 0;
  };
  Summary Summarize() const;

 private:
  // A QoS 1/2 message in flight or queued, with how it goes out.
  struct Pending {
    StoredMessage msg;  // qos and retain are the delivered ones
    std::vector<uint32_t> identifiers;
    uint16_t packet_id = 0;
    bool released = false;  // QoS 2: PUBREC received, PUBREL sent
    // A connection took the PUBLISH once: a resend carries DUP. One whose
    // only write was refused (its connection closing) goes again as new.
    bool sent = false;
  };

  // Under mu_.
  bool SendLocked(const core::Message& msg, uint8_t qos, bool retain, std::span<const uint32_t> identifiers,
                  io::Clock::time_point now);
  enum class Written : uint8_t {
    kYes,
    kRefused,   // the connection would not take it (closing, slow consumer)
    kTooLarge,  // over the client's Maximum Packet Size: dropped as if sent (MQTT-3.1.2-25)
  };
  // Encodes and writes one PUBLISH.
  Written WritePublishLocked(const core::Message& msg, uint8_t qos, bool retain, bool dup, uint16_t packet_id,
                          std::span<const uint32_t> identifiers, std::optional<uint32_t> expiry_left);
  bool WritePubrelLocked(uint16_t packet_id);
  void ResendLocked(io::Clock::time_point now);
  void FillWindowLocked(io::Clock::time_point now);
  Written WritePendingLocked(const Pending& p, bool dup, io::Clock::time_point now);
  // Puts `p` in flight and sends it; one too large for the client leaves
  // the window at once.
  void SendInFlightLocked(Pending p, io::Clock::time_point now);
  uint16_t NextPacketIdLocked();
  bool Fits(const proto::mqtt::Publish& publish) const;

  Broker& broker_;
  const std::string client_id_;
  const uint64_t id_;

  mutable std::mutex mu_;
  Link link_;
  std::map<std::string, SessionSubscription, std::less<>> subs_;
  size_t plain_subs_ = 0;  // entries of subs_ that are not $share
  std::deque<Pending> inflight_;  // in send order, for redelivery in order
  std::deque<Pending> queued_;
  std::vector<uint16_t> incoming_qos2_;
  uint16_t last_packet_id_ = 0;
  std::optional<Will> will_;
  uint64_t dropped_ = 0;
  // Per connection: topic -> alias for outgoing PUBLISH (5.0).
  std::unordered_map<std::string, uint16_t> aliases_;
  Outbound outbound_;
  std::string encode_scratch_;
  std::vector<uint32_t> ids_scratch_;
};

}  // namespace tern::server::mqtt
