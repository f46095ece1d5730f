#include "wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern::loadgen {
namespace {

struct Recorder {
  std::vector<std::string> msgs;  // args of each MSG/HMSG
  std::vector<size_t> sizes;
  int pings = 0;
  int pongs = 0;
  std::vector<std::string> errs;
  void OnMsg(const MsgFrame& frame) {
    msgs.emplace_back(frame.args);
    sizes.push_back(frame.payload);
  }
  void OnPing() { ++pings; }
  void OnPong() { ++pongs; }
  void OnErr(std::string_view line) { errs.emplace_back(line); }
};

// Feeds `stream` in pieces cut at `split` like Conn::Pump does: unconsumed
// bytes (a partial control line) are kept and presented again with the next.
Recorder FeedSplit(const std::string& stream, size_t split) {
  MsgScanner scanner;
  Recorder recorder;
  std::string pending;
  for (size_t pos = 0; pos < stream.size(); pos += split) {
    pending += stream.substr(pos, split);
    size_t used = scanner.Feed(pending.data(), pending.size(), recorder);
    EXPECT_FALSE(scanner.failed());
    pending.erase(0, used);
  }
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(scanner.pending_skip(), 0u);
  return recorder;
}

const std::string kStream =
    "INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n"
    "PONG\r\n"
    "MSG foo 1 5\r\nhello\r\n"
    "MSG foo.bar 22 _INBOX.a.1 11\r\nMSG in body\r\n"  // a payload that looks like a control line
    "PING\r\n"
    "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
    "+OK\r\n"
    "MSG empty 3 0\r\n\r\n"
    "-ERR 'Slow Consumer'\r\n";

TEST(LoadgenScannerTest, EverySplitPointGivesTheSameFrames) {
  for (size_t split = 1; split <= kStream.size(); ++split) {
    Recorder r = FeedSplit(kStream, split);
    ASSERT_EQ(r.msgs.size(), 4u) << "split " << split;
    EXPECT_EQ(r.msgs[0], "foo 1 5");
    EXPECT_EQ(r.msgs[1], "foo.bar 22 _INBOX.a.1 11");
    EXPECT_EQ(r.msgs[2], "foo 1 12 14");
    EXPECT_EQ(r.msgs[3], "empty 3 0");
    EXPECT_EQ(r.sizes, (std::vector<size_t>{5, 11, 14, 0}));
    EXPECT_EQ(r.pings, 1);
    EXPECT_EQ(r.pongs, 1);
    ASSERT_EQ(r.errs.size(), 1u);
    EXPECT_EQ(r.errs[0], "-ERR 'Slow Consumer'");
  }
}

TEST(LoadgenScannerTest, RejectsMsgWithoutSize) {
  MsgScanner scanner;
  Recorder r;
  std::string bad = "MSG foo 1 five\r\n";
  scanner.Feed(bad.data(), bad.size(), r);
  EXPECT_TRUE(scanner.failed());
  EXPECT_TRUE(r.msgs.empty());
}

TEST(LoadgenScannerTest, KeepsPartialControlLine) {
  MsgScanner scanner;
  Recorder r;
  std::string part = "MSG foo 1 5\r\nhello\r\nMSG fo";
  EXPECT_EQ(scanner.Feed(part.data(), part.size(), r), part.size() - 6);
  EXPECT_EQ(r.msgs.size(), 1u);
}

TEST(LoadgenSplitMsgArgsTest, WithAndWithoutReply) {
  MsgArgs a;
  ASSERT_TRUE(SplitMsgArgs("foo 1 5", false, &a));
  EXPECT_EQ(a.subject, "foo");
  EXPECT_EQ(a.sid, "1");
  EXPECT_EQ(a.reply, "");
  ASSERT_TRUE(SplitMsgArgs("foo  9 _INBOX.x.7 5", false, &a));
  EXPECT_EQ(a.reply, "_INBOX.x.7");
  ASSERT_TRUE(SplitMsgArgs("foo 9 r 12 14", true, &a));
  EXPECT_EQ(a.reply, "r");
  ASSERT_TRUE(SplitMsgArgs("foo 9 12 14", true, &a));
  EXPECT_EQ(a.reply, "");
  EXPECT_FALSE(SplitMsgArgs("foo", false, &a));
  EXPECT_FALSE(SplitMsgArgs("a b c d e f", false, &a));
}

TEST(LoadgenParseSizeTest, DigitsOnly) {
  size_t v = 0;
  EXPECT_TRUE(ParseSize("1048576", &v));
  EXPECT_EQ(v, 1048576u);
  EXPECT_FALSE(ParseSize("", &v));
  EXPECT_FALSE(ParseSize("-1", &v));
  EXPECT_FALSE(ParseSize("12a", &v));
  EXPECT_FALSE(ParseSize("99999999999999999999", &v));
}

}  // namespace
}  // namespace tern::loadgen
