// Variable Byte Integer (1.5.5): seven bits a byte, least significant group
// first, the high bit saying another byte follows; at most four bytes, so
// values up to 268,435,455. Used for the Remaining Length, property lengths
// and the Subscription Identifier.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/mqtt/types.h"

namespace tern::proto::mqtt {

constexpr size_t VarIntSize(uint32_t value) { return value < 128 ? 1 : value < 16'384 ? 2 : value < 2'097'152 ? 3 : 4; }

// Writes `value` (at most kMaxVarInt) in the fewest bytes (MQTT-1.5.5-1) and
// returns how many.
inline size_t EncodeVarInt(uint32_t value, uint8_t out[4]) {
  size_t n = 0;
  do {
    uint8_t b = value & 0x7F;
    value >>= 7;
    if (value != 0) b |= 0x80;
    out[n++] = b;
  } while (value != 0 && n < 4);
  return n;
}

inline void AppendVarInt(std::string& out, uint32_t value) {
  uint8_t b[4];
  out.append(reinterpret_cast<const char*>(b), EncodeVarInt(value, b));
}

enum class VarIntStatus : uint8_t { kDone, kNeedMore, kMalformed };

struct VarIntResult {
  VarIntStatus status;
  uint8_t size = 0;  // kDone: bytes it took
  uint32_t value = 0;
};

// Reads a Variable Byte Integer from the start of [p, p + n). A fourth byte
// that still has its continuation bit set is malformed at once, without
// waiting for a fifth. Like mosquitto, a value written in more bytes than it
// needs is accepted: MQTT-1.5.5-1 binds the sender only.
inline VarIntResult DecodeVarInt(const uint8_t* p, size_t n) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (i == n) return {VarIntStatus::kNeedMore};
    value |= static_cast<uint32_t>(p[i] & 0x7F) << (7 * i);
    if ((p[i] & 0x80) == 0) return {VarIntStatus::kDone, static_cast<uint8_t>(i + 1), value};
  }
  return {VarIntStatus::kMalformed};
}

}  // namespace tern::proto::mqtt
