#include "proto/mqtt/reason_code.h"

#include <array>

namespace tern::proto::mqtt {
namespace {

constexpr uint16_t Bit(PacketType t) { return static_cast<uint16_t>(1u << static_cast<unsigned>(t)); }

constexpr uint16_t kConnack = Bit(PacketType::kConnack);
constexpr uint16_t kPuback = Bit(PacketType::kPuback);
constexpr uint16_t kPubrec = Bit(PacketType::kPubrec);
constexpr uint16_t kPubrel = Bit(PacketType::kPubrel);
constexpr uint16_t kPubcomp = Bit(PacketType::kPubcomp);
constexpr uint16_t kSuback = Bit(PacketType::kSuback);
constexpr uint16_t kUnsuback = Bit(PacketType::kUnsuback);
constexpr uint16_t kDisconnect = Bit(PacketType::kDisconnect);
constexpr uint16_t kAuth = Bit(PacketType::kAuth);
constexpr uint16_t kAll = kConnack | kPuback | kPubrec | kPubrel | kPubcomp | kSuback | kUnsuback | kDisconnect | kAuth;

struct ReasonInfo {
  uint8_t code;
  uint16_t packets;
  std::string_view name;
};

// Section 2.4, table 2-6, in code order.
constexpr ReasonInfo kReasons[] = {
    {0x00, kAll, "Success"},
    {0x01, kSuback, "Granted QoS 1"},
    {0x02, kSuback, "Granted QoS 2"},
    {0x04, kDisconnect, "Disconnect with Will Message"},
    {0x10, kPuback | kPubrec, "No matching subscribers"},
    {0x11, kUnsuback, "No subscription existed"},
    {0x18, kAuth, "Continue authentication"},
    {0x19, kAuth, "Re-authenticate"},
    {0x80, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect, "Unspecified error"},
    {0x81, kConnack | kDisconnect, "Malformed Packet"},
    {0x82, kConnack | kDisconnect, "Protocol Error"},
    {0x83, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect, "Implementation specific error"},
    {0x84, kConnack, "Unsupported Protocol Version"},
    {0x85, kConnack, "Client Identifier not valid"},
    {0x86, kConnack, "Bad User Name or Password"},
    {0x87, kConnack | kPuback | kPubrec | kSuback | kUnsuback | kDisconnect, "Not authorized"},
    {0x88, kConnack, "Server unavailable"},
    {0x89, kConnack | kDisconnect, "Server busy"},
    {0x8A, kConnack, "Banned"},
    {0x8B, kDisconnect, "Server shutting down"},
    {0x8C, kConnack | kDisconnect, "Bad authentication method"},
    {0x8D, kDisconnect, "Keep Alive timeout"},
    {0x8E, kDisconnect, "Session taken over"},
    {0x8F, kSuback | kUnsuback | kDisconnect, "Topic Filter invalid"},
    {0x90, kConnack | kPuback | kPubrec | kDisconnect, "Topic Name invalid"},
    {0x91, kPuback | kPubrec | kSuback | kUnsuback, "Packet Identifier in use"},
    {0x92, kPubrel | kPubcomp, "Packet Identifier not found"},
    {0x93, kDisconnect, "Receive Maximum exceeded"},
    {0x94, kDisconnect, "Topic Alias invalid"},
    {0x95, kConnack | kDisconnect, "Packet too large"},
    {0x96, kDisconnect, "Message rate too high"},
    {0x97, kConnack | kPuback | kPubrec | kSuback | kDisconnect, "Quota exceeded"},
    {0x98, kDisconnect, "Administrative action"},
    {0x99, kConnack | kPuback | kPubrec | kDisconnect, "Payload format invalid"},
    {0x9A, kConnack | kDisconnect, "Retain not supported"},
    {0x9B, kConnack | kDisconnect, "QoS not supported"},
    {0x9C, kConnack | kDisconnect, "Use another server"},
    {0x9D, kConnack | kDisconnect, "Server moved"},
    {0x9E, kSuback | kDisconnect, "Shared Subscriptions not supported"},
    {0x9F, kConnack | kDisconnect, "Connection rate exceeded"},
    {0xA0, kDisconnect, "Maximum connect time"},
    {0xA1, kSuback | kDisconnect, "Subscription Identifiers not supported"},
    {0xA2, kSuback | kDisconnect, "Wildcard Subscriptions not supported"},
};

// Byte -> index into kReasons + 1 (0: not a reason code), built once at
// compile time so a lookup is one load.
constexpr std::array<uint8_t, 256> MakeIndex() {
  std::array<uint8_t, 256> index{};
  for (size_t i = 0; i < std::size(kReasons); ++i) index[kReasons[i].code] = static_cast<uint8_t>(i + 1);
  return index;
}
constexpr std::array<uint8_t, 256> kIndex = MakeIndex();

const ReasonInfo* Find(uint8_t byte) {
  const uint8_t i = kIndex[byte];
  return i == 0 ? nullptr : &kReasons[i - 1];
}

}  // namespace

std::string_view ReasonName(ReasonCode code) {
  const ReasonInfo* info = Find(static_cast<uint8_t>(code));
  return info == nullptr ? "Unknown" : info->name;
}

bool IsValidReasonFor(ReasonCode code, PacketType type) {
  const ReasonInfo* info = Find(static_cast<uint8_t>(code));
  return info != nullptr && (info->packets & Bit(type)) != 0;
}

bool IsKnownReason(uint8_t byte) { return Find(byte) != nullptr; }

ConnackReturnCode ToConnackReturnCode(ReasonCode code) {
  switch (code) {
    case ReasonCode::kSuccess:
      return ConnackReturnCode::kAccepted;
    case ReasonCode::kUnsupportedProtocolVersion:
      return ConnackReturnCode::kUnacceptableProtocolVersion;
    case ReasonCode::kClientIdentifierNotValid:
      return ConnackReturnCode::kIdentifierRejected;
    case ReasonCode::kBadUserNameOrPassword:
      return ConnackReturnCode::kBadUserNameOrPassword;
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kBanned:
    case ReasonCode::kBadAuthenticationMethod:
      return ConnackReturnCode::kNotAuthorized;
    default:
      return ConnackReturnCode::kServerUnavailable;
  }
}

std::optional<ReasonCode> FromConnackReturnCode(uint8_t return_code) {
  switch (return_code) {
    case 0:
      return ReasonCode::kSuccess;
    case 1:
      return ReasonCode::kUnsupportedProtocolVersion;
    case 2:
      return ReasonCode::kClientIdentifierNotValid;
    case 3:
      return ReasonCode::kServerUnavailable;
    case 4:
      return ReasonCode::kBadUserNameOrPassword;
    case 5:
      return ReasonCode::kNotAuthorized;
    default:
      return std::nullopt;
  }
}

uint8_t ToSubackReturnCode(ReasonCode code) {
  const auto byte = static_cast<uint8_t>(code);
  return byte <= 2 ? byte : 0x80;
}

}  // namespace tern::proto::mqtt
