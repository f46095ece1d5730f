#include "proto/mqtt/decode_properties.h"

#include "proto/mqtt/topic.h"

namespace tern::proto::mqtt {
namespace {

using Id = PropertyId;

// One property's value, whatever its type.
struct Value {
  uint32_t number = 0;
  std::string_view text;   // string or binary data; a pair's name
  std::string_view text2;  // a pair's value
};

bool ReadValue(Reader& r, PropertyType type, Value* v) {
  switch (type) {
    case PropertyType::kByte: {
      uint8_t b;
      if (!r.U8(&b)) return false;
      v->number = b;
      return true;
    }
    case PropertyType::kTwoByteInteger: {
      uint16_t n;
      if (!r.U16(&n)) return false;
      v->number = n;
      return true;
    }
    case PropertyType::kFourByteInteger:
      return r.U32(&v->number);
    case PropertyType::kVariableByteInteger:
      return r.VarInt(&v->number);
    case PropertyType::kUtf8String:
      return r.String(&v->text);
    case PropertyType::kUtf8StringPair:
      return r.String(&v->text) && r.String(&v->text2);
    case PropertyType::kBinaryData:
      return r.Binary(&v->text);
  }
  return false;
}

// Ranges the spec puts on single values, wherever they appear.
bool CheckValue(Reader& r, const PropertyInfo& info, const Value& v) {
  if (info.type == PropertyType::kByte && v.number > 1) {
    // Every byte property is a 0/1 flag (Maximum QoS too: 3.2.2.3.4).
    return r.Fail(ReasonCode::kProtocolError, "2.2.2.2: byte property other than 0 or 1");
  }
  switch (info.id) {
    case Id::kReceiveMaximum:
      if (v.number == 0) return r.Fail(ReasonCode::kProtocolError, "3.1.2.11.3: Receive Maximum of 0");
      break;
    case Id::kMaximumPacketSize:
      if (v.number == 0) return r.Fail(ReasonCode::kProtocolError, "3.1.2.11.4: Maximum Packet Size of 0");
      break;
    case Id::kTopicAlias:
      if (v.number == 0) return r.Fail(ReasonCode::kTopicAliasInvalid, "MQTT-3.3.2-8: Topic Alias of 0");
      break;
    case Id::kSubscriptionIdentifier:
      if (v.number == 0) return r.Fail(ReasonCode::kProtocolError, "3.3.2.3.8: Subscription Identifier of 0");
      break;
    case Id::kResponseTopic:
      if (!IsValidTopicName(v.text)) {
        return r.Fail(ReasonCode::kProtocolError, "3.3.2.3.5: Response Topic is not a valid topic name");
      }
      break;
    default:
      break;
  }
  return true;
}

uint8_t U8(const Value& v) { return static_cast<uint8_t>(v.number); }
uint16_t U16(const Value& v) { return static_cast<uint16_t>(v.number); }

// Per packet: store one single-valued property the table allowed there.
void Assign(ConnectProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kSessionExpiryInterval:
      p.session_expiry_interval = v.number;
      break;
    case Id::kReceiveMaximum:
      p.receive_maximum = U16(v);
      break;
    case Id::kMaximumPacketSize:
      p.maximum_packet_size = v.number;
      break;
    case Id::kTopicAliasMaximum:
      p.topic_alias_maximum = U16(v);
      break;
    case Id::kRequestResponseInformation:
      p.request_response_information = U8(v);
      break;
    case Id::kRequestProblemInformation:
      p.request_problem_information = U8(v);
      break;
    case Id::kAuthenticationMethod:
      p.authentication_method = v.text;
      break;
    case Id::kAuthenticationData:
      p.authentication_data = v.text;
      break;
    default:
      break;
  }
}

void Assign(WillProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kWillDelayInterval:
      p.will_delay_interval = v.number;
      break;
    case Id::kPayloadFormatIndicator:
      p.payload_format_indicator = U8(v);
      break;
    case Id::kMessageExpiryInterval:
      p.message_expiry_interval = v.number;
      break;
    case Id::kContentType:
      p.content_type = v.text;
      break;
    case Id::kResponseTopic:
      p.response_topic = v.text;
      break;
    case Id::kCorrelationData:
      p.correlation_data = v.text;
      break;
    default:
      break;
  }
}

void Assign(ConnackProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kSessionExpiryInterval:
      p.session_expiry_interval = v.number;
      break;
    case Id::kReceiveMaximum:
      p.receive_maximum = U16(v);
      break;
    case Id::kMaximumQos:
      p.maximum_qos = U8(v);
      break;
    case Id::kRetainAvailable:
      p.retain_available = U8(v);
      break;
    case Id::kMaximumPacketSize:
      p.maximum_packet_size = v.number;
      break;
    case Id::kAssignedClientIdentifier:
      p.assigned_client_identifier = v.text;
      break;
    case Id::kTopicAliasMaximum:
      p.topic_alias_maximum = U16(v);
      break;
    case Id::kReasonString:
      p.reason_string = v.text;
      break;
    case Id::kWildcardSubscriptionAvailable:
      p.wildcard_subscription_available = U8(v);
      break;
    case Id::kSubscriptionIdentifierAvailable:
      p.subscription_identifier_available = U8(v);
      break;
    case Id::kSharedSubscriptionAvailable:
      p.shared_subscription_available = U8(v);
      break;
    case Id::kServerKeepAlive:
      p.server_keep_alive = U16(v);
      break;
    case Id::kResponseInformation:
      p.response_information = v.text;
      break;
    case Id::kServerReference:
      p.server_reference = v.text;
      break;
    case Id::kAuthenticationMethod:
      p.authentication_method = v.text;
      break;
    case Id::kAuthenticationData:
      p.authentication_data = v.text;
      break;
    default:
      break;
  }
}

