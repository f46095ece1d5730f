#include "proto/ws/frame_decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proto/ws/test_util.h"

namespace tern::proto::ws {
namespace {

using testing::Bytes;
using testing::DecodeSetup;
using testing::EveryByte;
using testing::ExpectSplitInvariant;
using testing::FeedSplit;
using testing::FeedWhole;
using testing::Outcome;
using testing::RawFrame;
using testing::Recorder;

constexpr MaskKey kKey = {0x37, 0xfa, 0x21, 0x3d};  // the RFC's example key
const DecodeSetup kServer{Role::kServer, {}, std::nullopt};
const DecodeSetup kClient{Role::kClient, {}, std::nullopt};

// Frames as a client sends them (masked) and as a server sends them.
std::string C(uint8_t b0, std::string_view payload, MaskKey key = kKey) { return RawFrame(b0, payload, key); }
std::string S(uint8_t b0, std::string_view payload) { return RawFrame(b0, payload); }

Outcome Expect(std::vector<std::string> events, uint16_t error = 0, bool closed = false, size_t consumed = 0) {
  return Outcome{std::move(events), error, closed, consumed};
}

// RFC 6455 section 5.7, byte for byte.
TEST(FrameDecoderTest, RfcExamples) {
  const std::string unmasked_hello = Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const std::string masked_hello = Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  const std::string fragmented = Bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  const std::string ping = Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const std::string masked_pong = Bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(FeedWhole(unmasked_hello, kClient).events, std::vector<std::string>{"text:Hello"});
  EXPECT_EQ(FeedWhole(masked_hello, kServer).events, std::vector<std::string>{"text:Hello"});
  EXPECT_EQ(FeedWhole(fragmented, kClient).events, std::vector<std::string>{"text:Hello"});
  EXPECT_EQ(FeedWhole(ping, kClient).events, std::vector<std::string>{"ping:Hello"});
  EXPECT_EQ(FeedWhole(masked_pong, kServer).events, std::vector<std::string>{"pong:Hello"});

  std::string binary256 = Bytes({0x82, 0x7E, 0x01, 0x00});
  std::string payload256(256, '\0');
  for (size_t i = 0; i < payload256.size(); ++i) payload256[i] = static_cast<char>(i);
  EXPECT_EQ(FeedWhole(binary256 + payload256, kClient).events, std::vector<std::string>{"binary:" + payload256});
  std::string binary64k = Bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00});
  const std::string payload64k(65536, 'z');
  EXPECT_EQ(FeedWhole(binary64k + payload64k, kClient).events, std::vector<std::string>{"binary:" + payload64k});
}

