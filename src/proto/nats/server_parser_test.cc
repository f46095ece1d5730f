#include "proto/nats/server_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tern::proto::nats {
namespace {

// Records every operation as one line of text so whole runs compare with ==.
class Recorder : public ServerOpHandler {
 public:
  void OnConnect(std::string_view json) override { events.push_back("CONNECT " + std::string(json)); }
  void OnPub(const PubOp& op) override {
    events.push_back("PUB " + std::string(op.subject) + "|" + std::string(op.reply) + "|" + std::string(op.headers) +
                     "|" + std::string(op.payload));
    last_pub = op;
  }
  void OnSub(const SubOp& op) override {
    events.push_back("SUB " + std::string(op.subject) + "|" + std::string(op.queue) + "|" + std::string(op.sid));
  }
  void OnUnsub(const UnsubOp& op) override {
    events.push_back("UNSUB " + std::string(op.sid) + "|" + std::to_string(op.max_msgs));
  }
  void OnPing() override { events.push_back("PING"); }
  void OnPong() override { events.push_back("PONG"); }
  void OnInfo(std::string_view json) override { events.push_back("INFO " + std::string(json)); }
  bool ShouldContinue() override { return stop_after == 0 || events.size() < stop_after; }

  std::vector<std::string> events;
  size_t stop_after = 0;  // 0: never stop
  PubOp last_pub;
};

struct FeedOutcome {
  std::vector<std::string> events;
  ParseError error = ParseError::kNone;
  size_t buffered = 0;  // bytes held by the parser at the end
};

// Feeds `input` cut at the given offsets (ascending), stopping at the first
// error, and checks the consumed count of every call.
FeedOutcome FeedSplit(std::string_view input, const std::vector<size_t>& cuts, ParseLimits limits = {}) {
  ServerParser parser(limits);
  Recorder rec;
  FeedOutcome run;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t end = i < cuts.size() ? cuts[i] : input.size();
    // Copy each chunk into its own buffer and scribble over it afterwards, so
    // a view that outlives Feed() would show up as a wrong event.
    std::string chunk(input.substr(start, end - start));
    FeedResult r = parser.Feed(chunk.data(), chunk.size(), rec);
    std::fill(chunk.begin(), chunk.end(), '#');
    if (r.error != ParseError::kNone) {
      EXPECT_LE(r.consumed, chunk.size());
      run.error = r.error;
      break;
    }
    EXPECT_EQ(r.consumed, chunk.size());
    start = end;
  }
  run.events = rec.events;
  run.buffered = parser.buffered();
  return run;
}

FeedOutcome FeedWhole(std::string_view input, ParseLimits limits = {}) { return FeedSplit(input, {}, limits); }

