// The MQTT control packets as plain structs, the same for decoding and
// encoding, for 3.1, 3.1.1 and 5.0 alike (fields 3.1.1 lacks stay empty and
// are not written for it). Strings are views: into the decoder's input or
// split buffer for a decoded packet, into the caller's data for one to
// encode. Optional properties are std::optional so that "absent" and "sent
// with its default value" stay apart, as a re-encode must keep them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "proto/mqtt/list.h"
#include "proto/mqtt/reason_code.h"
#include "proto/mqtt/types.h"

namespace tern::proto::mqtt {

struct WillProperties {
  std::optional<uint32_t> will_delay_interval;
  std::optional<uint8_t> payload_format_indicator;  // 0: bytes, 1: UTF-8
  std::optional<uint32_t> message_expiry_interval;
  std::optional<std::string_view> content_type;
  std::optional<std::string_view> response_topic;
  std::optional<std::string_view> correlation_data;
  List<StringPair> user_properties;
  bool operator==(const WillProperties&) const = default;
};

struct Will {
  std::string_view topic;
  std::string_view payload;
  Qos qos = Qos::kAtMostOnce;
  bool retain = false;
  WillProperties properties;
  bool operator==(const Will&) const = default;
};

struct ConnectProperties {
  std::optional<uint32_t> session_expiry_interval;
  std::optional<uint16_t> receive_maximum;
  std::optional<uint32_t> maximum_packet_size;
  std::optional<uint16_t> topic_alias_maximum;
  std::optional<uint8_t> request_response_information;
  std::optional<uint8_t> request_problem_information;
  std::optional<std::string_view> authentication_method;
  std::optional<std::string_view> authentication_data;
  List<StringPair> user_properties;
  bool operator==(const ConnectProperties&) const = default;
};

struct Connect {
  Version version = Version::kV5;
  bool clean_start = true;  // "Clean Session" before 5.0
  uint16_t keep_alive = 0;  // seconds; 0: no keep alive
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;  // binary data
  ConnectProperties properties;
  bool operator==(const Connect&) const = default;
};

struct ConnackProperties {
  std::optional<uint32_t> session_expiry_interval;
  std::optional<uint16_t> receive_maximum;
  std::optional<uint8_t> maximum_qos;
  std::optional<uint8_t> retain_available;
  std::optional<uint32_t> maximum_packet_size;
  std::optional<std::string_view> assigned_client_identifier;
  std::optional<uint16_t> topic_alias_maximum;
  std::optional<std::string_view> reason_string;
  std::optional<uint8_t> wildcard_subscription_available;
  std::optional<uint8_t> subscription_identifier_available;
  std::optional<uint8_t> shared_subscription_available;
  std::optional<uint16_t> server_keep_alive;
  std::optional<std::string_view> response_information;
  std::optional<std::string_view> server_reference;
  std::optional<std::string_view> authentication_method;
  std::optional<std::string_view> authentication_data;
  List<StringPair> user_properties;
  bool operator==(const ConnackProperties&) const = default;
};

// For 3.1.1 `reason` is the 5.0 code the return code stands for (see
// reason_code.h); properties stay empty.
struct Connack {
  bool session_present = false;
  ReasonCode reason = ReasonCode::kSuccess;
  ConnackProperties properties;
  bool operator==(const Connack&) const = default;
};

struct PublishProperties {
  std::optional<uint8_t> payload_format_indicator;
  std::optional<uint32_t> message_expiry_interval;
  std::optional<uint16_t> topic_alias;
  std::optional<std::string_view> response_topic;
  std::optional<std::string_view> correlation_data;
  std::optional<std::string_view> content_type;
  List<StringPair> user_properties;
  // Only from a server: one per subscription the message matched.
  List<uint32_t> subscription_identifiers;
  bool operator==(const PublishProperties&) const = default;
};

struct Publish {
  std::string_view topic;  // may be empty in 5.0 when a topic alias stands for it
  std::string_view payload;
  uint16_t packet_id = 0;  // QoS 1 and 2 only
  Qos qos = Qos::kAtMostOnce;
  bool dup = false;
  bool retain = false;
  PublishProperties properties;
  bool operator==(const Publish&) const = default;
};

// The properties of the acknowledgements: PUBACK, PUBREC, PUBREL, PUBCOMP,
// SUBACK and UNSUBACK carry only these two.
struct AckProperties {
  std::optional<std::string_view> reason_string;
  List<StringPair> user_properties;
  bool operator==(const AckProperties&) const = default;
};

// PUBACK, PUBREC, PUBREL or PUBCOMP, as `type` says.
struct PubAck {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  AckProperties properties;
  bool operator==(const PubAck&) const = default;
};

// One topic filter of a SUBSCRIBE with its options (3.8.3.1). Before 5.0
// only `qos` exists.
struct Subscription {
  std::string_view filter;
  Qos qos = Qos::kAtMostOnce;
  bool no_local = false;
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::kSendOnSubscribe;
  bool operator==(const Subscription&) const = default;
};

struct SubscribeProperties {
  std::optional<uint32_t> subscription_identifier;
  List<StringPair> user_properties;
  bool operator==(const SubscribeProperties&) const = default;
};

struct Subscribe {
  uint16_t packet_id = 0;
  SubscribeProperties properties;
  List<Subscription> subscriptions;  // at least one
  bool operator==(const Subscribe&) const = default;
};

// For 3.1.1 the reasons are 0, 1, 2 or kUnspecifiedError (its 0x80).
struct Suback {
  uint16_t packet_id = 0;
  AckProperties properties;
  List<ReasonCode> reasons;  // one per filter of the SUBSCRIBE
  bool operator==(const Suback&) const = default;
};

struct UnsubscribeProperties {
  List<StringPair> user_properties;
  bool operator==(const UnsubscribeProperties&) const = default;
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  UnsubscribeProperties properties;
  List<std::string_view> filters;  // at least one
  bool operator==(const Unsubscribe&) const = default;
};

// 3.1.1's UNSUBACK has no reasons.
struct Unsuback {
  uint16_t packet_id = 0;
  AckProperties properties;
  List<ReasonCode> reasons;
  bool operator==(const Unsuback&) const = default;
};

struct PingReq {
  bool operator==(const PingReq&) const = default;
};

struct PingResp {
  bool operator==(const PingResp&) const = default;
};

struct DisconnectProperties {
  std::optional<uint32_t> session_expiry_interval;  // only from a client
  std::optional<std::string_view> reason_string;
  std::optional<std::string_view> server_reference;  // only from a server
  List<StringPair> user_properties;
  bool operator==(const DisconnectProperties&) const = default;
};

// 3.1.1's DISCONNECT is empty (and only clients send it).
struct Disconnect {
  ReasonCode reason = ReasonCode::kNormalDisconnection;
  DisconnectProperties properties;
  bool operator==(const Disconnect&) const = default;
};

struct AuthProperties {
  std::optional<std::string_view> authentication_method;
  std::optional<std::string_view> authentication_data;
  std::optional<std::string_view> reason_string;
  List<StringPair> user_properties;
  bool operator==(const AuthProperties&) const = default;
};

// 5.0 only.
struct Auth {
  ReasonCode reason = ReasonCode::kSuccess;
  AuthProperties properties;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, PubAck, Subscribe, Suback, Unsubscribe, Unsuback, PingReq,
                            PingResp, Disconnect, Auth>;

PacketType TypeOf(const Packet& packet);

}  // namespace tern::proto::mqtt
