// NKey authentication for the client: the public key of a user seed and
// its Ed25519 signature of the server's nonce, with OpenSSL (the encoding
// is proto/nkey.h's, shared with the server).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern {

struct SignedNonce {
  std::string public_key;  // "U..."
  std::string signature;   // raw URL base64, as nats clients send `sig`
};

// nullopt when `seed` is not a user seed.
std::optional<SignedNonce> SignNonce(std::string_view seed, std::string_view nonce);

}  // namespace tern