// Masked payloads are unmasked where they lie, in the caller's buffer.
TEST(FrameDecoderTest, UnmasksInPlace) {
  std::string frame = C(0x82, "in place");
  FrameDecoder decoder(Role::kServer);
  Recorder rec;
  const DecodeResult r = decoder.Feed(frame.data(), frame.size(), rec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(frame.substr(6), "in place");
  EXPECT_EQ(rec.events, std::vector<std::string>{"binary:in place"});
}

// A client's session: every frame type, all three length forms, a
// fragmented message with control frames between its fragments, and a
// close at the end followed by bytes that must not be consumed.
std::string ClientTranscript() {
  std::string s;
  s += C(0x81, "hello");
  s += C(0x82, std::string("\x00\x01\xff", 3), {1, 2, 3, 4});
  s += C(0x81, "");
  s += C(0x01, "frag", {9, 8, 7, 6});
  s += C(0x89, "are you there", {0xff, 0, 0xff, 0});
  s += C(0x00, "men", {5, 5, 5, 5});
  s += C(0x8A, "", {1, 1, 1, 1});
  s += C(0x00, "", {2, 2, 2, 2});
  s += C(0x80, "ted", {3, 3, 3, 3});
  s += C(0x82, std::string(126, 'x'), {0x10, 0x20, 0x30, 0x40});
  s += RawFrame(0x81, "short in long form", MaskKey{1, 2, 3, 4}, 10);
  s += RawFrame(0x81, "and 16-bit form", MaskKey{4, 3, 2, 1}, 4);
  s += C(0x89, "");
  s += C(0x88, Bytes({0x03, 0xe8}) + "bye");
  return s;
}

const std::vector<std::string> kClientTranscriptEvents = {
    "text:hello",
    std::string("binary:\x00\x01\xff", 10),
    "text:",
    "ping:are you there",
    "pong:",
    "text:fragmented",
    "binary:" + std::string(126, 'x'),
    "text:short in long form",
    "text:and 16-bit form",
    "ping:",
    "close:1000:bye",
};

TEST(FrameDecoderTest, ClientTranscriptEverySplit) {
  const std::string input = ClientTranscript();
  const Outcome want = Expect(kClientTranscriptEvents, 0, true, input.size());
  EXPECT_EQ(FeedWhole(input + "trailing junk", kServer), want);
  ExpectSplitInvariant(input + "junk", kServer);
}

TEST(FrameDecoderTest, ServerTranscriptEverySplit) {
  std::string s;
  s += S(0x81, "hello");
  s += S(0x02, "bin");
  s += S(0x89, "ping in the middle");
  s += S(0x80, "ary");
  s += S(0x82, std::string(300, 'y'));
  s += S(0x8A, "pong");
  s += S(0x88, "");
  const Outcome want = Expect({"text:hello", "ping:ping in the middle", "binary:binary",
                               "binary:" + std::string(300, 'y'), "pong:pong", "close:1005:"},
                              0, true, s.size());
  EXPECT_EQ(FeedWhole(s, kClient), want);
  ExpectSplitInvariant(s, kClient);
}

TEST(FrameDecoderTest, RandomChunksOfManyFrames) {
  std::mt19937 rng(6455);
  std::string input;
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    std::string payload(rng() % 3 == 0 ? 126 + rng() % 400 : rng() % 40, '\0');
    for (char& c : payload) c = static_cast<char>('a' + rng() % 26);
    MaskKey key = {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                   static_cast<uint8_t>(rng())};
    input += C(i % 2 == 0 ? 0x81 : 0x82, payload, key);
    want.push_back(std::string(i % 2 == 0 ? "text:" : "binary:") + payload);
  }
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<size_t> cuts;
    for (size_t at = 0;;) {
      at += 1 + rng() % 64;
      if (at >= input.size()) break;
      cuts.push_back(at);
    }
    ASSERT_EQ(FeedSplit(input, cuts, kServer).events, want) << "trial " << trial;
  }
}

// The mask offset runs on across reads: every payload length up to 17, cut
// at every offset, so every key rotation meets every tail length.
TEST(FrameDecoderTest, MaskOffsetAcrossSplits) {
  const std::string text = "0123456789abcdefg";
  for (size_t len = 0; len <= text.size(); ++len) {
    const std::string frame = C(0x82, text.substr(0, len), {0xa1, 0xb2, 0xc3, 0xd4});
    const Outcome want = Expect({"binary:" + text.substr(0, len)}, 0, false, frame.size());
    for (size_t cut = 1; cut < frame.size(); ++cut) {
      for (size_t cut2 = cut + 1; cut2 <= frame.size(); ++cut2) {
        ASSERT_EQ(FeedSplit(frame, {cut, cut2}, kServer), want) << len << " " << cut << " " << cut2;
      }
    }
  }
}

TEST(FrameDecoderTest, MaskInPlaceMatchesNaive) {
  std::mt19937 rng(3);
  for (size_t size = 0; size < 40; ++size) {
    for (size_t offset = 0; offset < 4; ++offset) {
      std::string data(size, '\0');
      for (char& c : data) c = static_cast<char>(rng());
      const MaskKey key = {static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                           static_cast<uint8_t>(rng())};
      std::string naive = data;
      for (size_t i = 0; i < size; ++i) naive[i] = static_cast<char>(naive[i] ^ key[(offset + i) % 4]);
      MaskInPlace(data.data(), data.size(), key, offset);
      ASSERT_EQ(data, naive) << size << " " << offset;
    }
  }
}