// The result must not depend on how the bytes arrive: every single split
// point, every pair of split points (for short inputs), and one byte at a time.
void ExpectSplitInvariant(std::string_view input, const FeedOutcome& want, ParseLimits limits = {}) {
  for (size_t i = 1; i < input.size(); ++i) {
    FeedOutcome got = FeedSplit(input, {i}, limits);
    ASSERT_EQ(got.events, want.events) << "split at " << i << " of " << testing::PrintToString(std::string(input));
    ASSERT_EQ(got.error, want.error) << "split at " << i;
  }
  if (input.size() <= 160) {
    for (size_t i = 1; i < input.size(); ++i) {
      for (size_t j = i + 1; j < input.size(); ++j) {
        FeedOutcome got = FeedSplit(input, {i, j}, limits);
        ASSERT_EQ(got.events, want.events) << "split at " << i << "," << j;
        ASSERT_EQ(got.error, want.error) << "split at " << i << "," << j;
      }
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  FeedOutcome got = FeedSplit(input, bytes, limits);
  ASSERT_EQ(got.events, want.events) << "one byte at a time";
  ASSERT_EQ(got.error, want.error) << "one byte at a time";
}

const char kTranscript[] =
    "CONNECT {\"verbose\":false,\"headers\":true}\r\n"
    "PING\r\n"
    "SUB foo 1\r\n"
    "SUB foo.* workers 2\r\n"
    "PUB foo 5\r\nhello\r\n"
    "PUB foo _INBOX.x 0\r\n\r\n"
    "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"
    "HPUB foo rep 12 12\r\nNATS/1.0\r\n\r\n\r\n"
    "UNSUB 1\r\n"
    "UNSUB 2 10\r\n"
    "PONG\r\n"
    "+OK\r\n"
    "INFO {}\r\n";

const std::vector<std::string> kTranscriptEvents = {
    "CONNECT {\"verbose\":false,\"headers\":true}",
    "PING",
    "SUB foo||1",
    "SUB foo.*|workers|2",
    "PUB foo|||hello",
    "PUB foo|_INBOX.x||",
    "PUB foo||NATS/1.0\r\n\r\n|hi",
    "PUB foo|rep|NATS/1.0\r\n\r\n|",
    "UNSUB 1|-1",
    "UNSUB 2|10",
    "PONG",
    "INFO {}",
};

TEST(ServerParserTest, TranscriptWhole) {
  FeedOutcome run = FeedWhole(kTranscript);
  EXPECT_EQ(run.error, ParseError::kNone);
  EXPECT_EQ(run.events, kTranscriptEvents);
  EXPECT_EQ(run.buffered, 0u);
}

TEST(ServerParserTest, TranscriptEverySplit) {
  FeedOutcome want{kTranscriptEvents, ParseError::kNone, 0};
  std::string input = kTranscript;
  for (size_t i = 1; i < input.size(); ++i) {
    FeedOutcome got = FeedSplit(input, {i});
    ASSERT_EQ(got.events, want.events) << "split at " << i;
    ASSERT_EQ(got.error, ParseError::kNone);
    ASSERT_EQ(got.buffered, 0u);
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  EXPECT_EQ(FeedSplit(input, bytes).events, want.events);
}

TEST(ServerParserTest, TranscriptRandomChunks) {
  std::mt19937 rng(12345);
  std::string input;
  for (int i = 0; i < 20; ++i) input += kTranscript;
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) want.insert(want.end(), kTranscriptEvents.begin(), kTranscriptEvents.end());
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<size_t> cuts;
    size_t at = 0;
    for (;;) {
      at += 1 + rng() % 40;
      if (at >= input.size()) break;
      cuts.push_back(at);
    }
    ASSERT_EQ(FeedSplit(input, cuts).events, want) << "trial " << trial;
  }
}

TEST(ServerParserTest, EachVerbSplitInvariant) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"CONNECT {}\r\n", {"CONNECT {}"}},
      {"CONNECT\t \t{\"a\":1}\r\n", {"CONNECT {\"a\":1}"}},
      {"CONNECT{}\r\n", {"CONNECT {}"}},
      {"CONNECT\r\n", {"CONNECT "}},
      {"PUB a 1\r\nx\r\n", {"PUB a|||x"}},
      {"PUB a b 3\r\nxyz\r\n", {"PUB a|b||xyz"}},
      {"PUB\ta\t\t3 \r\nx\ry\r\n", {"PUB a|||x\ry"}},
      {"PUB a 000000002\r\n\r\n\r\n", {"PUB a|||\r\n"}},
      {"HPUB a 4 4\r\nh\r\n\r\r\n", {"PUB a||h\r\n\r|"}},
      {"HPUB a r 0 3\r\nabc\r\n", {"PUB a|r||abc"}},
      {"SUB a 1\r\n", {"SUB a||1"}},
      {"SUB a q 1\r\n", {"SUB a|q|1"}},
      {"SUB a\r1\r\n", {"SUB a||1"}},  // nats-server splits SUB args on CR too
      {"SUB  a \t q   1  \r\n", {"SUB a|q|1"}},
      {"UNSUB 1\r\n", {"UNSUB 1|-1"}},
      {"UNSUB 1 7\r\n", {"UNSUB 1|7"}},
      {"UNSUB 1 0\r\n", {"UNSUB 1|0"}},
      {"UNSUB 1 x\r\n", {"UNSUB 1|-1"}},  // nats-server: bad max means unsubscribe now
      {"UNSUB 1 1234567890\r\n", {"UNSUB 1|-1"}},
      {"PING\r\n", {"PING"}},
      {"PONG\r\n", {"PONG"}},
      {"+OK\r\n", {}},
      {"INFO {\"x\":1}\r\n", {"INFO {\"x\":1}"}},
      // Case-insensitive verbs.
      {"pub a 1\r\nx\r\npUb a 1\r\ny\r\nhpub a 0 0\r\n\r\nsub a 1\r\nSuB a 2\r\nunsub 1\r\nUnSuB 2\r\n"
       "ping\r\nPiNg\r\npong\r\nconnect {}\r\nCoNnEcT {}\r\n+ok\r\ninfo {}\r\n",
       {"PUB a|||x", "PUB a|||y", "PUB a|||", "SUB a||1", "SUB a||2", "UNSUB 1|-1", "UNSUB 2|-1", "PING", "PING",
        "PONG", "CONNECT {}", "CONNECT {}", "INFO {}"}},
      // A bare '\n' ends a control line, as in nats-server.
      {"PING\nPONG\nSUB a 1\nPUB a 2\nab\r\nCONNECT {}\nUNSUB 1\n",
       {"PING", "PONG", "SUB a||1", "PUB a|||ab", "CONNECT {}", "UNSUB 1|-1"}},
      // Anything after PING/PONG/+OK up to '\n' is ignored, as in nats-server.
      {"PINGXYZ\r\nPONG foo bar\r\n+OKAY\r\nPING", {"PING", "PONG"}},
  };
  for (const auto& [input, events] : cases) {
    SCOPED_TRACE(testing::PrintToString(input));
    FeedOutcome want = FeedWhole(input);
    EXPECT_EQ(want.error, ParseError::kNone);
    EXPECT_EQ(want.events, events);
    ExpectSplitInvariant(input, want);
  }
}

