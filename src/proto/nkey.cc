#include "proto/nkey.h"

namespace tern::proto::nkey {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr uint8_t kSeedPrefix = 18 << 3;  // 'S'

std::string Base32Encode(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> Base32Decode(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

// Splits off and checks the trailing CRC.
std::optional<std::string> Unwrap(std::string_view text) {
  auto raw = Base32Decode(text);
  if (!raw || raw->size() < 3) return std::nullopt;
  std::string_view body(raw->data(), raw->size() - 2);
  uint16_t crc = static_cast<uint8_t>((*raw)[raw->size() - 2]) |
                 static_cast<uint16_t>(static_cast<uint8_t>((*raw)[raw->size() - 1]) << 8);
  if (Crc16(body) != crc) return std::nullopt;
  return std::string(body);
}

std::string Wrap(std::string body) {
  uint16_t crc = Crc16(body);
  body.push_back(static_cast<char>(crc & 0xff));
  body.push_back(static_cast<char>(crc >> 8));
  return Base32Encode(body);
}

bool KnownRole(uint8_t b) {
  for (Role r : {Role::kUser, Role::kAccount, Role::kServer, Role::kCluster, Role::kOperator}) {
    if (b == static_cast<uint8_t>(r)) return true;
  }
  return false;
}

}  // namespace

uint16_t Crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (unsigned char c : bytes) {
    crc ^= static_cast<uint16_t>(c << 8);
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
  }
  return crc;
}

std::optional<Key> DecodePublic(std::string_view text, Role role) {
  auto body = Unwrap(text);
  if (!body || body->size() != 33 || static_cast<uint8_t>((*body)[0]) != static_cast<uint8_t>(role)) {
    return std::nullopt;
  }
  Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>((*body)[i + 1]);
  return key;
}

std::string EncodePublic(Role role, const Key& key) {
  std::string body(1, static_cast<char>(role));
  body.append(reinterpret_cast<const char*>(key.data()), key.size());
  return Wrap(std::move(body));
}

std::optional<Seed> DecodeSeed(std::string_view text) {
  auto body = Unwrap(text);
  if (!body || body->size() != 34) return std::nullopt;
  uint8_t b0 = static_cast<uint8_t>((*body)[0]), b1 = static_cast<uint8_t>((*body)[1]);
  if ((b0 & 0xf8) != kSeedPrefix) return std::nullopt;
  uint8_t role = static_cast<uint8_t>(((b0 & 7) << 5) | ((b1 & 0xf8) >> 3));
  if (!KnownRole(role)) return std::nullopt;
  Seed seed{static_cast<Role>(role), {}};
  for (size_t i = 0; i < seed.seed.size(); ++i) seed.seed[i] = static_cast<uint8_t>((*body)[i + 2]);
  return seed;
}

std::string EncodeSeed(Role role, const Key& seed) {
  uint8_t r = static_cast<uint8_t>(role);
  std::string body;
  body.push_back(static_cast<char>(kSeedPrefix | (r >> 5)));
  body.push_back(static_cast<char>((r & 31) << 3));
  body.append(reinterpret_cast<const char*>(seed.data()), seed.size());
  return Wrap(std::move(body));
}

std::string Base64RawUrl(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      out.push_back(kAlphabet[(buffer >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace tern::proto::nkey
