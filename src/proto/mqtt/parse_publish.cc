// PUBLISH (3.3) and its acknowledgements PUBACK, PUBREC, PUBREL, PUBCOMP
// (3.4-3.7).
#include "proto/mqtt/decode_properties.h"
#include "proto/mqtt/parse.h"
#include "proto/mqtt/topic.h"

namespace tern::proto::mqtt {

bool ParsePublish(Reader& r, Role role, Version v, uint8_t flags, Publish* out) {
  out->dup = (flags & kPublishDupFlag) != 0;
  out->retain = (flags & kPublishRetainFlag) != 0;
  out->qos = static_cast<Qos>((flags & kPublishQosMask) >> kPublishQosShift);  // 3 was refused on the header
  if (!r.String(&out->topic)) return false;
  // EMQX answers a wildcard in a topic name with this code; it is the one
  // that names the field.
  if (HasWildcard(out->topic)) return r.Fail(ReasonCode::kTopicNameInvalid, "MQTT-3.3.2-2: wildcard in topic name");
  if (out->qos != Qos::kAtMostOnce && !ReadPacketId(r, &out->packet_id)) return false;
  if (v == Version::kV5 && !ReadProperties(r, role, &out->properties)) return false;
  if (out->topic.empty() && !out->properties.topic_alias) {
    return r.Fail(ReasonCode::kProtocolError, v == Version::kV5 ? "3.3.2.3.4: empty topic name without a Topic Alias"
                                                                : "MQTT-4.7.3-1: empty topic name");
  }
  // A client's DUP on QoS 0 breaks MQTT-3.3.1-2, but the spec gives the
  // receiver nothing to do about it; like mosquitto, it is let through.
  out->payload = r.Rest();
  return true;
}

bool ParsePubAck(Reader& r, Version v, PacketType type, PubAck* out) {
  out->type = type;
  if (!ReadPacketId(r, &out->packet_id)) return false;
  // 5.0 lets the reason code and the properties go when there is nothing to
  // say (3.4.2.1: Remaining Length 2 means Success, no properties).
  if (v != Version::kV5 || r.empty()) return ExpectEnd(r);
  uint8_t code;
  if (!r.U8(&code)) return false;
  out->reason = static_cast<ReasonCode>(code);
  if (!IsValidReasonFor(out->reason, type)) {
    return r.Fail(ReasonCode::kProtocolError, "3.4.2.1: reason code not allowed in this acknowledgement");
  }
  if (r.empty()) return true;
  return ReadProperties(r, ScopeOf(type), &out->properties) && ExpectEnd(r);
}

}  // namespace tern::proto::mqtt