TEST(ServerParserTest, LongPingTailIsNotBufferedOrLimited) {
  ServerParser parser(ParseLimits{.max_control_line = 64});
  Recorder rec;
  std::string tail(10000, 'z');
  ASSERT_EQ(parser.Feed("PING", rec).error, ParseError::kNone);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(parser.Feed(tail, rec).error, ParseError::kNone);
    EXPECT_EQ(parser.buffered(), 0u);
  }
  ASSERT_EQ(parser.Feed("\r\nPONG\r\n", rec).error, ParseError::kNone);
  EXPECT_EQ(rec.events, (std::vector<std::string>{"PING", "PONG"}));
}

struct ErrorCase {
  std::string input;
  ParseError error;
  std::vector<std::string> events_before;
};

TEST(ServerParserTest, ErrorsSplitInvariant) {
  const std::string ok = "PING\r\n";
  const std::vector<ErrorCase> cases = {
      {"XYZ\r\n", ParseError::kUnknownOp, {}},
      {"\r\n", ParseError::kUnknownOp, {}},
      {" PING\r\n", ParseError::kUnknownOp, {}},
      {ok + "PUB\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "PUBX a 1\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "SUB\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "UNSUB\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "PIN\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "MSG a 1 1\r\nx\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "HMSG a 1 1 1\r\nx\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "CONNEC {}\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "-ER x\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "\x0bOK\r\n", ParseError::kUnknownOp, {"PING"}},
      {ok + "PUB \r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a b\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a b c 1\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a -1\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a +1\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a 1234567890\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "HPUB a 1\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "HPUB a x 1\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "HPUB a 1 x\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "HPUB a 5 3\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "HPUB a b c 1 2\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "SUB a\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "SUB a b c d\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "UNSUB \r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "UNSUB 1 2 3\r\n", ParseError::kBadArgs, {"PING"}},
      {ok + "PUB a 2000000\r\n", ParseError::kPayloadTooLarge, {"PING"}},
      {ok + "HPUB a 0 1048577\r\n", ParseError::kPayloadTooLarge, {"PING"}},
      {ok + "PUB a 2\r\nabc\r\n", ParseError::kBadPayloadEnd, {"PING"}},
      {ok + "PUB a 2\r\nab\n", ParseError::kBadPayloadEnd, {"PING"}},
      {ok + "PUB a 2\r\nab\rx", ParseError::kBadPayloadEnd, {"PING"}},
      {ok + "PUB a 2\r\nabX", ParseError::kBadPayloadEnd, {"PING"}},  // fails before the rest arrives
      {ok + "-ERR 'x'\r\n", ParseError::kClientErr, {"PING"}},
      {ok + "PUB " + std::string(5000, 'a') + " 1\r\nx\r\n", ParseError::kControlLineTooLong, {"PING"}},
      {ok + "SUB " + std::string(5000, 'a'), ParseError::kControlLineTooLong, {"PING"}},  // no '\n' yet
      {ok + "CONNECT " + std::string(4097, 'a') + "\r\n", ParseError::kControlLineTooLong, {"PING"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.input));
    FeedOutcome want = FeedWhole(c.input);
    EXPECT_EQ(want.error, c.error) << ErrorName(want.error);
    EXPECT_EQ(want.events, c.events_before);
    ExpectSplitInvariant(c.input, want);
  }
}

TEST(ServerParserTest, ControlLineLimitBoundary) {
  ParseLimits limits{.max_control_line = 16};
  // Arguments of exactly the limit pass, with or without CR; one more fails.
  std::string at = "SUB " + std::string(14, 'a') + " 1\r\n";
  std::string over = "SUB " + std::string(15, 'a') + " 1\r\n";
  std::string at_lf = "SUB " + std::string(14, 'a') + " 1\n";
  for (const std::string& in : {at, at_lf}) {
    FeedOutcome want = FeedWhole(in, limits);
    EXPECT_EQ(want.error, ParseError::kNone);
    ASSERT_EQ(want.events.size(), 1u);
    ExpectSplitInvariant(in, want, limits);
  }
  FeedOutcome want = FeedWhole(over, limits);
  EXPECT_EQ(want.error, ParseError::kControlLineTooLong);
  ExpectSplitInvariant(over, want, limits);
  // An open line fails as soon as it is certainly too long, without waiting for '\n'.
  ServerParser parser(limits);
  Recorder rec;
  EXPECT_EQ(parser.Feed("SUB " + std::string(17, 'a'), rec).error, ParseError::kNone);
  EXPECT_EQ(parser.Feed("a", rec).error, ParseError::kControlLineTooLong);
}

TEST(ServerParserTest, HeadersNotAllowed) {
  ServerParser parser;
  parser.set_headers_allowed(false);
  Recorder rec;
  FeedResult r = parser.Feed("PUB a 0\r\n\r\nHPUB a 0 0\r\n\r\n", rec);
  EXPECT_EQ(r.error, ParseError::kHeadersNotSupported);
  EXPECT_EQ(r.consumed, 11u);
  // Refused before the size is looked at, as nats-server does.
  ServerParser p2;
  p2.set_headers_allowed(false);
  EXPECT_EQ(p2.Feed("HPUB a 0 99999999\r\n", rec).error, ParseError::kHeadersNotSupported);
}

TEST(ServerParserTest, MaxPayloadIsConfigurable) {
  ServerParser parser(ParseLimits{.max_payload = 4});
  Recorder rec;
  EXPECT_EQ(parser.Feed("PUB a 4\r\nabcd\r\n", rec).error, ParseError::kNone);
  EXPECT_EQ(parser.Feed("PUB a 5\r\n", rec).error, ParseError::kPayloadTooLarge);
  parser = ServerParser(ParseLimits{});
  parser.set_max_payload(5);
  EXPECT_EQ(parser.Feed("PUB a 5\r\nabcde\r\n", rec).error, ParseError::kNone);
  EXPECT_EQ(rec.events.size(), 2u);
}

TEST(ServerParserTest, ConsumedCountsOnErrorAndStop) {
  {
    ServerParser parser;
    Recorder rec;
    std::string in = "PING\r\nSUB a 1\r\nBOGUS\r\nPING\r\n";
    FeedResult r = parser.Feed(in, rec);
    EXPECT_EQ(r.error, ParseError::kUnknownOp);
    EXPECT_EQ(r.consumed, in.find("BOGUS"));
    EXPECT_EQ(rec.events.size(), 2u);
  }
  {
    // The bad op began in the previous chunk: nothing of this one counts.
    ServerParser parser;
    Recorder rec;
    EXPECT_EQ(parser.Feed("PING\r\nPUB a 2\r\nab", rec).consumed, 17u);
    FeedResult r = parser.Feed("XX\r\nPING\r\n", rec);
    EXPECT_EQ(r.error, ParseError::kBadPayloadEnd);
    EXPECT_EQ(r.consumed, 0u);
  }
  {
    // The handler stops after the second op: consumed ends right after it.
    ServerParser parser;
    Recorder rec;
    rec.stop_after = 2;
    std::string in = "PING\r\nPUB a 1\r\nx\r\nPING\r\n";
    FeedResult r = parser.Feed(in, rec);
    EXPECT_EQ(r.error, ParseError::kNone);
    EXPECT_EQ(r.consumed, in.size() - 6);
    EXPECT_EQ(rec.events.size(), 2u);
  }
  {
    // Stop on an op completed from the split buffer.
    ServerParser parser;
    Recorder rec;
    rec.stop_after = 1;
    EXPECT_EQ(parser.Feed("PUB a 3\r\nx", rec).consumed, 10u);
    FeedResult r = parser.Feed("yz\r\nPING\r\n", rec);
    EXPECT_EQ(r.consumed, 4u);
    EXPECT_EQ(rec.events, (std::vector<std::string>{"PUB a|||xyz"}));
    EXPECT_EQ(parser.buffered(), 0u);
  }
}

TEST(ServerParserTest, WholeOpsAreNotCopied) {
  ServerParser parser;
  Recorder rec;
  std::string in = "PUB subj reply 5\r\nhello\r\n";
  ASSERT_EQ(parser.Feed(in, rec).error, ParseError::kNone);
  const char* b = in.data();
  const char* e = in.data() + in.size();
  EXPECT_TRUE(rec.last_pub.payload.data() >= b && rec.last_pub.payload.data() < e);
  EXPECT_TRUE(rec.last_pub.subject.data() >= b && rec.last_pub.subject.data() < e);
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(ServerParserTest, BigPayloadAcrossManyChunks) {
  const size_t kSize = 1024 * 1024;
  std::string payload(kSize, '\0');
  for (size_t i = 0; i < kSize; ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string in = "PING\r\nHPUB big.subject _INBOX.1 12 " + std::to_string(kSize) + "\r\n";
  std::string body = "NATS/1.0\r\n\r\n" + payload.substr(12);
  in += body + "\r\nPONG\r\n";
  for (size_t chunk : {1000u, 4096u, 65536u, 7u * 1024 + 3}) {
    ServerParser parser;
    Recorder rec;
    size_t max_buffered = 0;
    for (size_t at = 0; at < in.size(); at += chunk) {
      std::string_view part = std::string_view(in).substr(at, chunk);
      FeedResult r = parser.Feed(part, rec);
      ASSERT_EQ(r.error, ParseError::kNone);
      ASSERT_EQ(r.consumed, part.size());
      max_buffered = std::max(max_buffered, parser.buffered());
    }
    ASSERT_EQ(rec.events.size(), 3u);
    EXPECT_EQ(rec.events[1], "PUB big.subject|_INBOX.1|NATS/1.0\r\n\r\n|" + payload.substr(12));
    EXPECT_EQ(rec.events[2], "PONG");
    EXPECT_EQ(parser.buffered(), 0u);
    // Only the one op is ever held: its control line plus its payload.
    EXPECT_LE(max_buffered, kSize + 64);
  }
}

TEST(ServerParserTest, ShrinkIfIdle) {
  ServerParser parser;
  Recorder rec;
  ASSERT_EQ(parser.Feed("PUB a 10000\r\n" + std::string(5000, 'x'), rec).error, ParseError::kNone);
  EXPECT_GT(parser.buffered(), 5000u);
  parser.ShrinkIfIdle();  // not idle: must keep the partial op
  EXPECT_GT(parser.buffered(), 5000u);
  ASSERT_EQ(parser.Feed(std::string(5000, 'y') + "\r\n", rec).error, ParseError::kNone);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], "PUB a|||" + std::string(5000, 'x') + std::string(5000, 'y'));
  EXPECT_EQ(parser.buffered(), 0u);
  parser.ShrinkIfIdle();
  EXPECT_EQ(parser.buffered(), 0u);
  ASSERT_EQ(parser.Feed("PUB a 3\r\nab", rec).error, ParseError::kNone);
  ASSERT_EQ(parser.Feed("c\r\n", rec).error, ParseError::kNone);
  EXPECT_EQ(rec.events.back(), "PUB a|||abc");
}

TEST(ServerParserTest, ErrorTexts) {
  EXPECT_EQ(ErrorText(ParseError::kUnknownOp), "Unknown Protocol Operation");
  EXPECT_EQ(ErrorText(ParseError::kBadPayloadEnd), "Unknown Protocol Operation");
  EXPECT_EQ(ErrorText(ParseError::kControlLineTooLong), "maximum control line exceeded");
  EXPECT_EQ(ErrorText(ParseError::kPayloadTooLarge), "Maximum Payload Violation");
  EXPECT_EQ(ErrorText(ParseError::kBadArgs), "");
  EXPECT_EQ(ErrorText(ParseError::kHeadersNotSupported), "");
  EXPECT_EQ(ErrorText(ParseError::kClientErr), "");
  EXPECT_EQ(ErrorText(ParseError::kNone), "");
}

}  // namespace
}  // namespace tern::proto::nats