TEST(FrameDecoderTest, LengthForms) {
  for (size_t len :
       {size_t{0}, size_t{1}, size_t{125}, size_t{126}, size_t{127}, size_t{65535}, size_t{65536}, size_t{70000}}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(i * 7);
    const std::string frame = C(0x82, payload, {9, 99, 199, 249});
    const size_t header = 2 + (len < 126 ? 0 : len <= 0xFFFF ? 2 : 8) + 4;
    ASSERT_EQ(frame.size(), header + len);
    const Outcome want = Expect({"binary:" + payload}, 0, false, frame.size());
    EXPECT_EQ(FeedWhole(frame, kServer), want) << len;
    // Splits inside and right around the header, and at the end.
    for (size_t cut = 1; cut <= header + 1 && cut < frame.size(); ++cut) {
      ASSERT_EQ(FeedSplit(frame, {cut}, kServer), want) << len << " cut " << cut;
    }
    if (len > 0) {
      EXPECT_EQ(FeedSplit(frame, {frame.size() - 1}, kServer), want);
    }
  }
  // One byte at a time through a 64-bit length frame.
  const std::string big = C(0x82, std::string(70000, 'q'));
  EXPECT_EQ(FeedSplit(big, EveryByte(big.size()), kServer).events,
            std::vector<std::string>{"binary:" + std::string(70000, 'q')});
}

// Data goes up as it arrives, not once the frame is complete.
TEST(FrameDecoderTest, StreamsPayloadWithoutBuffering) {
  const std::string payload(10000, 'p');
  std::string frame = C(0x82, payload);
  FrameDecoder decoder(Role::kServer);
  Recorder rec;
  size_t pos = 0;
  for (size_t step : {size_t{3}, size_t{5}, size_t{100}, size_t{1000}}) {
    ASSERT_TRUE(decoder.Feed(frame.data() + pos, step, rec).ok());
    pos += step;
  }
  EXPECT_EQ(rec.bytes_delivered, pos - 8);  // all but the 8 header bytes
  EXPECT_TRUE(rec.events.empty());
  ASSERT_TRUE(decoder.Feed(frame.data() + pos, frame.size() - pos, rec).ok());
  EXPECT_EQ(rec.events, std::vector<std::string>{"binary:" + payload});
  // A split header, a control payload and the UTF-8 state are all it keeps.
  EXPECT_LE(sizeof(FrameDecoder), 256u);
}

TEST(FrameDecoderTest, FragmentsWithInterleavedControlFrames) {
  std::string s;
  s += C(0x01, "Hel");
  s += C(0x89, "p1");
  s += C(0x00, "");
  s += C(0x8A, "p2");
  s += C(0x00, "lo, ");
  s += C(0x89, "");
  s += C(0x80, "world");
  s += C(0x02, "b");
  s += C(0x80, "in");
  const Outcome want = Expect({"ping:p1", "pong:p2", "ping:", "text:Hello, world", "binary:bin"}, 0, false, s.size());
  EXPECT_EQ(FeedWhole(s, kServer), want);
  ExpectSplitInvariant(s, kServer, 0);
}

struct FailureCase {
  const char* name;
  std::string input;
  uint16_t code;
  std::vector<std::string> events_before = {};
  DecodeSetup setup = kServer;
};

