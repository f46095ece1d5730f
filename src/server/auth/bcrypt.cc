#include "server/auth/bcrypt.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <memory>

namespace tern::server::auth {

bool IsBcrypt(std::string_view stored) {
  return stored.size() > 7 && stored[0] == '$' && stored[1] == '2' &&
         (stored[2] == 'a' || stored[2] == 'b' || stored[2] == 'y') && stored[3] == '$';
}

int BcryptCost(std::string_view hash) {
  if (!IsBcrypt(hash) || hash.size() < 7 || hash[6] != '$') return -1;
  char a = hash[4], b = hash[5];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

base::Result<std::string> BcryptHash(std::string_view password, int cost) {
  if (cost < 4 || cost > 31) return base::Status("bcrypt cost must be 4..31");
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) return base::Status("no random bytes for a salt");
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), reinterpret_cast<const char*>(random),
                       sizeof random, salt, sizeof salt) == nullptr) {
    return base::Status::FromErrno("crypt_gensalt_rn");
  }
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), salt, data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(pw.data(), pw.size());
  if (out == nullptr || out[0] == '*') return base::Status::FromErrno("crypt_rn");
  return std::string(out);
}

bool BcryptVerify(std::string_view password, const std::string& hash) {
  // crypt_data is ~32 KiB: on the heap, not on a pool thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(pw.data(), pw.size());
  if (out == nullptr || out[0] == '*') return false;
  std::string_view computed(out);
  return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

bool PlainEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tern::server::auth
