#include "proto/route/parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proto/route/encoder.h"
#include "proto/route/info.h"

namespace tern::proto::route {
namespace {

// One operation as a line of text, so whole runs compare with ==.
std::string Describe(const RouteOp& op) {
  switch (op.type) {
    case OpType::kInfo:
      return "INFO " + std::string(op.text);
    case OpType::kConnect:
      return "CONNECT " + std::string(op.text);
    case OpType::kSubscribe:
      return "RS+ " + std::string(op.subject) + "|" + std::string(op.queue) + "|" + std::to_string(op.weight);
    case OpType::kUnsubscribe:
      return "RS- " + std::string(op.subject) + "|" + std::string(op.queue);
    case OpType::kSyncDone:
      return "RSYNC " + std::to_string(op.count);
    case OpType::kMessage: {
      std::string s = "MSG " + std::string(op.subject) + "|" + std::string(op.reply) + "|";
      for (auto q : op.queues) s += std::string(q) + ",";
      return s + "|" + std::string(op.headers) + "|" + std::string(op.payload);
    }
    case OpType::kPing:
      return "PING";
    case OpType::kPong:
      return "PONG";
    case OpType::kBarrier:
      return "BARRIER " + std::string(op.text);
    case OpType::kBarrierAck:
      return "BARRIER_ACK " + std::string(op.text);
    case OpType::kError:
      return "ERR " + std::string(op.text);
  }
  return "?";
}

struct Outcome {
  std::vector<std::string> ops;
  ParseError error = ParseError::kNone;
  size_t buffered = 0;
};

// Feeds `input` cut at `cuts` (ascending), pulling every operation out of
// each chunk; each chunk is scribbled over once the next one is fed, so a
// view that outlives its promise shows up as a wrong operation.
Outcome Feed(std::string_view input, const std::vector<size_t>& cuts, RouteLimits limits = {}) {
  RouteParser parser(limits);
  Outcome out;
  size_t start = 0;
  std::string previous;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    std::string chunk(input.substr(start, end - start));
    std::fill(previous.begin(), previous.end(), '#');
    size_t pos = 0;
    for (;;) {
      RouteOp op;
      NextResult r = parser.Next(chunk.data() + pos, chunk.size() - pos, &op);
      if (r.status == NextResult::Status::kError) {
        out.error = r.error;
        return out;
      }
      pos += r.consumed;
      EXPECT_LE(pos, chunk.size());
      if (r.status == NextResult::Status::kNeedMore) break;
      out.ops.push_back(Describe(op));
    }
    EXPECT_EQ(pos, chunk.size());
    previous = std::move(chunk);
    start = end;
  }
  out.buffered = parser.buffered();
  return out;
}

Outcome Whole(std::string_view input, RouteLimits limits = {}) { return Feed(input, {}, limits); }

const std::string kTranscript =
    "INFO {\"server_id\":\"A\"}\r\n"
    "CONNECT {\"user\":\"r\",\"pass\":\"s\"}\r\n"
    "RS+ foo.bar\r\n"
    "RS+ jobs.* workers 3\r\n"
    "RSYNC 2\r\n"
    "RS- foo.bar\r\n"
    "RS- jobs.* workers\r\n"
    "RMSG foo 5\r\nhello\r\n"
    "RMSG foo _INBOX.1 2\r\nhi\r\n"
    "RMSG jobs.1 | workers other 3\r\nabc\r\n"
    "RMSG jobs.2 reply.x | workers 0\r\n\r\n"
    "HRMSG h 12 14\r\nNATS/1.0\r\n\r\nab\r\n"
    "HRMSG h r | q 12 12\r\nNATS/1.0\r\n\r\n\r\n"
    "PING\r\nPONG\r\n"
    "BARRIER 17\r\nBARRIER_ACK 17\r\n"
    "-ERR 'route protocol version mismatch'\r\n";

const std::vector<std::string> kExpected = {
    "INFO {\"server_id\":\"A\"}",
    "CONNECT {\"user\":\"r\",\"pass\":\"s\"}",
    "RS+ foo.bar||0",
    "RS+ jobs.*|workers|3",
    "RSYNC 2",
    "RS- foo.bar|",
    "RS- jobs.*|workers",
    "MSG foo||||hello",
    "MSG foo|_INBOX.1|||hi",
    "MSG jobs.1||workers,other,||abc",
    "MSG jobs.2|reply.x|workers,||",
    "MSG h|||NATS/1.0\r\n\r\n|ab",
    "MSG h|r|q,|NATS/1.0\r\n\r\n|",
    "PING",
    "PONG",
    "BARRIER 17",
    "BARRIER_ACK 17",
    "ERR route protocol version mismatch",
};

TEST(RouteParserTest, ParsesEveryOperationWhole) {
  Outcome out = Whole(kTranscript);
  EXPECT_EQ(out.error, ParseError::kNone);
  EXPECT_EQ(out.ops, kExpected);
  EXPECT_EQ(out.buffered, 0u);
}

TEST(RouteParserTest, EverySplitPointGivesTheSameOperations) {
  for (size_t cut = 1; cut < kTranscript.size(); ++cut) {
    Outcome out = Feed(kTranscript, {cut});
    ASSERT_EQ(out.error, ParseError::kNone) << "cut at " << cut;
    ASSERT_EQ(out.ops, kExpected) << "cut at " << cut;
  }
}

TEST(RouteParserTest, OneByteAtATime) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kTranscript.size(); ++i) cuts.push_back(i);
  Outcome out = Feed(kTranscript, cuts);
  EXPECT_EQ(out.error, ParseError::kNone);
  EXPECT_EQ(out.ops, kExpected);
}