void Assign(PublishProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kPayloadFormatIndicator:
      p.payload_format_indicator = U8(v);
      break;
    case Id::kMessageExpiryInterval:
      p.message_expiry_interval = v.number;
      break;
    case Id::kTopicAlias:
      p.topic_alias = U16(v);
      break;
    case Id::kResponseTopic:
      p.response_topic = v.text;
      break;
    case Id::kCorrelationData:
      p.correlation_data = v.text;
      break;
    case Id::kContentType:
      p.content_type = v.text;
      break;
    default:
      break;
  }
}

void Assign(AckProperties& p, Id id, const Value& v) {
  if (id == Id::kReasonString) p.reason_string = v.text;
}

void Assign(SubscribeProperties& p, Id id, const Value& v) {
  if (id == Id::kSubscriptionIdentifier) p.subscription_identifier = v.number;
}

void Assign(UnsubscribeProperties&, Id, const Value&) {}

void Assign(DisconnectProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kSessionExpiryInterval:
      p.session_expiry_interval = v.number;
      break;
    case Id::kReasonString:
      p.reason_string = v.text;
      break;
    case Id::kServerReference:
      p.server_reference = v.text;
      break;
    default:
      break;
  }
}

void Assign(AuthProperties& p, Id id, const Value& v) {
  switch (id) {
    case Id::kAuthenticationMethod:
      p.authentication_method = v.text;
      break;
    case Id::kAuthenticationData:
      p.authentication_data = v.text;
      break;
    case Id::kReasonString:
      p.reason_string = v.text;
      break;
    default:
      break;
  }
}

// The loop every packet shares. The repeatable properties (User Property,
// and Subscription Identifier in PUBLISH) are only counted: their lists are
// views of the block, walked again when the caller iterates.
template <typename Props>
bool ReadBlock(Reader& r, PropertyScope scope, Props* out) {
  uint32_t length;
  if (!r.VarInt(&length)) return false;
  std::string_view block;
  if (!r.Bytes(length, &block)) return false;
  Reader b(block, r.fault());
  uint64_t seen = 0;  // bit per identifier (all are below 64)
  uint32_t user_properties = 0;
  uint32_t subscription_ids = 0;
  while (!b.empty()) {
    uint32_t raw_id;
    if (!b.VarInt(&raw_id)) return false;
    const PropertyInfo* info = FindProperty(raw_id);
    if (info == nullptr) return b.Fail(ReasonCode::kMalformedPacket, "2.2.2.2: unknown property identifier");
    if (!info->AllowedIn(scope)) {
      return b.Fail(ReasonCode::kProtocolError, "2.2.2.2: property not allowed in this packet");
    }
    const uint64_t bit = uint64_t{1} << raw_id;
    const bool repeatable = info->RepeatableIn(scope);
    if ((seen & bit) != 0 && !repeatable) {
      return b.Fail(ReasonCode::kProtocolError, "2.2.2.2: property included more than once");
    }
    seen |= bit;
    Value v;
    if (!ReadValue(b, info->type, &v) || !CheckValue(b, *info, v)) return false;
    if (info->id == Id::kUserProperty) {
      ++user_properties;
    } else if (repeatable) {
      ++subscription_ids;
    } else {
      Assign(*out, info->id, v);
    }
  }
  out->user_properties = List<StringPair>::FromWire(block, user_properties);
  if constexpr (requires { out->subscription_identifiers; }) {
    out->subscription_identifiers = List<uint32_t>::FromWire(block, subscription_ids);
  }
  return true;
}

}  // namespace

bool ReadProperties(Reader& r, ConnectProperties* out) {
  if (!ReadBlock(r, PropertyScope::kConnect, out)) return false;
  if (out->authentication_data && !out->authentication_method) {
    return r.Fail(ReasonCode::kProtocolError, "3.1.2.11.10: Authentication Data without Authentication Method");
  }
  return true;
}

bool ReadProperties(Reader& r, WillProperties* out) { return ReadBlock(r, PropertyScope::kWill, out); }

bool ReadProperties(Reader& r, ConnackProperties* out) { return ReadBlock(r, PropertyScope::kConnack, out); }

bool ReadProperties(Reader& r, Role role, PublishProperties* out) {
  if (!ReadBlock(r, PropertyScope::kPublish, out)) return false;
  if (role == Role::kServer && !out->subscription_identifiers.empty()) {
    return r.Fail(ReasonCode::kProtocolError, "MQTT-3.3.4-6: Subscription Identifier in a PUBLISH from a client");
  }
  return true;
}

bool ReadProperties(Reader& r, PropertyScope scope, AckProperties* out) { return ReadBlock(r, scope, out); }

bool ReadProperties(Reader& r, SubscribeProperties* out) { return ReadBlock(r, PropertyScope::kSubscribe, out); }

bool ReadProperties(Reader& r, UnsubscribeProperties* out) { return ReadBlock(r, PropertyScope::kUnsubscribe, out); }

bool ReadProperties(Reader& r, Role role, DisconnectProperties* out) {
  if (!ReadBlock(r, PropertyScope::kDisconnect, out)) return false;
  if (role == Role::kClient && out->session_expiry_interval) {
    return r.Fail(ReasonCode::kProtocolError, "MQTT-3.14.2-2: Session Expiry Interval in a DISCONNECT from a server");
  }
  return true;
}

bool ReadProperties(Reader& r, AuthProperties* out) { return ReadBlock(r, PropertyScope::kAuth, out); }

}  // namespace tern::proto::mqtt
