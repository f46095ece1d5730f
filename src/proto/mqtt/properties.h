// MQTT 5.0 properties (section 2.2.2.2): each identifier with its wire type,
// the packets it may appear in, and where it may appear more than once. The
// decoder and the encoder both work from this one table.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "proto/mqtt/types.h"

namespace tern::proto::mqtt {

enum class PropertyId : uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQos = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

// The data types of section 1.5 that properties use.
enum class PropertyType : uint8_t {
  kByte,
  kTwoByteInteger,
  kFourByteInteger,
  kVariableByteInteger,
  kUtf8String,
  kUtf8StringPair,
  kBinaryData,
};

// Where a block of properties sits: one of the packets that have one, or the
// Will Properties inside a CONNECT. The value is the packet type, and 0 (a
// reserved packet type) for the Will, so a set of scopes is a 16-bit mask.
enum class PropertyScope : uint8_t {
  kWill = 0,
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kDisconnect = 14,
  kAuth = 15,
};

constexpr PropertyScope ScopeOf(PacketType type) { return static_cast<PropertyScope>(type); }
constexpr uint16_t ScopeBit(PropertyScope scope) { return static_cast<uint16_t>(1u << static_cast<unsigned>(scope)); }

struct PropertyInfo {
  PropertyId id;
  PropertyType type;
  uint16_t scopes;      // ScopeBit()s of where it may appear
  uint16_t repeatable;  // ScopeBit()s of where it may appear more than once
  std::string_view name;

  bool AllowedIn(PropertyScope scope) const { return (scopes & ScopeBit(scope)) != 0; }
  bool RepeatableIn(PropertyScope scope) const { return (repeatable & ScopeBit(scope)) != 0; }
};

// The entry for a property identifier, or nullptr when the identifier is
// none of the 27 that 5.0 defines.
const PropertyInfo* FindProperty(uint32_t id);
// All of them, in identifier order.
std::span<const PropertyInfo> AllProperties();

// Encoded size of one value of a fixed-size type (byte: 1, ...); 0 for the
// others.
constexpr size_t FixedValueSize(PropertyType type) {
  switch (type) {
    case PropertyType::kByte:
      return 1;
    case PropertyType::kTwoByteInteger:
      return 2;
    case PropertyType::kFourByteInteger:
      return 4;
    default:
      return 0;
  }
}

}  // namespace tern::proto::mqtt
