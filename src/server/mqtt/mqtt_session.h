// MQTT 3.1, 3.1.1 and 5.0 on a Connection: the CONNECT checks, keep alive,
// PUBLISH in (QoS 0/1/2, topic aliases, retained), the acknowledgements of
// what the session sent, SUBSCRIBE/UNSUBSCRIBE, DISCONNECT and the Will.
// Framing is proto::mqtt::Decoder; the session's lasting state (what a
// reconnect finds again) is a SessionState, which is also what delivery
// reaches, so this class holds only what lives as long as the connection.
//
// Threading: the connection's owner thread only; TakenOver() is posted
// there by the worker that took the session over.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/permissions.h"
#include "proto/mqtt/decoder.h"
#include "proto/mqtt/packets.h"
#include "server/auth/authenticator.h"
#include "server/mqtt/message.h"
#include "server/session.h"

namespace tern::server {

class Connection;
class Server;
class Worker;

namespace mqtt {
class Broker;
class SessionState;
struct SessionSubscription;
struct SubscriptionOptions;
}  // namespace mqtt

class MqttSession final : public Session {
 public:
  explicit MqttSession(Connection& conn);
  ~MqttSession() override;

  void OnOpen() override;
  void OnInput(char* data, size_t size) override;
  void OnTimer(io::Clock::time_point now) override;
  void OnClose(CloseReason reason) override;
  void ReleaseIdleMemory() override { decoder_.ShrinkIfIdle(); }
  // Listed in /connz as nats-server lists its MQTT clients: type "mqtt",
  // the client id as mqtt_client.
  bool monitored() const override { return true; }
  void Describe(ConnInfo* info, bool with_subs) const override;
  // A reload: a client whose credentials no longer hold is closed (5.0:
  // DISCONNECT 0x87); one whose permissions changed keeps only the
  // subscriptions they still allow.
  void OnAuthChanged() override;
  // 5.0 clients get DISCONNECT 0x8B (Server shutting down), as from mosquitto.
  void OnServerStopping() override;

  // A CONNECT with this client id, here or on another worker, has the
  // session now: DISCONNECT 0x8E (5.0) and close.
  void TakenOver();

 private:
  void Handle(const proto::mqtt::Packet& packet);
  void OnConnect(const proto::mqtt::Connect& connect);
  void OnPublish(const proto::mqtt::Publish& publish);
  void OnAck(const proto::mqtt::PubAck& ack);
  void OnSubscribe(const proto::mqtt::Subscribe& subscribe);
  void OnUnsubscribe(const proto::mqtt::Unsubscribe& unsubscribe);
  void OnDisconnect(const proto::mqtt::Disconnect& disconnect);

  // A CONNECT that passed its checks, copied out of the input buffer, while
  // its credentials are checked (off the loop when that is bcrypt).
  struct AcceptedConnect;
  // The reason a CONNECT is refused with, or kSuccess.
  proto::mqtt::ReasonCode CheckConnect(const proto::mqtt::Connect& connect);
  void RefuseConnect(proto::mqtt::Version version, proto::mqtt::ReasonCode reason);
  void Authenticate(const proto::mqtt::Connect& connect);
  void FinishAuth(auth::Decision decision);
  // Opens (or resumes) the session and sends CONNACK.
  void Accept(AcceptedConnect accepted);
  void ApplyPermissions(const core::PermissionsPtr& permissions);
  // The publish check; false for a violation (logged and counted).
  bool MayPublish(std::string_view subject);
  // Runs every subscription of the session through the permissions in
  // force: those now denied are removed, the others re-made with their
  // delivery filter (a resumed session made by another user, a reload).
  void ReviewSubscriptions();
  // The core subscriptions for `filter` with `options`, or the SUBACK
  // failure reason.
  proto::mqtt::ReasonCode MakeSubscription(std::string_view filter, const mqtt::SubscriptionOptions& options,
                                           mqtt::SessionSubscription* record);
  // A protocol violation after CONNECT: DISCONNECT with `reason` for 5.0,
  // then close.
  void Fail(proto::mqtt::ReasonCode reason, CloseReason close, std::string_view why);
  void HoldInput(std::string_view input);
  void SendAck(proto::mqtt::PacketType type, uint16_t packet_id, proto::mqtt::ReasonCode reason);
  // One filter of a SUBSCRIBE: its SUBACK reason. A filter that wants the
  // retained messages adds itself to `retained_for`.
  proto::mqtt::ReasonCode SubscribeOne(const proto::mqtt::Subscription& sub, std::optional<uint32_t> identifier,
                                       std::vector<const proto::mqtt::Subscription*>* retained_for);
  void SendRetained(const proto::mqtt::Subscription& sub, std::optional<uint32_t> identifier);
  // Puts `record` in the session and in the router, ending the one it
  // replaces (returned).
  std::optional<mqtt::SessionSubscription> InstallSubscription(mqtt::SessionSubscription record);
  void EndCoreSubscriptions(const mqtt::SessionSubscription& sub);
  void Send(const proto::mqtt::Packet& packet);
  void ArmTimer();
  void Trace(std::string_view direction, const proto::mqtt::Packet& packet) const;
  std::string UserText() const;

  Connection& conn_;
  Worker& worker_;
  Server& server_;
  mqtt::Broker& broker_;
  proto::mqtt::Decoder decoder_;
  std::shared_ptr<mqtt::SessionState> state_;
  proto::mqtt::Version version_ = proto::mqtt::Version::kUnknown;
  bool opened_ = false;    // counted in current_connections
  bool will_on_close_ = true;  // a DISCONNECT 0x00 discards the Will
  std::chrono::milliseconds keep_alive_{0};  // 1.5 x the keep alive in force; 0: none
  io::Clock::time_point connect_deadline_{};  // until CONNECT
  io::Clock::time_point last_input_{};
  // Inbound Topic Aliases (3.3.2.3.4): alias -> topic, for this connection.
  std::unordered_map<uint16_t, std::string> topic_aliases_;
  mqtt::Inbound inbound_;

  // Who the client is (authorization): set once by FinishAuth.
  std::unique_ptr<AcceptedConnect> accepted_;  // while the check runs
  std::string held_;                           // input that came after CONNECT while the check ran
  std::string user_;
  auth::Via via_ = auth::Via::kOpen;
  uint64_t fingerprint_ = 0;
  bool system_ = false;           // may publish to _TERN.*
  bool ip_slot_ = false;          // counted in authorization.max_connections_per_ip
  bool user_slot_ = false;        // counted in the user's max_connections
  core::PublishCache pub_perms_;  // its permissions are the user's
  bool pub_restricted_ = false;
  bool sub_restricted_ = false;
};

}  // namespace tern::server
