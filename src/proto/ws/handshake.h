// Pieces of the opening handshake (RFC 6455 section 4) both roles share: the
// key/accept computation and the pull-shaped result. ServerHandshake and
// ClientHandshake (server_handshake.h, client_handshake.h) use them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::proto::ws {

inline constexpr size_t kDefaultMaxHandshake = 8 * 1024;

enum class HandshakeStatus : uint8_t {
  kNeedMore,  // all bytes taken; the head is not complete yet
  kDone,      // the head is complete and valid
  kError,     // invalid: see the handshake's error()
};

struct HandshakeResult {
  HandshakeStatus status = HandshakeStatus::kNeedMore;
  // Bytes of this chunk that belong to the handshake. On kDone the rest of
  // the chunk is already WebSocket frames and goes to the frame decoder.
  size_t consumed = 0;
};

// base64(SHA-1(key + the RFC's GUID)): the Sec-WebSocket-Accept value for a
// client's Sec-WebSocket-Key. AcceptKey("dGhlIHNhbXBsZSBub25jZQ==") ==
// "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
std::string AcceptKey(std::string_view client_key);

// Whether `key` is a valid Sec-WebSocket-Key: base64 of 16 bytes.
bool IsValidClientKey(std::string_view key);

// The Sec-WebSocket-Key for a 16-byte nonce the caller drew at random.
std::string EncodeClientKey(const std::array<uint8_t, 16>& nonce);

}  // namespace tern::proto::ws
