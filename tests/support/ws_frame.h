// RFC 6455 framing as a test client needs it, written here on purpose and
// not borrowed from the server's codec (src/proto/ws): a bug the two shared
// would pass every test. Client frames are masked (5.3); server frames must
// not be (5.1), and the decoder says so when they are.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::testing::ws {

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

using MaskKey = std::array<uint8_t, 4>;

// A random masking key (RFC 6455 10.3: unpredictable, fresh per frame).
MaskKey RandomMask();

// The header alone, declaring `length` whatever follows: bad-input tests use
// it to announce frames they never send. No mask key when `mask` is empty.
std::string Header(Opcode opcode, bool fin, uint64_t length, const std::optional<MaskKey>& mask);

// A whole client frame, masked with a fresh key.
std::string ClientFrame(Opcode opcode, std::string_view payload, bool fin = true);
// The same without the mask bit, which a server must refuse.
std::string UnmaskedFrame(Opcode opcode, std::string_view payload, bool fin = true);
// XORs `data` with the key, starting at key byte `offset % 4`.
std::string Masked(std::string_view data, const MaskKey& key, size_t offset = 0);

// Close frame body: a status code and an optional UTF-8 reason.
std::string ClosePayload(uint16_t code, std::string_view reason = "");

struct Frame {
  bool fin = true;
  Opcode opcode = kBinary;
  std::string payload;
};

enum class Decode { kNeedMore, kFrame, kError };

// One server frame from the front of `in`: kFrame with *consumed bytes used,
// kNeedMore, or kError with why (masked, reserved bits, unknown opcode,
// oversized or fragmented control frame).
Decode DecodeServerFrame(std::string_view in, Frame* frame, size_t* consumed, std::string* error);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)).
std::string AcceptFor(std::string_view key);
// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
std::string NewKey();

}  // namespace tern::testing::ws
