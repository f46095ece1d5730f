#include "ws_frame.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace tern::testing::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// Far above anything a test provokes; past it the length field is garbage.
constexpr uint64_t kMaxServerFrame = 256ull << 20;

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsControl(uint8_t opcode) { return (opcode & 0x8) != 0; }

}  // namespace

MaskKey RandomMask() {
  MaskKey key;
  RAND_bytes(key.data(), static_cast<int>(key.size()));
  return key;
}

std::string Header(Opcode opcode, bool fin, uint64_t length, const std::optional<MaskKey>& mask) {
  std::string h;
  h.push_back(static_cast<char>((fin ? 0x80 : 0x00) | opcode));
  const uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (length < 126) {
    h.push_back(static_cast<char>(mask_bit | length));
  } else if (length <= 0xFFFF) {
    h.push_back(static_cast<char>(mask_bit | 126));
    h.push_back(static_cast<char>(length >> 8));
    h.push_back(static_cast<char>(length & 0xFF));
  } else {
    h.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
  if (mask) h.append(reinterpret_cast<const char*>(mask->data()), mask->size());
  return h;
}

std::string Masked(std::string_view data, const MaskKey& key, size_t offset) {
  std::string out(data);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(out[i] ^ key[(offset + i) % 4]);
  return out;
}

std::string ClientFrame(Opcode opcode, std::string_view payload, bool fin) {
  const MaskKey key = RandomMask();
  return Header(opcode, fin, payload.size(), key) + Masked(payload, key);
}

std::string UnmaskedFrame(Opcode opcode, std::string_view payload, bool fin) {
  return Header(opcode, fin, payload.size(), std::nullopt) + std::string(payload);
}

std::string ClosePayload(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p += reason;
  return p;
}

Decode DecodeServerFrame(std::string_view in, Frame* frame, size_t* consumed, std::string* error) {
  if (in.size() < 2) return Decode::kNeedMore;
  const auto b0 = static_cast<uint8_t>(in[0]), b1 = static_cast<uint8_t>(in[1]);
  const uint8_t opcode = b0 & 0x0F;
  if ((b0 & 0x70) != 0) {
    *error = "server frame sets reserved bits (no extension was negotiated)";
    return Decode::kError;
  }
  if (opcode != kContinuation && opcode != kText && opcode != kBinary && opcode != kClose && opcode != kPing &&
      opcode != kPong) {
    *error = "server frame has unknown opcode " + std::to_string(opcode);
    return Decode::kError;
  }
  if ((b1 & 0x80) != 0) {
    *error = "server frame is masked (RFC 6455 5.1: a server must not mask)";
    return Decode::kError;
  }
  uint64_t length = b1 & 0x7F;
  size_t pos = 2;
  if (length == 126 || length == 127) {
    const size_t bytes = length == 126 ? 2 : 8;
    if (in.size() < pos + bytes) return Decode::kNeedMore;
    length = 0;
    for (size_t i = 0; i < bytes; ++i) length = (length << 8) | static_cast<uint8_t>(in[pos + i]);
    pos += bytes;
  }
  const bool fin = (b0 & 0x80) != 0;
  if (IsControl(opcode) && (length > 125 || !fin)) {
    *error = "server control frame is fragmented or longer than 125 bytes";
    return Decode::kError;
  }
  if (length > kMaxServerFrame) {
    *error = "server frame declares " + std::to_string(length) + " bytes";
    return Decode::kError;
  }
  if (in.size() - pos < length) return Decode::kNeedMore;
  frame->fin = fin;
  frame->opcode = static_cast<Opcode>(opcode);
  frame->payload.assign(in.substr(pos, length));
  *consumed = pos + length;
  return Decode::kFrame;
}

std::string AcceptFor(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return Base64(digest, sizeof(digest));
}

std::string NewKey() {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof(raw));
  return Base64(raw, sizeof(raw));
}

}  // namespace tern::testing::ws
