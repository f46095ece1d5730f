// Writes a 5.0 property block (length, then the properties present, in
// identifier order) for each packet's property struct, into a Counter or a
// Writer. Internal to the codec.
#pragma once

#include <optional>
#include <string_view>
#include <type_traits>

#include "proto/mqtt/packets.h"
#include "proto/mqtt/properties.h"
#include "proto/mqtt/writer.h"

namespace tern::proto::mqtt::encode_internal {

template <typename W>
void Id(W& w, PropertyId id) {
  w.U8(static_cast<uint8_t>(id));  // every identifier fits in one byte
}

template <typename W>
void Byte(W& w, PropertyId id, const std::optional<uint8_t>& v) {
  if (!v) return;
  Id(w, id);
  w.U8(*v);
}
template <typename W>
void Two(W& w, PropertyId id, const std::optional<uint16_t>& v) {
  if (!v) return;
  Id(w, id);
  w.U16(*v);
}
template <typename W>
void Four(W& w, PropertyId id, const std::optional<uint32_t>& v) {
  if (!v) return;
  Id(w, id);
  w.U32(*v);
}
template <typename W>
void Str(W& w, PropertyId id, const std::optional<std::string_view>& v) {
  if (!v) return;
  Id(w, id);
  w.String(*v);
}
template <typename W>
void Bin(W& w, PropertyId id, const std::optional<std::string_view>& v) {
  if (!v) return;
  Id(w, id);
  w.Binary(*v);
}
template <typename W>
void Users(W& w, const List<StringPair>& pairs) {
  for (const StringPair p : pairs) {
    Id(w, PropertyId::kUserProperty);
    w.String(p.name);
    w.String(p.value);
  }
}

template <typename W>
void Fields(W& w, const WillProperties& p) {
  Byte(w, PropertyId::kPayloadFormatIndicator, p.payload_format_indicator);
  Four(w, PropertyId::kMessageExpiryInterval, p.message_expiry_interval);
  Str(w, PropertyId::kContentType, p.content_type);
  Str(w, PropertyId::kResponseTopic, p.response_topic);
  Bin(w, PropertyId::kCorrelationData, p.correlation_data);
  Four(w, PropertyId::kWillDelayInterval, p.will_delay_interval);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const ConnectProperties& p) {
  Four(w, PropertyId::kSessionExpiryInterval, p.session_expiry_interval);
  Str(w, PropertyId::kAuthenticationMethod, p.authentication_method);
  Bin(w, PropertyId::kAuthenticationData, p.authentication_data);
  Byte(w, PropertyId::kRequestProblemInformation, p.request_problem_information);
  Byte(w, PropertyId::kRequestResponseInformation, p.request_response_information);
  Two(w, PropertyId::kReceiveMaximum, p.receive_maximum);
  Two(w, PropertyId::kTopicAliasMaximum, p.topic_alias_maximum);
  Four(w, PropertyId::kMaximumPacketSize, p.maximum_packet_size);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const ConnackProperties& p) {
  Four(w, PropertyId::kSessionExpiryInterval, p.session_expiry_interval);
  Str(w, PropertyId::kAssignedClientIdentifier, p.assigned_client_identifier);
  Two(w, PropertyId::kServerKeepAlive, p.server_keep_alive);
  Str(w, PropertyId::kAuthenticationMethod, p.authentication_method);
  Bin(w, PropertyId::kAuthenticationData, p.authentication_data);
  Str(w, PropertyId::kResponseInformation, p.response_information);
  Str(w, PropertyId::kServerReference, p.server_reference);
  Str(w, PropertyId::kReasonString, p.reason_string);
  Two(w, PropertyId::kReceiveMaximum, p.receive_maximum);
  Two(w, PropertyId::kTopicAliasMaximum, p.topic_alias_maximum);
  Byte(w, PropertyId::kMaximumQos, p.maximum_qos);
  Byte(w, PropertyId::kRetainAvailable, p.retain_available);
  Four(w, PropertyId::kMaximumPacketSize, p.maximum_packet_size);
  Byte(w, PropertyId::kWildcardSubscriptionAvailable, p.wildcard_subscription_available);
  Byte(w, PropertyId::kSubscriptionIdentifierAvailable, p.subscription_identifier_available);
  Byte(w, PropertyId::kSharedSubscriptionAvailable, p.shared_subscription_available);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const PublishProperties& p) {
  Byte(w, PropertyId::kPayloadFormatIndicator, p.payload_format_indicator);
  Four(w, PropertyId::kMessageExpiryInterval, p.message_expiry_interval);
  Str(w, PropertyId::kContentType, p.content_type);
  Str(w, PropertyId::kResponseTopic, p.response_topic);
  Bin(w, PropertyId::kCorrelationData, p.correlation_data);
  for (const uint32_t id : p.subscription_identifiers) {
    Id(w, PropertyId::kSubscriptionIdentifier);
    w.VarInt(id);
  }
  Two(w, PropertyId::kTopicAlias, p.topic_alias);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const AckProperties& p) {
  Str(w, PropertyId::kReasonString, p.reason_string);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const SubscribeProperties& p) {
  if (p.subscription_identifier) {
    Id(w, PropertyId::kSubscriptionIdentifier);
    w.VarInt(*p.subscription_identifier);
  }
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const UnsubscribeProperties& p) {
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const DisconnectProperties& p) {
  Four(w, PropertyId::kSessionExpiryInterval, p.session_expiry_interval);
  Str(w, PropertyId::kServerReference, p.server_reference);
  Str(w, PropertyId::kReasonString, p.reason_string);
  Users(w, p.user_properties);
}

template <typename W>
void Fields(W& w, const AuthProperties& p) {
  Str(w, PropertyId::kAuthenticationMethod, p.authentication_method);
  Bin(w, PropertyId::kAuthenticationData, p.authentication_data);
  Str(w, PropertyId::kReasonString, p.reason_string);
  Users(w, p.user_properties);
}

// The block: its length as a Variable Byte Integer, then the properties.
// The length needs one walk of the properties; a Counter takes its size
// from that walk rather than making a second.
template <typename W, typename Props>
void Properties(W& w, const Props& p) {
  Counter c;
  Fields(c, p);
  w.VarInt(static_cast<uint32_t>(c.size() > kMaxVarInt ? kMaxVarInt + 1 : c.size()));
  if constexpr (std::is_same_v<W, Counter>) {
    w.Add(c);
  } else {
    Fields(w, p);
  }
}

// Whether a block would hold anything; the short forms of the
// acknowledgements need none.
template <typename Props>
bool HasProperties(const Props& p) {
  Counter c;
  Fields(c, p);
  return c.size() != 0;
}

}  // namespace tern::proto::mqtt::encode_internal
