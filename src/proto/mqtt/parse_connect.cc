// CONNECT (3.1) and CONNACK (3.2).
#include "proto/mqtt/decode_properties.h"
#include "proto/mqtt/parse.h"
#include "proto/mqtt/topic.h"

namespace tern::proto::mqtt {

bool ReadPacketId(Reader& r, uint16_t* id) {
  if (!r.U16(id)) return false;
  if (*id == 0) return r.Fail(ReasonCode::kProtocolError, "2.2.1: Packet Identifier of 0");
  return true;
}

bool ExpectEnd(Reader& r) {
  return r.empty() || r.Fail(ReasonCode::kMalformedPacket, "2.1.4: bytes after the last field of the packet");
}

namespace {

bool ReadProtocol(Reader& r, ConnectStage* stage) {
  std::string_view name;
  uint8_t level;
  if (!r.String(&name) || !r.U8(&level)) return false;
  // The name says which family; the level must agree with it. mosquitto
  // refuses a mismatch the same way: CONNACK "unacceptable protocol version".
  if (name == kProtocolName) {
    stage->name_known = true;
    if (level != 4 && level != 5) {
      return r.Fail(ReasonCode::kUnsupportedProtocolVersion, "3.1.2.2: protocol level not 4 or 5 for \"MQTT\"");
    }
  } else if (name == kProtocolNameV31) {
    stage->name_known = true;
    if (level != 3)
      return r.Fail(ReasonCode::kUnsupportedProtocolVersion, "3.1.2.2: protocol level not 3 for \"MQIsdp\"");
  } else {
    return r.Fail(ReasonCode::kUnsupportedProtocolVersion, "MQTT-3.1.2-1: protocol name is not \"MQTT\"");
  }
  stage->version = static_cast<Version>(level);
  return true;
}

bool CheckFlags(Reader& r, Version v, uint8_t flags) {
  if ((flags & kConnectReservedFlag) != 0) {
    return r.Fail(ReasonCode::kMalformedPacket, "MQTT-3.1.2-3: reserved CONNECT flag is set");
  }
  const bool will = (flags & kConnectWillFlag) != 0;
  const uint8_t will_qos = (flags & kConnectWillQosMask) >> kConnectWillQosShift;
  if (will_qos == 3) return r.Fail(ReasonCode::kMalformedPacket, "3.1.2.6: Will QoS of 3");
  // mosquitto lets 3.1 clients through here; 3.1.1 and 5.0 make it a rule.
  if (v != Version::kV31 && !will && (will_qos != 0 || (flags & kConnectWillRetainFlag) != 0)) {
    return r.Fail(ReasonCode::kMalformedPacket, "3.1.2.6: Will QoS or Will Retain set without the Will Flag");
  }
  if (v == Version::kV311 && (flags & kConnectPasswordFlag) != 0 && (flags & kConnectUsernameFlag) == 0) {
    return r.Fail(ReasonCode::kMalformedPacket, "MQTT-3.1.2-22: Password Flag without User Name Flag");
  }
  return true;
}

bool ReadWill(Reader& r, Version v, uint8_t flags, Will* will) {
  will->qos = static_cast<Qos>((flags & kConnectWillQosMask) >> kConnectWillQosShift);
  will->retain = (flags & kConnectWillRetainFlag) != 0;
  if (v == Version::kV5 && !ReadProperties(r, &will->properties)) return false;
  if (!r.String(&will->topic)) return false;
  if (!IsValidTopicName(will->topic)) {
    return r.Fail(ReasonCode::kTopicNameInvalid, "3.1.3.3: Will Topic is not a valid topic name");
  }
  return r.Binary(&will->payload);
}

}  // namespace

bool ParseConnect(Reader& r, ConnectStage* stage, Connect* out) {
  if (!ReadProtocol(r, stage)) return false;
  const Version v = stage->version;
  out->version = v;
  uint8_t flags;
  if (!r.U8(&flags) || !CheckFlags(r, v, flags) || !r.U16(&out->keep_alive)) return false;
  out->clean_start = (flags & kConnectCleanStartFlag) != 0;
  if (v == Version::kV5 && !ReadProperties(r, &out->properties)) return false;

  if (!r.String(&out->client_id)) return false;
  if (out->client_id.empty()) {
    if (v == Version::kV31) {
      return r.Fail(ReasonCode::kClientIdentifierNotValid, "MQTT 3.1: empty Client Identifier");
    }
    if (v == Version::kV311 && !out->clean_start) {
      return r.Fail(ReasonCode::kClientIdentifierNotValid,
                    "MQTT-3.1.3-8: empty Client Identifier without Clean Session");
    }
  }
  if ((flags & kConnectWillFlag) != 0 && !ReadWill(r, v, flags, &out->will.emplace())) return false;
  // 3.1 clients may set a flag and leave its field out; mosquitto ignores the
  // flag then, and so does this.
  const bool lenient = v == Version::kV31;
  if ((flags & kConnectUsernameFlag) != 0 && !(lenient && r.empty())) {
    if (!r.String(&out->username.emplace())) return false;
  }
  if ((flags & kConnectPasswordFlag) != 0 && !(lenient && r.empty())) {
    if (!r.Binary(&out->password.emplace())) return false;
  }
  return ExpectEnd(r);
}

bool ParseConnack(Reader& r, Version v, Connack* out) {
  uint8_t flags;
  uint8_t code;
  if (!r.U8(&flags) || !r.U8(&code)) return false;
  if ((flags & 0xFE) != 0) return r.Fail(ReasonCode::kMalformedPacket, "3.2.2.1: reserved CONNACK flags are set");
  out->session_present = (flags & 1) != 0;
  if (v == Version::kV5) {
    out->reason = static_cast<ReasonCode>(code);
    if (!IsValidReasonFor(out->reason, PacketType::kConnack)) {
      return r.Fail(ReasonCode::kProtocolError, "3.2.2.2: reason code not allowed in CONNACK");
    }
    if (!ReadProperties(r, &out->properties)) return false;
  } else {
    const std::optional<ReasonCode> reason = FromConnackReturnCode(code);
    if (!reason) return r.Fail(ReasonCode::kMalformedPacket, "3.2.2.3: reserved CONNACK return code");
    out->reason = *reason;
  }
  if (out->session_present && out->reason != ReasonCode::kSuccess) {
    return r.Fail(ReasonCode::kProtocolError, "3.2.2.1.1: Session Present set with a refusal");
  }
  return ExpectEnd(r);
}

}  // namespace tern::proto::mqtt
