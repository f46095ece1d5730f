// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (3.8-3.11). The lists are checked
// entry by entry here and then kept as views of the payload.
#include "proto/mqtt/decode_properties.h"
#include "proto/mqtt/parse.h"
#include "proto/mqtt/topic.h"

namespace tern::proto::mqtt {
namespace {

bool CheckOptions(Reader& r, Version v, uint8_t options) {
  if ((options & kSubscribeQosMask) == 3) return r.Fail(ReasonCode::kMalformedPacket, "3.8.3.1: subscription QoS of 3");
  if (v != Version::kV5) {
    if ((options & ~kSubscribeQosMask) != 0) {
      return r.Fail(ReasonCode::kMalformedPacket, "MQTT-3.8.3-4: reserved subscription option bits are set");
    }
    return true;
  }
  if ((options & kSubscribeReservedMask) != 0) {
    return r.Fail(ReasonCode::kMalformedPacket, "MQTT-3.8.3-5: reserved subscription option bits are set");
  }
  if ((options & kSubscribeRetainHandlingMask) >> kSubscribeRetainHandlingShift == 3) {
    return r.Fail(ReasonCode::kProtocolError, "3.8.3.1: Retain Handling of 3");
  }
  return true;
}

bool CheckFilter(Reader& r, std::string_view filter) {
  if (IsValidTopicFilter(filter)) return true;
  return r.Fail(ReasonCode::kTopicFilterInvalid, IsSharedSubscription(filter)
                                                     ? "MQTT-4.8.2-2: malformed $share/{ShareName}/{filter}"
                                                     : "4.7.1: misplaced wildcard or empty topic filter");
}

// A SUBACK's or UNSUBACK's reason codes: all that is left of the packet.
bool ReadReasons(Reader& r, Version v, PacketType type, List<ReasonCode>* out) {
  const std::string_view codes = r.Rest();
  if (codes.empty()) return r.Fail(ReasonCode::kProtocolError, "3.9.3: acknowledgement without reason codes");
  for (char c : codes) {
    const auto code = static_cast<uint8_t>(c);
    if (v == Version::kV5) {
      if (!IsValidReasonFor(static_cast<ReasonCode>(code), type)) {
        return r.Fail(ReasonCode::kProtocolError, "3.9.3: reason code not allowed in this acknowledgement");
      }
    } else if (code > 2 && code != 0x80) {
      return r.Fail(ReasonCode::kMalformedPacket, "MQTT-3.9.3-2: reserved SUBACK return code");
    }
  }
  *out = List<ReasonCode>::FromWire(codes, static_cast<uint32_t>(codes.size()));
  return true;
}

}  // namespace

bool ParseSubscribe(Reader& r, Version v, Subscribe* out) {
  if (!ReadPacketId(r, &out->packet_id)) return false;
  if (v == Version::kV5 && !ReadProperties(r, &out->properties)) return false;
  const std::string_view payload = r.Rest();
  Reader p(payload, r.fault());
  uint32_t count = 0;
  while (!p.empty()) {
    std::string_view filter;
    uint8_t options;
    if (!p.String(&filter) || !p.U8(&options) || !CheckOptions(p, v, options) || !CheckFilter(p, filter)) {
      return false;
    }
    if (v == Version::kV5 && (options & kSubscribeNoLocalFlag) != 0 && IsSharedSubscription(filter)) {
      return p.Fail(ReasonCode::kProtocolError, "MQTT-3.8.3-4: No Local on a shared subscription");
    }
    ++count;
  }
  if (count == 0) return r.Fail(ReasonCode::kProtocolError, "3.8.3: SUBSCRIBE without a topic filter");
  out->subscriptions = List<Subscription>::FromWire(payload, count);
  return true;
}

bool ParseSuback(Reader& r, Version v, Suback* out) {
  if (!ReadPacketId(r, &out->packet_id)) return false;
  if (v == Version::kV5 && !ReadProperties(r, PropertyScope::kSuback, &out->properties)) return false;
  return ReadReasons(r, v, PacketType::kSuback, &out->reasons);
}

bool ParseUnsubscribe(Reader& r, Version v, Unsubscribe* out) {
  if (!ReadPacketId(r, &out->packet_id)) return false;
  if (v == Version::kV5 && !ReadProperties(r, &out->properties)) return false;
  const std::string_view payload = r.Rest();
  Reader p(payload, r.fault());
  uint32_t count = 0;
  while (!p.empty()) {
    std::string_view filter;
    if (!p.String(&filter) || !CheckFilter(p, filter)) return false;
    ++count;
  }
  if (count == 0) return r.Fail(ReasonCode::kProtocolError, "3.10.3: UNSUBSCRIBE without a topic filter");
  out->filters = List<std::string_view>::FromWire(payload, count);
  return true;
}

bool ParseUnsuback(Reader& r, Version v, Unsuback* out) {
  if (!ReadPacketId(r, &out->packet_id)) return false;
  if (v != Version::kV5) return ExpectEnd(r);  // 3.1.1: the packet id is all of it
  if (!ReadProperties(r, PropertyScope::kUnsuback, &out->properties)) return false;
  return ReadReasons(r, v, PacketType::kUnsuback, &out->reasons);
}

}  // namespace tern::proto::mqtt
