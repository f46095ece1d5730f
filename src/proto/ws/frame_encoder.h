// Writers for WebSocket frames (RFC 6455 section 5.2). They append to a
// connection's out-buffer like proto/nats's encoder. A server's frames go
// unmasked (no key); a client's are masked with a key the caller draws from
// a strong random source for every frame (section 5.3), which keeps the
// codec deterministic and free of globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/ws/deflate.h"
#include "proto/ws/frame.h"

namespace tern::proto::ws {

// Just the 2 to 14 header bytes of a frame with `payload_size` bytes, for a
// payload the caller writes itself (a large one shared by reference, say).
// With a mask the caller must mask that payload: MaskInPlace(..., key, 0).
void AppendFrameHeader(std::string& out, Opcode opcode, bool fin, uint64_t payload_size,
                       const std::optional<MaskKey>& mask = std::nullopt, bool rsv1 = false);

// A whole frame: header, then the payload, masked on the way when a key is given.
void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool fin = true,
                 const std::optional<MaskKey>& mask = std::nullopt, bool rsv1 = false);

// A close frame. kCloseNoStatus writes an empty payload (1005 may not go on
// the wire); the reason is cut to fit 125 bytes, at a code point boundary.
void AppendClose(std::string& out, uint16_t code, std::string_view reason = {},
                 const std::optional<MaskKey>& mask = std::nullopt);

// Ping and pong; a payload over 125 bytes is cut to 125.
void AppendPing(std::string& out, std::string_view payload = {}, const std::optional<MaskKey>& mask = std::nullopt);
void AppendPong(std::string& out, std::string_view payload = {}, const std::optional<MaskKey>& mask = std::nullopt);

// One whole message as a single compressed frame (RFC 7692: RSV1 set),
// compressed straight into `out`. False when zlib fails; `out` is then
// unchanged.
bool AppendCompressedMessage(std::string& out, Opcode opcode, std::string_view message, Deflater& deflater,
                             const std::optional<MaskKey>& mask = std::nullopt);

}  // namespace tern::proto::ws
