#include "proto/nats/client_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::proto::nats {
namespace {

// Records every operation as one line of text so whole transcripts compare.
class Recorder : public ClientOpHandler {
 public:
  void OnInfo(std::string_view json) override { ops.push_back("INFO " + std::string(json)); }
  void OnMsg(const MsgOp& op) override {
    std::string s = "MSG " + std::string(op.subject) + " " + std::string(op.sid) + " [" + std::string(op.reply) +
                    "] <" + std::string(op.headers) + "> <" + std::string(op.payload) + ">";
    ops.push_back(s);
  }
  void OnPing() override { ops.push_back("PING"); }
  void OnPong() override { ops.push_back("PONG"); }
  void OnOk() override { ops.push_back("+OK"); }
  void OnErr(std::string_view text) override { ops.push_back("ERR " + std::string(text)); }
  bool ShouldContinue() override { return !stop_after || ops.size() < stop_after; }

  std::vector<std::string> ops;
  size_t stop_after = 0;
};

const char kTranscript[] =
    "INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n"
    "PING\r\n"
    "MSG foo 1 5\r\nhello\r\n"
    "MSG foo.bar 22 _INBOX.abc.1 0\r\n\r\n"
    "+OK\r\n"
    "HMSG a 3 12 17\r\nNATS/1.0\r\n\r\nhello\r\n"
    "HMSG a 3 reply.to 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
    "msg lower 9 4\r\n\r\n\r\n\r\n"
    "PONG\r\n"
    "-ERR 'Authorization Violation'\r\n";

const std::vector<std::string> kExpected = {
    "INFO {\"server_id\":\"x\",\"max_payload\":1048576}",
    "PING",
    "MSG foo 1 [] <> <hello>",
    "MSG foo.bar 22 [_INBOX.abc.1] <> <>",
    "+OK",
    "MSG a 3 [] <NATS/1.0\r\n\r\n> <hello>",
    "MSG a 3 [reply.to] <NATS/1.0 503\r\n\r\n> <>",
    "MSG lower 9 [] <> <\r\n\r\n>",
    "PONG",
    "ERR Authorization Violation",
};

TEST(ClientParserTest, WholeTranscriptInOneChunk) {
  ClientParser parser;
  Recorder rec;
  std::string in = kTranscript;
  FeedResult r = parser.Feed(in.data(), in.size(), rec);
  EXPECT_EQ(r.error, ParseError::kNone);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(rec.ops, kExpected);
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(ClientParserTest, EverySplitPoint) {
  std::string in = kTranscript;
  for (size_t split = 0; split <= in.size(); ++split) {
    ClientParser parser;
    Recorder rec;
    // Copy each half into its own buffer, then scribble over it, to prove the
    // parser never keeps a view into a chunk after Feed() returns.
    std::string a = in.substr(0, split);
    std::string b = in.substr(split);
    FeedResult r1 = parser.Feed(a.data(), a.size(), rec);
    a.assign(a.size(), 'X');
    FeedResult r2 = parser.Feed(b.data(), b.size(), rec);
    ASSERT_EQ(r1.error, ParseError::kNone) << "split " << split;
    ASSERT_EQ(r2.error, ParseError::kNone) << "split " << split;
    EXPECT_EQ(r1.consumed, a.size());
    EXPECT_EQ(r2.consumed, b.size());
    ASSERT_EQ(rec.ops, kExpected) << "split " << split;
    EXPECT_EQ(parser.buffered(), 0u);
  }
}

TEST(ClientParserTest, OneByteAtATime) {
  std::string in = kTranscript;
  ClientParser parser;
  Recorder rec;
  for (char c : in) {
    char byte = c;
    ASSERT_EQ(parser.Feed(&byte, 1, rec).error, ParseError::kNone);
  }
  EXPECT_EQ(rec.ops, kExpected);
}

TEST(ClientParserTest, EveryPairOfSplitPoints) {
  // Three chunks: covers an op spanning a whole middle chunk.
  std::string in = "MSG s 1 r 10\r\n0123456789\r\nPING\r\n";
  for (size_t i = 0; i <= in.size(); ++i) {
    for (size_t j = i; j <= in.size(); ++j) {
      ClientParser parser;
      Recorder rec;
      parser.Feed(in.data(), i, rec);
      parser.Feed(in.data() + i, j - i, rec);
      parser.Feed(in.data() + j, in.size() - j, rec);
      std::vector<std::string> want = {"MSG s 1 [r] <> <0123456789>", "PING"};
      ASSERT_EQ(rec.ops, want) << i << "," << j;
    }
  }
}

TEST(ClientParserTest, TabsAndExtraSpacesBetweenArgs) {
  ClientParser parser;
  Recorder rec;
  std::string in = "MSG  foo\t7   2\r\nhi\r\nPONG  \r\n";
  EXPECT_EQ(parser.Feed(in.data(), in.size(), rec).error, ParseError::kNone);
  std::vector<std::string> want = {"MSG foo 7 [] <> <hi>", "PONG"};
  EXPECT_EQ(rec.ops, want);
}

TEST(ClientParserTest, IgnoresTrailingBytesAfterPing) {
  ClientParser parser;
  Recorder rec;
  std::string in = "PING x\r\nPONG\n";
  EXPECT_EQ(parser.Feed(in.data(), in.size(), rec).error, ParseError::kNone);
  std::vector<std::string> want = {"PING", "PONG"};
  EXPECT_EQ(rec.ops, want);
}

TEST(ClientParserTest, UnquotedErr) {
  ClientParser parser;
  Recorder rec;
  std::string in = "-ERR Stale Connection\r\n";
  parser.Feed(in.data(), in.size(), rec);
  ASSERT_EQ(rec.ops.size(), 1u);
  EXPECT_EQ(rec.ops[0], "ERR Stale Connection");
}

struct BadCase {
  const char* input;
  ParseError error;
};

class ClientParserErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ClientParserErrorTest, ReportsErrorAtEverySplit) {
  std::string in = GetParam().input;
  for (size_t split = 0; split <= in.size(); ++split) {
    ClientParser parser(ParseLimits{64, 100});
    Recorder rec;
    FeedResult r1 = parser.Feed(in.data(), split, rec);
    ParseError got = r1.error;
    if (got == ParseError::kNone) got = parser.Feed(in.data() + split, in.size() - split, rec).error;
    EXPECT_EQ(got, GetParam().error) << "split " << split << " input " << in;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ClientParserErrorTest,
    ::testing::Values(
        BadCase{"FOO bar\r\n", ParseError::kUnknownOp}, BadCase{"MSG foo 1\r\n", ParseError::kBadArgs},
        BadCase{"MSG foo 1 a b 5\r\nhello\r\n", ParseError::kBadArgs}, BadCase{"MSG foo 1 x\r\n", ParseError::kBadArgs},
        BadCase{"MSG foo 1 -1\r\n", ParseError::kBadArgs}, BadCase{"HMSG foo 1 9 5\r\n", ParseError::kBadArgs},
        BadCase{"HMSG foo 1 5\r\n", ParseError::kBadArgs}, BadCase{"MSG foo 1 101\r\n", ParseError::kPayloadTooLarge},
        BadCase{"MSG foo 1 3\r\nhello\r\n", ParseError::kBadPayloadEnd},
        BadCase{"INFO {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\r\n",
                ParseError::kControlLineTooLong},
        BadCase{"INFO {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ParseError::kControlLineTooLong}));

TEST(ClientParserTest, StopsWhenHandlerSaysSo) {
  ClientParser parser;
  Recorder rec;
  rec.stop_after = 2;
  std::string in = "PING\r\nPONG\r\nPING\r\n";
  FeedResult r = parser.Feed(in.data(), in.size(), rec);
  EXPECT_EQ(r.error, ParseError::kNone);
  EXPECT_EQ(r.consumed, 12u);
  EXPECT_EQ(rec.ops.size(), 2u);
}

TEST(ClientParserTest, LargePayloadSplitIsCopiedOnceAndReleased) {
  std::string payload(200000, 'p');
  std::string in = "MSG big 1 " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  ClientParser parser;
  Recorder rec;
  for (size_t pos = 0; pos < in.size(); pos += 4096) {
    size_t n = std::min<size_t>(4096, in.size() - pos);
    ASSERT_EQ(parser.Feed(in.data() + pos, n, rec).error, ParseError::kNone);
  }
  ASSERT_EQ(rec.ops.size(), 1u);
  EXPECT_EQ(rec.ops[0].size(), payload.size() + 18);
  EXPECT_EQ(parser.buffered(), 0u);
  parser.ShrinkIfIdle();
}

TEST(ClientParserTest, ResetDropsPartial) {
  ClientParser parser;
  Recorder rec;
  std::string a = "MSG foo 1 5\r\nhel";
  parser.Feed(a.data(), a.size(), rec);
  EXPECT_GT(parser.buffered(), 0u);
  parser.Reset();
  std::string b = "PING\r\n";
  EXPECT_EQ(parser.Feed(b.data(), b.size(), rec).error, ParseError::kNone);
  std::vector<std::string> want = {"PING"};
  EXPECT_EQ(rec.ops, want);
}

}  // namespace
}  // namespace tern::proto::nats
