// RFC 6455 vocabulary shared by the frame decoder and encoder: opcodes, close
// codes, roles and the masking transform.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tern::proto::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline constexpr bool IsControl(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Which end of the connection this codec runs at. It decides the masking
// rule: frames from a client are masked, frames from a server are not.
enum class Role : uint8_t { kServer, kClient };

// Close codes (RFC 6455 section 7.4.1). Plain integers, not an enum: peers
// send codes from the 3000-4999 ranges that no enum could list.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseUnsupportedData = 1003;
inline constexpr uint16_t kCloseNoStatus = 1005;  // never on the wire: "the close frame had no code"
inline constexpr uint16_t kCloseAbnormal = 1006;  // never on the wire: "no close frame at all"
inline constexpr uint16_t kCloseInvalidData = 1007;
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseMessageTooBig = 1009;
inline constexpr uint16_t kCloseMandatoryExtension = 1010;
inline constexpr uint16_t kCloseInternalError = 1011;

// Whether a peer may send `code` in a close frame.
inline constexpr bool IsValidCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

inline constexpr size_t kMaxControlPayload = 125;
inline constexpr size_t kMaxFrameHeader = 14;  // 2 + 8 (64-bit length) + 4 (mask key)

using MaskKey = std::array<uint8_t, 4>;

// XORs `data` with the mask key, `offset` being the position of data[0] in
// the frame's payload, so a payload masked in pieces needs no copy.
inline void MaskInPlace(char* data, size_t size, const MaskKey& key, size_t offset) {
  uint8_t k[8];
  for (size_t i = 0; i < 8; ++i) k[i] = key[(offset + i) & 3];
  uint64_t k64;
  std::memcpy(&k64, k, 8);
  size_t i = 0;
  // Eight bytes a word: masking touches every byte a client sends.
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ k[i & 7]);
}

}  // namespace tern::proto::ws
