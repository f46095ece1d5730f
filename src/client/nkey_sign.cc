#include "nkey_sign.h"

#include <openssl/evp.h>

#include <memory>

#include "proto/nkey.h"

namespace tern {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<SignedNonce> SignNonce(std::string_view seed_text, std::string_view nonce) {
  auto seed = proto::nkey::DecodeSeed(seed_text);
  if (!seed || seed->role != proto::nkey::Role::kUser) return std::nullopt;
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed->seed.data(), seed->seed.size()));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return std::nullopt;
  proto::nkey::Key public_key{};
  size_t key_len = public_key.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &key_len) != 1) return std::nullopt;
  std::string sig(64, '\0');
  size_t sig_len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size()) != 1) {
    return std::nullopt;
  }
  sig.resize(sig_len);
  return SignedNonce{proto::nkey::EncodePublic(proto::nkey::Role::kUser, public_key),
                     proto::nkey::Base64RawUrl(sig)};
}

}  // namespace tern