std::vector<FailureCase> FailureCases() {
  DecodeSetup small = kServer;
  small.limits.max_frame_payload = 100;
  DecodeSetup small_message = kServer;
  small_message.limits.max_message = 10;
  return {
      {"rsv1 without deflate", C(0xC1, "x"), kCloseProtocolError},
      {"rsv2", C(0xA1, "x"), kCloseProtocolError},
      {"rsv3", C(0x91, "x"), kCloseProtocolError},
      {"opcode 3", C(0x83, ""), kCloseProtocolError},
      {"opcode 7", C(0x87, ""), kCloseProtocolError},
      {"opcode B", C(0x8B, ""), kCloseProtocolError},
      {"opcode F", C(0x8F, ""), kCloseProtocolError},
      {"continuation first", C(0x80, "x"), kCloseProtocolError},
      {"continuation after a whole message", C(0x81, "a") + C(0x80, "b"), kCloseProtocolError, {"text:a"}},
      {"text inside fragmented", C(0x01, "a") + C(0x81, "b"), kCloseProtocolError},
      {"binary inside fragmented", C(0x02, "a") + C(0x02, "b"), kCloseProtocolError},
      {"fragmented ping", C(0x09, "a"), kCloseProtocolError},
      {"fragmented close", C(0x08, ""), kCloseProtocolError},
      {"ping of 126", C(0x89, std::string(126, 'a')), kCloseProtocolError},
      {"pong of 126 in 64-bit form", RawFrame(0x8A, std::string(126, 'a'), kKey, 10), kCloseProtocolError},
      {"rsv1 on ping", C(0xC9, ""), kCloseProtocolError},
      {"64-bit length top bit", RawFrame(0x82, "", kKey, 10, uint64_t{1} << 63), kCloseProtocolError},
      {"unmasked from client", S(0x81, "hi"), kCloseProtocolError},
      {"masked from server", C(0x81, "hi"), kCloseProtocolError, {}, kClient},
      {"frame too big", C(0x82, std::string(101, 'a')), kCloseMessageTooBig, {}, small},
      {"message too big", C(0x02, "123456") + C(0x80, "12345"), kCloseMessageTooBig, {}, small_message},
      {"invalid utf-8", C(0x81, "ok \xff"), kCloseInvalidData},
      {"overlong", C(0x81, "\xc0\xaf"), kCloseInvalidData},
      {"overlong 3-byte", C(0x81, "\xe0\x80\xaf"), kCloseInvalidData},
      {"surrogate", C(0x81, "\xed\xa0\x80"), kCloseInvalidData},
      {"past U+10FFFF", C(0x81, "\xf4\x90\x80\x80"), kCloseInvalidData},
      {"truncated code point", C(0x81, "abc\xe2\x82"), kCloseInvalidData},
      {"invalid across fragments", C(0x01, "\xf0\x9f") + C(0x80, "\x98"), kCloseInvalidData},
      {"overlong across fragments", C(0x01, "\xe0") + C(0x80, "\x80\x80"), kCloseInvalidData},
      {"close of 1 byte", C(0x88, "\x03"), kCloseProtocolError},
      {"close reason not utf-8", C(0x88, Bytes({0x03, 0xe8, 0xc3})), kCloseInvalidData},
  };
}

TEST(FrameDecoderTest, FailuresCloseWithTheRightCode) {
  for (const FailureCase& c : FailureCases()) {
    SCOPED_TRACE(c.name);
    const Outcome want = Expect(c.events_before, c.code);
    EXPECT_EQ(FeedWhole(c.input, c.setup), want);
    ExpectSplitInvariant(c.input, c.setup, 0);
  }
}

TEST(FrameDecoderTest, CloseCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    const std::string frame = C(0x88, Bytes({code >> 8, code & 0xff}) + "why");
    EXPECT_EQ(FeedWhole(frame, kServer), Expect({"close:" + std::to_string(code) + ":why"}, 0, true, frame.size()));
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 2000, 2999, 5000, 65535}) {
    const std::string frame = C(0x88, Bytes({code >> 8, code & 0xff}));
    EXPECT_EQ(FeedWhole(frame, kServer), Expect({}, kCloseProtocolError)) << code;
  }
  EXPECT_EQ(FeedWhole(C(0x88, ""), kServer), Expect({"close:1005:"}, 0, true, 6));
  const std::string longest = C(0x88, Bytes({0x0f, 0xa0}) + std::string(123, 'r'));
  EXPECT_EQ(FeedWhole(longest, kServer).events, std::vector<std::string>{"close:4000:" + std::string(123, 'r')});
}

// A peer that declares 2 GiB (or 2^62 bytes) is refused on the header: the
// decoder reads nothing more and hands nothing up.
TEST(FrameDecoderTest, HugeDeclaredLengthRefusedBeforePayload) {
  for (uint64_t declared : {uint64_t{2} << 30, uint64_t{1} << 62}) {
    std::string header = RawFrame(0x82, "", kKey, 10, declared);
    ASSERT_EQ(header.size(), 14u);
    std::string input = header + "only a few payload bytes";
    FrameDecoder decoder(Role::kServer);
    Recorder rec;
    const DecodeResult r = decoder.Feed(input.data(), input.size(), rec);
    EXPECT_EQ(r.error, kCloseMessageTooBig);
    EXPECT_EQ(r.consumed, 14u);
    EXPECT_EQ(rec.pieces, 0u);
    EXPECT_EQ(input.substr(14), "only a few payload bytes");  // not even unmasked
  }
  // Likewise a fragment that would take the message past max_message.
  DecoderLimits limits;
  limits.max_message = 1000;
  FrameDecoder decoder(Role::kServer, limits);
  Recorder rec;
  std::string input = C(0x02, std::string(600, 'a')) + RawFrame(0x80, "", kKey, 10, 500);
  const DecodeResult r = decoder.Feed(input.data(), input.size(), rec);
  EXPECT_EQ(r.error, kCloseMessageTooBig);
  EXPECT_EQ(rec.bytes_delivered, 600u);
}

