#include "tern/message.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(HeadersTest, EncodeDecodeRoundTrip) {
  Headers h;
  h.Add("Tern-Pipeline", "a,b,c");
  h.Add("X", "1");
  h.Add("X", "2");
  std::string wire = h.Encode();
  EXPECT_EQ(wire, "NATS/1.0\r\nTern-Pipeline: a,b,c\r\nX: 1\r\nX: 2\r\n\r\n");
  Headers back;
  int status = -1;
  ASSERT_TRUE(Headers::Decode(wire, &back, &status));
  EXPECT_EQ(status, -1);  // untouched: no inline status
  EXPECT_EQ(back.Get("Tern-Pipeline"), "a,b,c");
  EXPECT_EQ(back.GetAll("X").size(), 2u);
  EXPECT_FALSE(back.Get("missing").has_value());
}

TEST(HeadersTest, InlineStatus) {
  Headers h;
  int status = 0;
  std::string desc;
  ASSERT_TRUE(Headers::Decode("NATS/1.0 503\r\n\r\n", &h, &status, &desc));
  EXPECT_EQ(status, 503);
  EXPECT_TRUE(h.empty());
  ASSERT_TRUE(Headers::Decode("NATS/1.0 408 Request Timeout\r\nA: b\r\n\r\n", &h, &status, &desc));
  EXPECT_EQ(status, 408);
  EXPECT_EQ(desc, "Request Timeout");
  EXPECT_EQ(h.Get("A"), "b");
}

TEST(HeadersTest, RejectsMalformed) {
  Headers h;
  EXPECT_FALSE(Headers::Decode("HTTP/1.1\r\n\r\n", &h));
  EXPECT_FALSE(Headers::Decode("NATS/1.0\r\nnocolon\r\n\r\n", &h));
  EXPECT_FALSE(Headers::Decode("NATS/1.0 abc\r\n\r\n", &h));
}

TEST(HeadersTest, SetReplacesAndRemove) {
  Headers h;
  h.Add("K", "1");
  h.Add("K", "2");
  h.Set("K", "3");
  EXPECT_EQ(h.GetAll("K").size(), 1u);
  EXPECT_EQ(h.Get("K"), "3");
  h.Remove("K");
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.Encode(), "");
}

}  // namespace
}  // namespace tern