TEST(RouteParserTest, RandomSplits) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<size_t> cuts;
    for (size_t at = 0;;) {
      at += 1 + rng() % 40;
      if (at >= kTranscript.size()) break;
      cuts.push_back(at);
    }
    Outcome out = Feed(kTranscript, cuts);
    ASSERT_EQ(out.ops, kExpected) << "round " << round;
  }
}

TEST(RouteParserTest, VerbsAreCaseInsensitiveAndBareNewlinesWork) {
  Outcome out = Whole("ping\nrs+ a\nrmsg a 1\r\nx\r\n");
  EXPECT_EQ(out.ops, (std::vector<std::string>{"PING", "RS+ a||0", "MSG a||||x"}));
}

TEST(RouteParserTest, KeepsAPartialOperationForTheNextChunk) {
  Outcome out = Whole("RMSG foo 10\r\nhel");
  EXPECT_TRUE(out.ops.empty());
  EXPECT_EQ(out.buffered, 16u);
}

TEST(RouteParserTest, UnknownVerbFailsAtOnce) {
  EXPECT_EQ(Whole("PUB foo 1\r\nx\r\n").error, ParseError::kUnknownOp);
  // Before the line is complete: no prefix of a verb starts like this.
  EXPECT_EQ(Whole("XYZ").error, ParseError::kUnknownOp);
  EXPECT_EQ(Whole("RSX a\r\n").error, ParseError::kUnknownOp);
  EXPECT_EQ(Whole("BARRIER_ACKS 1\r\n").error, ParseError::kUnknownOp);
}

TEST(RouteParserTest, BadArguments) {
  for (const char* bad :
       {"RS+\r\n", "RS+ a q\r\n", "RS+ a q 0\r\n", "RS+ a q x\r\n", "RS+ a q 1 2\r\n", "RS- a b c\r\n", "RSYNC\r\n",
        "RSYNC x\r\n", "RMSG foo\r\n", "RMSG foo x\r\n", "RMSG a b c 1\r\n", "RMSG a | 1\r\n", "RMSG | q 1\r\n",
        "HRMSG a 5 3\r\n", "HRMSG a 3\r\n", "BARRIER\r\n", "BARRIER 1 2\r\n"}) {
    EXPECT_EQ(Whole(bad).error, ParseError::kBadArgs) << bad;
  }
}

TEST(RouteParserTest, PayloadMustEndInCrLf) {
  EXPECT_EQ(Whole("RMSG a 2\r\nabc\r\n").error, ParseError::kBadPayloadEnd);
  EXPECT_EQ(Feed("RMSG a 2\r\nab\rx", {11, 13}).error, ParseError::kBadPayloadEnd);
}

TEST(RouteParserTest, Limits) {
  RouteLimits small{.max_control_line = 32, .max_payload = 8};
  EXPECT_EQ(Whole("RMSG a 9\r\n123456789\r\n", small).error, ParseError::kPayloadTooLarge);
  EXPECT_EQ(Whole("RMSG a 8\r\n12345678\r\n", small).ops.size(), 1u);
  const std::string long_line = "RS+ " + std::string(40, 'a');
  EXPECT_EQ(Whole(long_line, small).error, ParseError::kControlLineTooLong);
  EXPECT_EQ(Feed(long_line, {5, 10, 20, 30}, small).error, ParseError::kControlLineTooLong);
  EXPECT_EQ(Whole(long_line + "\r\n", small).error, ParseError::kControlLineTooLong);
}

