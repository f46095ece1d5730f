// MQTT 5.0 reason codes (section 2.4) and the MQTT 3.1.1 CONNACK return
// codes, with the packets each may appear in. The codec speaks 5.0 reason
// codes everywhere, also for 3.1.1 connections, and maps to the 3.1.1 return
// codes only on the wire: one vocabulary for the session above it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/mqtt/types.h"

namespace tern::proto::mqtt {

enum class ReasonCode : uint8_t {
  kSuccess = 0x00,  // also Normal disconnection, Granted QoS 0
  kNormalDisconnection = 0x00,
  kGrantedQos0 = 0x00,
  kGrantedQos1 = 0x01,
  kGrantedQos2 = 0x02,
  kDisconnectWithWillMessage = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQosNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

// The spec's name ("Malformed Packet", ...); "Success" for 0x00 and
// "Unknown" for a byte that is no reason code.
std::string_view ReasonName(ReasonCode code);
// Codes from 0x80 up are failures (2.4).
constexpr bool IsError(ReasonCode code) { return static_cast<uint8_t>(code) >= 0x80; }
// Whether the spec lists `code` for `type` (the tables of 3.2.2.2, 3.4.2.1,
// ..., merged with the table of 2.4). Always false for packets without a
// reason code (CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, PINGRESP).
bool IsValidReasonFor(ReasonCode code, PacketType type);
// True for a byte that is one of the codes above.
bool IsKnownReason(uint8_t byte);

// MQTT 3.1.1 CONNACK return codes (3.2.2.3); 6-255 are reserved.
enum class ConnackReturnCode : uint8_t {
  kAccepted = 0,
  kUnacceptableProtocolVersion = 1,
  kIdentifierRejected = 2,
  kServerUnavailable = 3,
  kBadUserNameOrPassword = 4,
  kNotAuthorized = 5,
};

// The 3.1.1 return code that says the most of `code`: the five that exist
// map one to one; other refusals a 3.1.1 client can only read as "server
// unavailable" or, for the ones about who the client is, "not authorized"
// (EMQX maps the same way).
ConnackReturnCode ToConnackReturnCode(ReasonCode code);
// The reason code a 3.1.1 return code stands for; nullopt for 6-255.
std::optional<ReasonCode> FromConnackReturnCode(uint8_t return_code);

// The byte a 3.1.1 SUBACK carries for `code`: the granted QoS, or 0x80 for
// every failure (3.1.1 has no other).
uint8_t ToSubackReturnCode(ReasonCode code);

}  // namespace tern::proto::mqtt
