// NATS NKeys as text: a public key is base32 (RFC 4648 alphabet, no
// padding) of one prefix byte (its role: 'U' user, 'N' server ...), the 32
// bytes of an Ed25519 public key and a CRC-16/XMODEM of both, little end
// first. A seed packs the role into two leading bytes ('S' + role) before
// the 32-byte Ed25519 seed. Only the encoding lives here; signing and
// verifying are OpenSSL's (server/auth, and the client library).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::proto::nkey {

using Key = std::array<uint8_t, 32>;

enum class Role : uint8_t {
  kUser = 20 << 3,      // 'U'
  kAccount = 0,         // 'A'
  kServer = 13 << 3,    // 'N'
  kCluster = 2 << 3,    // 'C'
  kOperator = 14 << 3,  // 'O'
};

// The 32 key bytes of a public NKey of `role`; nullopt when the text is not
// one (bad base32, wrong length, wrong role, CRC mismatch).
std::optional<Key> DecodePublic(std::string_view text, Role role);
std::string EncodePublic(Role role, const Key& key);

struct Seed {
  Role role;
  Key seed;
};
std::optional<Seed> DecodeSeed(std::string_view text);
std::string EncodeSeed(Role role, const Key& seed);

// CRC-16/XMODEM, as the nkeys package computes it.
uint16_t Crc16(std::string_view bytes);

// base64 without padding, URL alphabet (what clients send as `sig` and
// servers as `nonce`); Decode also takes the standard alphabet, as
// nats-server does.
std::string Base64RawUrl(std::string_view bytes);
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace tern::proto::nkey
