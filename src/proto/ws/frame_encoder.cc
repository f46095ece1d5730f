#include "proto/ws/frame_encoder.h"

#include <cstring>

namespace tern::proto::ws {
namespace {

// Writes the header into `h` (kMaxFrameHeader bytes); returns its size.
size_t EncodeHeader(uint8_t* h, Opcode opcode, bool fin, uint64_t size, const std::optional<MaskKey>& mask, bool rsv1) {
  h[0] = static_cast<uint8_t>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<uint8_t>(opcode));
  const uint8_t mask_bit = mask ? 0x80 : 0;
  size_t n;
  // The shortest length form, as section 5.2 requires.
  if (size < 126) {
    h[1] = static_cast<uint8_t>(mask_bit | size);
    n = 2;
  } else if (size <= 0xFFFF) {
    h[1] = mask_bit | 126;
    h[2] = static_cast<uint8_t>(size >> 8);
    h[3] = static_cast<uint8_t>(size);
    n = 4;
  } else {
    h[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<uint8_t>(size >> (56 - 8 * i));
    n = 10;
  }
  if (mask) {
    std::memcpy(h + n, mask->data(), 4);
    n += 4;
  }
  return n;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

void AppendControl(std::string& out, Opcode opcode, std::string_view payload, const std::optional<MaskKey>& mask) {
  AppendFrame(out, opcode, payload.substr(0, kMaxControlPayload), true, mask);
}

}  // namespace

void AppendFrameHeader(std::string& out, Opcode opcode, bool fin, uint64_t payload_size,
                       const std::optional<MaskKey>& mask, bool rsv1) {
  uint8_t h[kMaxFrameHeader];
  const size_t n = EncodeHeader(h, opcode, fin, payload_size, mask, rsv1);
  out.append(reinterpret_cast<const char*>(h), n);
}

void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool fin,
                 const std::optional<MaskKey>& mask, bool rsv1) {
  uint8_t h[kMaxFrameHeader];
  const size_t n = EncodeHeader(h, opcode, fin, payload.size(), mask, rsv1);
  const size_t start = out.size();
  out.resize(start + n + payload.size());
  char* dst = out.data() + start;
  std::memcpy(dst, h, n);
  if (!payload.empty()) std::memcpy(dst + n, payload.data(), payload.size());
  if (mask) MaskInPlace(dst + n, payload.size(), *mask, 0);
}

void AppendClose(std::string& out, uint16_t code, std::string_view reason, const std::optional<MaskKey>& mask) {
  if (code == kCloseNoStatus) {
    AppendFrame(out, Opcode::kClose, {}, true, mask);
    return;
  }
  char payload[kMaxControlPayload];
  payload[0] = static_cast<char>(code >> 8);
  payload[1] = static_cast<char>(code);
  const std::string_view cut = CutUtf8(reason, kMaxControlPayload - 2);
  if (!cut.empty()) std::memcpy(payload + 2, cut.data(), cut.size());
  AppendFrame(out, Opcode::kClose, std::string_view(payload, 2 + cut.size()), true, mask);
}

void AppendPing(std::string& out, std::string_view payload, const std::optional<MaskKey>& mask) {
  AppendControl(out, Opcode::kPing, payload, mask);
}

void AppendPong(std::string& out, std::string_view payload, const std::optional<MaskKey>& mask) {
  AppendControl(out, Opcode::kPong, payload, mask);
}

bool AppendCompressedMessage(std::string& out, Opcode opcode, std::string_view message, Deflater& deflater,
                             const std::optional<MaskKey>& mask) {
  // Compress behind room for the largest header, then close the gap: the
  // payload moves once, which is the copy a scratch buffer would cost too,
  // without holding one per connection.
  const size_t start = out.size();
  out.resize(start + kMaxFrameHeader);
  if (!deflater.Compress(message, out)) {
    out.resize(start);
    return false;
  }
  const size_t payload_size = out.size() - start - kMaxFrameHeader;
  uint8_t h[kMaxFrameHeader];
  const size_t n = EncodeHeader(h, opcode, true, payload_size, mask, /*rsv1=*/true);
  out.erase(start, kMaxFrameHeader - n);
  std::memcpy(out.data() + start, h, n);
  if (mask) MaskInPlace(out.data() + start + n, payload_size, *mask, 0);
  return true;
}

}  // namespace tern::proto::ws
