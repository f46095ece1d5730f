// DISCONNECT (3.14) and AUTH (3.15), whose 5.0 forms may leave out the
// reason code and the properties.
#include "proto/mqtt/decode_properties.h"
#include "proto/mqtt/parse.h"

namespace tern::proto::mqtt {

bool ParseDisconnect(Reader& r, Role role, Version v, Disconnect* out) {
  // 3.1.1: no body at all, which the header check already made sure of.
  if (v != Version::kV5 || r.empty()) return ExpectEnd(r);
  uint8_t code;
  if (!r.U8(&code)) return false;
  out->reason = static_cast<ReasonCode>(code);
  if (!IsValidReasonFor(out->reason, PacketType::kDisconnect)) {
    return r.Fail(ReasonCode::kProtocolError, "3.14.2.1: reason code not allowed in DISCONNECT");
  }
  if (r.empty()) return true;  // 3.14.2.2: Remaining Length 1 means no properties
  return ReadProperties(r, role, &out->properties) && ExpectEnd(r);
}

bool ParseAuth(Reader& r, Auth* out) {
  if (r.empty()) return true;  // 3.15.2.1: Remaining Length 0 means Success, no properties
  uint8_t code;
  if (!r.U8(&code)) return false;
  out->reason = static_cast<ReasonCode>(code);
  if (!IsValidReasonFor(out->reason, PacketType::kAuth)) {
    return r.Fail(ReasonCode::kProtocolError, "3.15.2.1: reason code not allowed in AUTH");
  }
  if (r.empty()) return true;
  return ReadProperties(r, &out->properties) && ExpectEnd(r);
}

}  // namespace tern::proto::mqtt
