#include "proto/ws/handshake.h"

#include <openssl/evp.h>

#include <cstring>

namespace tern::proto::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

std::string AcceptKey(std::string_view client_key) {
  std::string input(client_key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) return {};
  return Base64(digest, digest_size);
}

bool IsValidClientKey(std::string_view key) {
  // 16 bytes are 22 base64 digits and "==". The 22nd digit carries 4 unused
  // bits; like Go's decoder (and so nats-server) we do not insist they are 0.
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i) {
    if (!IsBase64Char(key[i])) return false;
  }
  return true;
}

std::string EncodeClientKey(const std::array<uint8_t, 16>& nonce) { return Base64(nonce.data(), nonce.size()); }

}  // namespace tern::proto::ws