TEST(FrameDecoderTest, LimitsAtTheEdge) {
  DecodeSetup setup = kServer;
  setup.limits.max_frame_payload = 100;
  setup.limits.max_message = 250;
  const std::string ok =
      C(0x02, std::string(100, 'a')) + C(0x00, std::string(100, 'b')) + C(0x80, std::string(50, 'c'));
  EXPECT_EQ(FeedWhole(ok, setup).events,
            std::vector<std::string>{"binary:" + std::string(100, 'a') + std::string(100, 'b') + std::string(50, 'c')});
  // A new message starts counting afresh.
  EXPECT_EQ(FeedWhole(ok + ok, setup).events.size(), 2u);
  setup.limits.max_message = 0;  // no limit
  std::string many;
  for (int i = 0; i < 20; ++i) many += C(0x00, std::string(100, 'x'));
  EXPECT_EQ(FeedWhole(C(0x02, "") + many + C(0x80, ""), setup).events.size(), 1u);
}

TEST(FrameDecoderTest, Utf8AcrossFramesAndSplits) {
  const std::string text = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf end";
  // Cut the message into two fragments at every byte, then feed that at
  // every split point.
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string input = C(0x01, text.substr(0, cut)) + C(0x80, text.substr(cut));
    const Outcome want = Expect({"text:" + text}, 0, false, input.size());
    ASSERT_EQ(FeedWhole(input, kServer), want) << cut;
    for (size_t i = 1; i < input.size(); ++i) ASSERT_EQ(FeedSplit(input, {i}, kServer), want) << cut << " " << i;
  }
}

TEST(FrameDecoderTest, AfterErrorOrCloseNothingMore) {
  FrameDecoder decoder(Role::kServer);
  Recorder rec;
  std::string bad = S(0x81, "x");
  DecodeResult r = decoder.Feed(bad.data(), bad.size(), rec);
  EXPECT_EQ(r.error, kCloseProtocolError);
  std::string good = C(0x81, "x");
  r = decoder.Feed(good.data(), good.size(), rec);
  EXPECT_EQ(r.error, kCloseProtocolError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(rec.events.empty());
}

// With permessage-deflate: RFC 7692 section 7.2.3's examples, byte for byte.
DecodeSetup ClientWithDeflate(bool server_no_context_takeover = false) {
  DeflateParams p;
  p.server_no_context_takeover = server_no_context_takeover;
  return {Role::kClient, {}, p};
}

TEST(FrameDecoderTest, DeflateRfcExamples) {
  const DecodeSetup setup = ClientWithDeflate();
  const std::string hello = Bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  const std::string again = Bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});  // refers back to the first
  const std::string stored = Bytes({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00});
  const std::string fragmented = Bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00});
  const std::string bfinal = Bytes({0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00});
  const std::string two_blocks =
      Bytes({0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00});
  for (const std::string* m : {&hello, &stored, &fragmented, &bfinal, &two_blocks}) {
    EXPECT_EQ(FeedWhole(*m, setup).events, std::vector<std::string>{"text:Hello"});
  }
  const std::string all = hello + again + stored + fragmented + bfinal + hello + two_blocks + again;
  const Outcome want = Expect(std::vector<std::string>(8, "text:Hello"), 0, false, all.size());
  EXPECT_EQ(FeedWhole(all, setup), want);
  ExpectSplitInvariant(all, setup, 0);
  // Uncompressed messages stay allowed once deflate is on.
  EXPECT_EQ(FeedWhole(S(0x81, "plain") + hello, setup).events, (std::vector<std::string>{"text:plain", "text:Hello"}));
}

