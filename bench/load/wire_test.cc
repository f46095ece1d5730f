#include "wire.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ws_client.h"

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

// ---- WebSocket ----------------------------------------------------------

// An unmasked server frame, as a server sends it.
std::string ServerFrame(uint8_t opcode, std::string_view payload, bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out.push_back(126);
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size()));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(payload.size() >> shift));
  }
  out.append(payload);
  return out;
}

// Feeds `raw` in pieces of `split` bytes the way Conn::Pump does (the NATS
// bytes not taken stay at the front of the buffer); the "reader" here takes
// all but the last 3 bytes each time, to exercise kept data in front.
std::string UnframeSplit(const std::string& raw, size_t split, WsUnframer& unframer) {
  std::vector<char> buf(raw.size() + 64);
  size_t kept = 0;
  std::string out;
  for (size_t pos = 0; pos < raw.size(); pos += split) {
    size_t n = std::min(split, raw.size() - pos);
    std::memcpy(buf.data() + kept, raw.data() + pos, n);
    WsUnframer::Span span = unframer.Unframe(buf.data(), kept, kept + n);
    EXPECT_FALSE(unframer.failed()) << unframer.error();
    size_t have = span.end - span.begin;
    size_t take = have > 3 ? have - 3 : 0;
    out.append(buf.data() + span.begin, take);
    kept = have - take;
    std::memmove(buf.data(), buf.data() + span.begin + take, kept);
  }
  out.append(buf.data(), kept);
  return out;
}

TEST(LoadgenWsTest, UnframesWhateverTheReadSizes) {
  std::string big(70000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::string medium(300, 'm');
  std::string raw = ServerFrame(kWsBinary, "INFO {}\r\n") + ServerFrame(kWsPing, "hi") +
                    ServerFrame(kWsBinary, "MSG a 1 3\r\nabc", false) + ServerFrame(0, "\r\nPONG\r\n") +
                    ServerFrame(kWsBinary, "") + ServerFrame(kWsText, medium) + ServerFrame(kWsBinary, big) +
                    ServerFrame(kWsPong, "") + ServerFrame(kWsBinary, "+OK\r\n");
  const std::string want = "INFO {}\r\nMSG a 1 3\r\nabc\r\nPONG\r\n" + medium + big + "+OK\r\n";
  std::vector<size_t> splits;
  for (size_t s = 1; s <= 40; ++s) splits.push_back(s);
  for (size_t s : {size_t{100}, size_t{4096}, size_t{65536}, raw.size()}) splits.push_back(s);
  for (size_t split : splits) {
    WsUnframer unframer;
    EXPECT_EQ(UnframeSplit(raw, split, unframer), want) << "split " << split;
    ASSERT_EQ(unframer.pings().size(), 1u);
    EXPECT_EQ(unframer.pings()[0], "hi");
    EXPECT_FALSE(unframer.close_received());
  }
}

TEST(LoadgenWsTest, RejectsMaskedAndReservedBits) {
  std::string masked = "\x82\x81\x01\x02\x03\x04x";
  WsUnframer a;
  a.Unframe(masked.data(), 0, masked.size());
  EXPECT_TRUE(a.failed());
  std::string rsv = "\xC2\x01x";  // RSV1 (compression) not negotiated
  WsUnframer b;
  b.Unframe(rsv.data(), 0, rsv.size());
  EXPECT_TRUE(b.failed());
}

TEST(LoadgenWsTest, SeesClose) {
  std::string raw = ServerFrame(kWsBinary, "-ERR 'x'\r\n") + ServerFrame(kWsClose, "\x03\xe8");
  WsUnframer unframer;
  WsUnframer::Span span = unframer.Unframe(raw.data(), 0, raw.size());
  EXPECT_EQ(std::string(raw.data() + span.begin, span.end - span.begin), "-ERR 'x'\r\n");
  EXPECT_TRUE(unframer.close_received());
}

TEST(LoadgenWsTest, MasksAsTheRfcSays) {
  for (size_t size : {size_t{0}, size_t{5}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}, size_t{70001}}) {
    std::string payload(size, 0);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
    const uint32_t mask = 0x9A3C5E71;
    std::string frame;
    WsAppendFrame(frame, kWsBinary, payload, mask);
    ASSERT_GE(frame.size(), 6u);
    EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x82);
    EXPECT_TRUE(static_cast<uint8_t>(frame[1]) & 0x80);
    size_t head = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
    ASSERT_EQ(frame.size(), head + 4 + size);
    const auto* key = reinterpret_cast<const uint8_t*>(frame.data() + head);
    for (size_t i = 0; i < size; ++i) {
      ASSERT_EQ(static_cast<char>(frame[head + 4 + i] ^ key[i % 4]), payload[i]) << "size " << size << " at " << i;
    }
  }
}

TEST(LoadgenWsTest, UpgradeAnswer) {
  // RFC 6455 section 1.3's example key and accept value.
  EXPECT_EQ(WsAcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::string error;
  std::string ok =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x82\x01x";
  EXPECT_EQ(WsCheckUpgrade(ok, "dGhlIHNhbXBsZSBub25jZQ==", &error), static_cast<long>(ok.size() - 3));
  EXPECT_EQ(WsCheckUpgrade(ok.substr(0, 40), "dGhlIHNhbXBsZSBub25jZQ==", &error), 0);
  EXPECT_EQ(WsCheckUpgrade(ok, "AAAAAAAAAAAAAAAAAAAAAA==", &error), -1);
  EXPECT_EQ(WsCheckUpgrade("HTTP/1.1 404 Not Found\r\n\r\n", "k", &error), -1);
  EXPECT_EQ(WsNewKey().size(), 24u);
}

}  // namespace
}  // namespace tern::loadgen