TEST(RouteEncoderTest, RoundTripsThroughTheParser) {
  std::string out;
  AppendSubscribe(out, "a.b", "", 0);
  AppendSubscribe(out, "a.*", "grp", 4);
  AppendUnsubscribe(out, "a.b", "");
  AppendUnsubscribe(out, "a.*", "grp");
  AppendSyncDone(out, 123456789012ull);
  const std::string_view queues[] = {"g1", "g2"};
  AppendMessage(out, "s", "", {}, "", "payload");
  AppendMessage(out, "s", "r", queues, "", "");
  AppendMessage(out, "s", "r", queues, "NATS/1.0\r\n\r\n", "x");
  AppendMessageHeader(out, "big", "", {}, 0, 3);
  out.append("xyz").append(kCrLf);
  out.append(kPing).append(kPong);
  AppendBarrier(out, 42);
  AppendBarrierAck(out, "42");
  AppendError(out, "no");
  Outcome got = Whole(out);
  EXPECT_EQ(got.error, ParseError::kNone);
  EXPECT_EQ(got.ops,
            (std::vector<std::string>{"RS+ a.b||0", "RS+ a.*|grp|4", "RS- a.b|", "RS- a.*|grp", "RSYNC 123456789012",
                                      "MSG s||||payload", "MSG s|r|g1,g2,||", "MSG s|r|g1,g2,|NATS/1.0\r\n\r\n|x",
                                      "MSG big||||xyz", "PING", "PONG", "BARRIER 42", "BARRIER_ACK 42", "ERR no"}));
}

TEST(RouteEncoderTest, SizeBoundCoversTheMessage) {
  const std::string_view queues[] = {"workers", "audit"};
  std::string out;
  AppendMessage(out, "orders.created", "_INBOX.abc.1", queues, "NATS/1.0\r\nA: b\r\n\r\n", std::string(99999, 'p'));
  EXPECT_LE(out.size(), MessageSizeBound("orders.created", "_INBOX.abc.1", queues, 99999 + 19));
}

TEST(RouteInfoTest, RoundTrips) {
  RouteInfo info;
  info.server_id = "NABC";
  info.server_name = "n1";
  info.cluster = "c";
  info.version = "0.1.0";
  info.route_url = "nats-route://127.0.0.1:6222";
  info.connect_urls = {"127.0.0.1:4222"};
  info.routes = {"nats-route://127.0.0.1:6223"};
  info.lame_duck = true;
  info.paused = true;
  info.auth_required = true;
  std::string line = EncodeInfo(info);
  ASSERT_TRUE(line.starts_with("INFO {") && line.ends_with("}\r\n")) << line;
  Outcome parsed = Whole(line);
  ASSERT_EQ(parsed.ops.size(), 1u);
  RouteInfo back;
  std::string error;
  ASSERT_TRUE(ParseInfo(line.substr(5, line.size() - 7), &back, &error)) << error;
  EXPECT_EQ(back.server_id, "NABC");
  EXPECT_EQ(back.server_name, "n1");
  EXPECT_EQ(back.cluster, "c");
  EXPECT_EQ(back.route_protocol, kRouteProtocolVersion);
  EXPECT_EQ(back.route_url, info.route_url);
  EXPECT_EQ(back.connect_urls, info.connect_urls);
  EXPECT_EQ(back.routes, info.routes);
  EXPECT_TRUE(back.lame_duck);
  EXPECT_TRUE(back.paused);
  EXPECT_TRUE(back.auth_required);
}

TEST(RouteConnectTest, RoundTripsCredentials) {
  const std::string line = EncodeConnect({.user = "route", .pass = "p\"w:@", .name = "n1"});
  ASSERT_TRUE(line.starts_with("CONNECT {") && line.ends_with("}\r\n")) << line;
  Outcome parsed = Whole(line);
  ASSERT_EQ(parsed.ops.size(), 1u);
  RouteConnect back;
  std::string error;
  ASSERT_TRUE(ParseConnect(line.substr(8, line.size() - 10), &back, &error)) << error;
  EXPECT_EQ(back.user, "route");
  EXPECT_EQ(back.pass, "p\"w:@");
  EXPECT_EQ(back.name, "n1");
  EXPECT_FALSE(ParseConnect("[]", &back, &error));
  EXPECT_FALSE(ParseConnect("{\"user\":1}", &back, &error));
  ASSERT_TRUE(ParseConnect("{\"echo\":true,\"verbose\":false}", &back, &error)) << error;  // nats-server's extra fields
  EXPECT_TRUE(back.user.empty());
}

TEST(RouteInfoTest, RefusesWhatIsNotAnInfo) {
  RouteInfo info;
  std::string error;
  EXPECT_FALSE(ParseInfo("[]", &info, &error));
  EXPECT_FALSE(ParseInfo("{\"server_id\":1}", &info, &error));
  EXPECT_FALSE(ParseInfo("{\"server_name\":\"x\"}", &info, &error));  // no id
  EXPECT_FALSE(ParseInfo("{\"server_id\":\"a\",\"routes\":[1]}", &info, &error));
  ASSERT_TRUE(ParseInfo("{\"server_id\":\"a\",\"future\":{}}", &info, &error)) << error;
  EXPECT_EQ(info.route_protocol, 0);  // an INFO without a version speaks none we know
}

}  // namespace
}  // namespace tern::proto::route