TEST(FrameDecoderTest, DeflateFailures) {
  const DecodeSetup setup = ClientWithDeflate();
  // RSV1 on a continuation frame or a control frame.
  EXPECT_EQ(FeedWhole(Bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0, 0x04, 0xc9, 0xc9, 0x07, 0x00}), setup).error,
            kCloseProtocolError);
  EXPECT_EQ(FeedWhole(Bytes({0xc9, 0x00}), setup).error, kCloseProtocolError);
  // Not deflate data (BTYPE 11 is reserved).
  const std::string corrupt = Bytes({0xc1, 0x03, 0xff, 0xff, 0xff});
  EXPECT_EQ(FeedWhole(corrupt, setup), Expect({}, kCloseInvalidData));
  ExpectSplitInvariant(corrupt, setup);
  // A window reference before the start of the stream.
  EXPECT_EQ(FeedWhole(Bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00}), setup).error, kCloseInvalidData);
  // Inflated text must be UTF-8: a stored block holding "\xff".
  EXPECT_EQ(FeedWhole(Bytes({0xc1, 0x07, 0x00, 0x01, 0x00, 0xfe, 0xff, 0xff, 0x00}), setup).error, kCloseInvalidData);
  // A binary message may hold any bytes.
  EXPECT_EQ(FeedWhole(Bytes({0xc2, 0x07, 0x00, 0x01, 0x00, 0xfe, 0xff, 0xff, 0x00}), setup).events,
            std::vector<std::string>{"binary:\xff"});
}

// The second "Hello" of RFC 7692 7.2.3.2 refers back into the first: fine
// under context takeover, an error when the decoder was told the server
// resets its context (it then resets its own window too).
TEST(FrameDecoderTest, DeflateContextTakeover) {
  const std::string hello = Bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  const std::string again = Bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});
  EXPECT_EQ(FeedWhole(hello + again, ClientWithDeflate(false)).events,
            (std::vector<std::string>{"text:Hello", "text:Hello"}));
  EXPECT_EQ(FeedWhole(hello + again, ClientWithDeflate(true)), Expect({"text:Hello"}, kCloseInvalidData));
  EXPECT_EQ(FeedWhole(hello + hello + hello, ClientWithDeflate(true)).events,
            (std::vector<std::string>(3, "text:Hello")));
}

// 64 MiB of zeros deflate to about 64 KiB; with max_message 1 MiB the
// decoder stops one inflater chunk in, having handed up at most 1 MiB.
TEST(FrameDecoderTest, ZipBombIsBounded) {
  Deflater deflater(15, false, 9);
  std::string payload;
  ASSERT_TRUE(deflater.Compress(std::string(64 << 20, '\0'), payload));
  ASSERT_LT(payload.size(), 128u * 1024);
  DecodeSetup setup = ClientWithDeflate();
  setup.limits.max_message = 1 << 20;
  Recorder rec;
  const Outcome out = FeedSplit(RawFrame(0xc2, payload), {}, setup, &rec);
  EXPECT_EQ(out.error, kCloseMessageTooBig);
  EXPECT_LE(rec.bytes_delivered, size_t{1} << 20);
  EXPECT_GT(rec.bytes_delivered, size_t{1} << 19);
  // Fed in small reads the bound holds the same.
  Recorder rec2;
  std::vector<size_t> cuts;
  for (size_t at = 1000; at < payload.size(); at += 1000) cuts.push_back(at);
  EXPECT_EQ(FeedSplit(RawFrame(0xc2, payload), cuts, setup, &rec2).error, kCloseMessageTooBig);
  EXPECT_LE(rec2.bytes_delivered, size_t{1} << 20);
}

TEST(FrameDecoderTest, ShrinkIfIdleKeepsWorking) {
  DeflateParams p;
  p.server_no_context_takeover = true;
  FrameDecoder decoder(Role::kClient);
  decoder.EnableDeflate(p);
  Recorder rec;
  for (int i = 0; i < 3; ++i) {
    std::string hello = Bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    ASSERT_TRUE(decoder.Feed(hello.data(), hello.size(), rec).ok());
    decoder.ShrinkIfIdle();
  }
  EXPECT_EQ(rec.events, std::vector<std::string>(3, "text:Hello"));
}

}  // namespace
}  // namespace tern::proto::ws
