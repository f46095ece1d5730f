// bcrypt through libxcrypt's crypt_rn (reentrant: the auth pool runs
// several at once) and crypt_gensalt_rn. At cost 11 one check takes
// ~100-200 ms of CPU, which is why it never runs on a worker loop.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tern::server::auth {

inline constexpr int kDefaultBcryptCost = 11;

// "$2a$", "$2b$" or "$2y$": a bcrypt hash rather than a plain password.
bool IsBcrypt(std::string_view stored);
// The cost a hash was made with, or -1.
int BcryptCost(std::string_view hash);
// A new "$2b$" hash of `password`; cost 4..31.
base::Result<std::string> BcryptHash(std::string_view password, int cost = kDefaultBcryptCost);
// Constant-time comparison of the computed hash.
bool BcryptVerify(std::string_view password, const std::string& hash);
// Plain text, compared in constant time (length aside).
bool PlainEquals(std::string_view a, std::string_view b);

}  // namespace tern::server::auth
