#include "proto/ws/handshake.h"

#include <gtest/gtest.h>

namespace tern::proto::ws {
namespace {

// RFC 6455 section 1.3.
TEST(HandshakeTest, AcceptKeyRfcExample) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(HandshakeTest, EncodeClientKey) {
  const std::array<uint8_t, 16> nonce = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p',
                                         'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};
  EXPECT_EQ(EncodeClientKey(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_TRUE(IsValidClientKey(EncodeClientKey({})));
}

TEST(HandshakeTest, ValidClientKeys) {
  EXPECT_TRUE(IsValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(IsValidClientKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(IsValidClientKey("+/+/+/+/+/+/+/+/+/+/+w=="));
  for (const char* bad : {"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQ",
                          "dGhlIHNhbXBsZSBub25jZ===", "dGhlIHNhbXBsZSBub25j ZQ==", "dGhlIHNhbXBsZSBub25jZ-==",
                          "dGhlIHNhbXBsZSBub25jZSE=", "dGhlIHNhbXBsZSBub25jZQ==dGhl"}) {
    EXPECT_FALSE(IsValidClientKey(bad)) << bad;
  }
}

}  // namespace
}  // namespace tern::proto::ws
