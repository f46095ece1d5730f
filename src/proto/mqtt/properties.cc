#include "proto/mqtt/properties.h"

#include <array>

namespace tern::proto::mqtt {
namespace {

using S = PropertyScope;
using T = PropertyType;

constexpr uint16_t B(S s) { return ScopeBit(s); }

constexpr uint16_t kMessage = B(S::kPublish) | B(S::kWill);  // what travels with an application message
constexpr uint16_t kEverywhere = B(S::kWill) | B(S::kConnect) | B(S::kConnack) | B(S::kPublish) | B(S::kPuback) |
                                 B(S::kPubrec) | B(S::kPubrel) | B(S::kPubcomp) | B(S::kSubscribe) | B(S::kSuback) |
                                 B(S::kUnsubscribe) | B(S::kUnsuback) | B(S::kDisconnect) | B(S::kAuth);
constexpr uint16_t kAcks = B(S::kConnack) | B(S::kPuback) | B(S::kPubrec) | B(S::kPubrel) | B(S::kPubcomp) |
                           B(S::kSuback) | B(S::kUnsuback) | B(S::kDisconnect) | B(S::kAuth);

// Section 2.2.2.2, table 2-4. Only the User Property may repeat anywhere;
// the Subscription Identifier repeats in PUBLISH (one per matching
// subscription, 3.3.2.3.8) but not in SUBSCRIBE.
constexpr PropertyInfo kProperties[] = {
    {PropertyId::kPayloadFormatIndicator, T::kByte, kMessage, 0, "Payload Format Indicator"},
    {PropertyId::kMessageExpiryInterval, T::kFourByteInteger, kMessage, 0, "Message Expiry Interval"},
    {PropertyId::kContentType, T::kUtf8String, kMessage, 0, "Content Type"},
    {PropertyId::kResponseTopic, T::kUtf8String, kMessage, 0, "Response Topic"},
    {PropertyId::kCorrelationData, T::kBinaryData, kMessage, 0, "Correlation Data"},
    {PropertyId::kSubscriptionIdentifier, T::kVariableByteInteger, B(S::kPublish) | B(S::kSubscribe), B(S::kPublish),
     "Subscription Identifier"},
    {PropertyId::kSessionExpiryInterval, T::kFourByteInteger, B(S::kConnect) | B(S::kConnack) | B(S::kDisconnect), 0,
     "Session Expiry Interval"},
    {PropertyId::kAssignedClientIdentifier, T::kUtf8String, B(S::kConnack), 0, "Assigned Client Identifier"},
    {PropertyId::kServerKeepAlive, T::kTwoByteInteger, B(S::kConnack), 0, "Server Keep Alive"},
    {PropertyId::kAuthenticationMethod, T::kUtf8String, B(S::kConnect) | B(S::kConnack) | B(S::kAuth), 0,
     "Authentication Method"},
    {PropertyId::kAuthenticationData, T::kBinaryData, B(S::kConnect) | B(S::kConnack) | B(S::kAuth), 0,
     "Authentication Data"},
    {PropertyId::kRequestProblemInformation, T::kByte, B(S::kConnect), 0, "Request Problem Information"},
    {PropertyId::kWillDelayInterval, T::kFourByteInteger, B(S::kWill), 0, "Will Delay Interval"},
    {PropertyId::kRequestResponseInformation, T::kByte, B(S::kConnect), 0, "Request Response Information"},
    {PropertyId::kResponseInformation, T::kUtf8String, B(S::kConnack), 0, "Response Information"},
    {PropertyId::kServerReference, T::kUtf8String, B(S::kConnack) | B(S::kDisconnect), 0, "Server Reference"},
    {PropertyId::kReasonString, T::kUtf8String, kAcks, 0, "Reason String"},
    {PropertyId::kReceiveMaximum, T::kTwoByteInteger, B(S::kConnect) | B(S::kConnack), 0, "Receive Maximum"},
    {PropertyId::kTopicAliasMaximum, T::kTwoByteInteger, B(S::kConnect) | B(S::kConnack), 0, "Topic Alias Maximum"},
    {PropertyId::kTopicAlias, T::kTwoByteInteger, B(S::kPublish), 0, "Topic Alias"},
    {PropertyId::kMaximumQos, T::kByte, B(S::kConnack), 0, "Maximum QoS"},
    {PropertyId::kRetainAvailable, T::kByte, B(S::kConnack), 0, "Retain Available"},
    {PropertyId::kUserProperty, T::kUtf8StringPair, kEverywhere, kEverywhere, "User Property"},
    {PropertyId::kMaximumPacketSize, T::kFourByteInteger, B(S::kConnect) | B(S::kConnack), 0, "Maximum Packet Size"},
    {PropertyId::kWildcardSubscriptionAvailable, T::kByte, B(S::kConnack), 0, "Wildcard Subscription Available"},
    {PropertyId::kSubscriptionIdentifierAvailable, T::kByte, B(S::kConnack), 0, "Subscription Identifier Available"},
    {PropertyId::kSharedSubscriptionAvailable, T::kByte, B(S::kConnack), 0, "Shared Subscription Available"},
};

constexpr size_t kMaxId = 0x2A;

constexpr std::array<uint8_t, kMaxId + 1> MakeIndex() {
  std::array<uint8_t, kMaxId + 1> index{};
  for (size_t i = 0; i < std::size(kProperties); ++i) {
    index[static_cast<size_t>(kProperties[i].id)] = static_cast<uint8_t>(i + 1);
  }
  return index;
}
constexpr std::array<uint8_t, kMaxId + 1> kIndex = MakeIndex();

}  // namespace

const PropertyInfo* FindProperty(uint32_t id) {
  if (id > kMaxId) return nullptr;
  const uint8_t i = kIndex[id];
  return i == 0 ? nullptr : &kProperties[i - 1];
}

std::span<const PropertyInfo> AllProperties() { return kProperties; }

}  // namespace tern::proto::mqtt
