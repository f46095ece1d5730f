// The words of MQTT 3.1, 3.1.1 and 5.0 that every other file of the codec
// uses: packet types, protocol versions, QoS, the fixed header's flag bits
// and the protocol's size limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::proto::mqtt {

// The protocol level byte of CONNECT. kUnknown: no CONNECT seen yet.
enum class Version : uint8_t {
  kUnknown = 0,
  kV31 = 3,   // MQTT 3.1, protocol name "MQIsdp"
  kV311 = 4,  // MQTT 3.1.1, protocol name "MQTT"
  kV5 = 5,    // MQTT 5.0, protocol name "MQTT"
};

// The high nibble of a packet's first byte. 0 is reserved (always invalid);
// 15 is AUTH in 5.0 and reserved before it.
enum class PacketType : uint8_t {
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
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// "CONNECT", "PUBACK", ...; "RESERVED" for 0.
std::string_view PacketTypeName(PacketType type);

enum class Qos : uint8_t {
  kAtMostOnce = 0,
  kAtLeastOnce = 1,
  kExactlyOnce = 2,
};

// SUBSCRIBE option (5.0): when retained messages are sent for a new
// subscription.
enum class RetainHandling : uint8_t {
  kSendOnSubscribe = 0,  // every time the subscription is made
  kSendIfNew = 1,        // only when the subscription did not exist
  kDoNotSend = 2,
};

// Which end a decoder or encoder runs at. A server decodes what clients send
// (CONNECT, SUBSCRIBE, ...), a client what servers send (CONNACK, SUBACK, ...).
enum class Role : uint8_t { kServer, kClient };

// The fixed header's low nibble. PUBLISH uses it for DUP/QoS/RETAIN; PUBREL,
// SUBSCRIBE and UNSUBSCRIBE must carry exactly 0b0010 and every other packet
// 0 (MQTT-2.2.2-1).
inline constexpr uint8_t kPublishDupFlag = 0x08;
inline constexpr uint8_t kPublishQosMask = 0x06;
inline constexpr uint8_t kPublishQosShift = 1;
inline constexpr uint8_t kPublishRetainFlag = 0x01;
inline constexpr uint8_t kRequiredFlagsPubrelSubscribeUnsubscribe = 0x02;

// The flag bits a packet type must carry; PUBLISH has none fixed.
constexpr uint8_t RequiredFlags(PacketType type) {
  return type == PacketType::kPubrel || type == PacketType::kSubscribe || type == PacketType::kUnsubscribe
             ? kRequiredFlagsPubrelSubscribeUnsubscribe
             : 0;
}

// CONNECT flag bits (3.1.2.3). Bit 0 is reserved and must be 0.
inline constexpr uint8_t kConnectReservedFlag = 0x01;
inline constexpr uint8_t kConnectCleanStartFlag = 0x02;  // "Clean Session" before 5.0
inline constexpr uint8_t kConnectWillFlag = 0x04;
inline constexpr uint8_t kConnectWillQosMask = 0x18;
inline constexpr uint8_t kConnectWillQosShift = 3;
inline constexpr uint8_t kConnectWillRetainFlag = 0x20;
inline constexpr uint8_t kConnectPasswordFlag = 0x40;
inline constexpr uint8_t kConnectUsernameFlag = 0x80;

// SUBSCRIBE options byte (3.8.3.1). Before 5.0 only the QoS bits exist and
// the rest must be 0.
inline constexpr uint8_t kSubscribeQosMask = 0x03;
inline constexpr uint8_t kSubscribeNoLocalFlag = 0x04;
inline constexpr uint8_t kSubscribeRetainAsPublishedFlag = 0x08;
inline constexpr uint8_t kSubscribeRetainHandlingMask = 0x30;
inline constexpr uint8_t kSubscribeRetainHandlingShift = 4;
inline constexpr uint8_t kSubscribeReservedMask = 0xC0;

inline constexpr std::string_view kProtocolNameV31 = "MQIsdp";
inline constexpr std::string_view kProtocolName = "MQTT";

// Largest value of a Variable Byte Integer (four bytes of seven bits), so the
// largest Remaining Length and the largest whole packet (1 + 4 + this).
inline constexpr uint32_t kMaxVarInt = 268'435'455;
inline constexpr uint32_t kMaxPacketSize = 1 + 4 + kMaxVarInt;
// Strings and binary data carry a two-byte length.
inline constexpr size_t kMaxStringSize = 65'535;

}  // namespace tern::proto::mqtt
