// NKey signatures: Ed25519 through OpenSSL's EVP interface.
#pragma once

#include <string>
#include <string_view>

#include "proto/nkey.h"

namespace tern::server::auth {

// Whether `signature` (64 raw bytes) signs `message` under `public_key`.
bool Ed25519Verify(const proto::nkey::Key& public_key, std::string_view message, std::string_view signature);
// For tests and tools: the public key of a seed, and a signature.
proto::nkey::Key Ed25519PublicKey(const proto::nkey::Key& seed);
std::string Ed25519Sign(const proto::nkey::Key& seed, std::string_view message);

}  // namespace tern::server::auth
