#include "proto/nats/encoder.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace tern::proto::nats {
namespace {

TEST(EncoderTest, FixedReplies) {
  EXPECT_EQ(kPing, "PING\r\n");
  EXPECT_EQ(kPong, "PONG\r\n");
  EXPECT_EQ(kOk, "+OK\r\n");
  std::string out;
  AppendErr(out, "Unknown Protocol Operation");
  EXPECT_EQ(out, "-ERR 'Unknown Protocol Operation'\r\n");
  AppendErr(out, "");
  EXPECT_EQ(out, "-ERR 'Unknown Protocol Operation'\r\n-ERR ''\r\n");
}

TEST(EncoderTest, FormatDecimal) {
  char buf[20];
  for (uint64_t v : {uint64_t{0}, uint64_t{7}, uint64_t{10}, uint64_t{99}, uint64_t{100}, uint64_t{1048576},
                     uint64_t{18446744073709551615u}}) {
    char* s = FormatDecimal(v, buf + 20);
    EXPECT_EQ(std::string(s, buf + 20), std::to_string(v));
  }
}

TEST(EncoderTest, Msg) {
  std::string out;
  AppendMsg(out, "foo.bar", "1", "", "hello");
  EXPECT_EQ(out, "MSG foo.bar 1 5\r\nhello\r\n");
  out.clear();
  AppendMsg(out, "foo", "22", "_INBOX.abc", "");
  EXPECT_EQ(out, "MSG foo 22 _INBOX.abc 0\r\n\r\n");
  // Appends, never overwrites.
  AppendMsg(out, "a", "3", "", "x");
  EXPECT_EQ(out, "MSG foo 22 _INBOX.abc 0\r\n\r\nMSG a 3 1\r\nx\r\n");
}

TEST(EncoderTest, Hmsg) {
  std::string out;
  AppendHmsg(out, "foo", "9", "", "NATS/1.0\r\n\r\n", "hi");
  EXPECT_EQ(out, "HMSG foo 9 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
  out.clear();
  AppendHmsg(out, "foo", "9", "rep", "NATS/1.0 503\r\n\r\n", "");
  EXPECT_EQ(out, "HMSG foo 9 rep 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
}

// Every size, small and large, against a plain reference built with std::string.
TEST(EncoderTest, MatchesReference) {
  std::mt19937 rng(7);
  for (size_t size : {size_t{0}, size_t{1}, size_t{9}, size_t{10}, size_t{2047}, size_t{2048}, size_t{2049},
                      size_t{100000}, size_t{1 << 20}}) {
    std::string payload(size, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    for (std::string_view reply : {std::string_view(), std::string_view("_INBOX.r")}) {
      std::string out = "prefix";
      AppendMsg(out, "s.u.b", "42", reply, payload);
      std::string want = "prefixMSG s.u.b 42 " + (reply.empty() ? "" : std::string(reply) + " ") +
                         std::to_string(size) + "\r\n" + payload + "\r\n";
      EXPECT_EQ(out, want);

      std::string headers = "NATS/1.0\r\nA: b\r\n\r\n";
      out = "p";
      AppendHmsg(out, "s", "1", reply, headers, payload);
      want = "pHMSG s 1 " + (reply.empty() ? "" : std::string(reply) + " ") + std::to_string(headers.size()) + " " +
             std::to_string(headers.size() + size) + "\r\n" + headers + payload + "\r\n";
      EXPECT_EQ(out, want);
    }
  }
}

TEST(EncoderTest, HeaderOnlyForSharedPayloads) {
  std::string out;
  AppendMsgHeader(out, "a", "1", "r", 1000);
  EXPECT_EQ(out, "MSG a 1 r 1000\r\n");
  out.clear();
  AppendHmsgHeader(out, "a", "1", "", 12, 1000);
  EXPECT_EQ(out, "HMSG a 1 12 1012\r\n");
}

}  // namespace
}  // namespace tern::proto::nats
