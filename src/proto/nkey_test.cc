#include "proto/nkey.h"

#include <gtest/gtest.h>

namespace tern::proto::nkey {
namespace {

// A user key pair from the nkeys package's documentation examples
// (nk -gen user): the seed and the public key it derives.
constexpr std::string_view kSeed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";

TEST(NkeyTest, SeedRoundTrips) {
  auto seed = DecodeSeed(kSeed);
  ASSERT_TRUE(seed.has_value());
  EXPECT_EQ(seed->role, Role::kUser);
  EXPECT_EQ(EncodeSeed(seed->role, seed->seed), kSeed);
}

TEST(NkeyTest, PublicKeyRoundTripsAndChecksRoleAndCrc) {
  Key key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7);
  std::string text = EncodePublic(Role::kUser, key);
  EXPECT_EQ(text.front(), 'U');
  EXPECT_EQ(text.size(), 56u);
  auto back = DecodePublic(text, Role::kUser);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, key);
  EXPECT_FALSE(DecodePublic(text, Role::kServer).has_value());
  std::string bad = text;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(DecodePublic(bad, Role::kUser).has_value());
  EXPECT_FALSE(DecodePublic("not-base32!", Role::kUser).has_value());
}

TEST(NkeyTest, Base64BothAlphabets) {
  std::string bytes = "\xfb\xff\x01hello";
  std::string url = Base64RawUrl(bytes);
  EXPECT_EQ(url.find('='), std::string::npos);
  EXPECT_EQ(DecodeBase64(url), bytes);
  EXPECT_EQ(DecodeBase64("+/8BaGVsbG8="), std::string("\xfb\xff\x01hello"));
  EXPECT_FALSE(DecodeBase64("a*b").has_value());
}

}  // namespace
}  // namespace tern::proto::nkey
