#include "proto/ws/frame_encoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proto/ws/frame_decoder.h"
#include "proto/ws/test_util.h"

namespace tern::proto::ws {
namespace {

using testing::Bytes;
using testing::DecodeSetup;
using testing::FeedSplit;
using testing::FeedWhole;
using testing::Recorder;

constexpr MaskKey kKey = {0x37, 0xfa, 0x21, 0x3d};

// RFC 6455 section 5.7.
TEST(FrameEncoderTest, RfcExamples) {
  std::string out;
  AppendFrame(out, Opcode::kText, "Hello");
  EXPECT_EQ(out, Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  AppendFrame(out, Opcode::kText, "Hello", true, kKey);
  EXPECT_EQ(out, Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  AppendFrame(out, Opcode::kText, "Hel", false);
  AppendFrame(out, Opcode::kContinuation, "lo", true);
  EXPECT_EQ(out, Bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
  out.clear();
  AppendPing(out, "Hello");
  EXPECT_EQ(out, Bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  out.clear();
  AppendPong(out, "Hello", kKey);
  EXPECT_EQ(out, Bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  AppendFrameHeader(out, Opcode::kBinary, true, 256);
  EXPECT_EQ(out, Bytes({0x82, 0x7E, 0x01, 0x00}));
  out.clear();
  AppendFrameHeader(out, Opcode::kBinary, true, 65536);
  EXPECT_EQ(out, Bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
}

TEST(FrameEncoderTest, ShortestLengthForm) {
  const std::vector<std::pair<uint64_t, size_t>> cases = {{0, 2},     {125, 2},    {126, 4},
                                                          {65535, 4}, {65536, 10}, {uint64_t{1} << 40, 10}};
  for (const auto& [size, header] : cases) {
    std::string out;
    AppendFrameHeader(out, Opcode::kBinary, true, size);
    EXPECT_EQ(out.size(), header) << size;
    out.clear();
    AppendFrameHeader(out, Opcode::kBinary, true, size, kKey);
    EXPECT_EQ(out.size(), header + 4) << size;
    EXPECT_EQ(out.substr(header), Bytes({0x37, 0xfa, 0x21, 0x3d}));
  }
  std::string out;
  AppendFrameHeader(out, Opcode::kText, false, 5, std::nullopt, true);
  EXPECT_EQ(out, Bytes({0x41, 0x05}));
}

// A caller that writes the payload itself (header only, then its bytes,
// masked with MaskInPlace) gets the same bytes as AppendFrame.
TEST(FrameEncoderTest, HeaderOnlyThenPayload) {
  std::mt19937 rng(1);
  for (size_t size : {size_t{0}, size_t{7}, size_t{126}, size_t{70000}}) {
    std::string payload(size, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    for (const std::optional<MaskKey>& mask : {std::optional<MaskKey>(), std::optional<MaskKey>(kKey)}) {
      std::string whole;
      AppendFrame(whole, Opcode::kBinary, payload, true, mask);
      std::string parts;
      AppendFrameHeader(parts, Opcode::kBinary, true, payload.size(), mask);
      const size_t at = parts.size();
      parts += payload;
      if (mask) MaskInPlace(parts.data() + at, payload.size(), *mask, 0);
      EXPECT_EQ(parts, whole) << size;
    }
  }
}

TEST(FrameEncoderTest, CloseFrames) {
  std::string out;
  AppendClose(out, kCloseNormal, "bye");
  EXPECT_EQ(out, Bytes({0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'}));
  out.clear();
  AppendClose(out, kCloseNoStatus);
  EXPECT_EQ(out, Bytes({0x88, 0x00}));
  out.clear();
  AppendClose(out, kCloseProtocolError, "", kKey);
  EXPECT_EQ(FeedWhole(out).events, std::vector<std::string>{"close:1002:"});
  // A long reason is cut to 123 bytes without splitting a code point:
  // "é" is two bytes, so 61 of them (122 bytes) fit.
  std::string reason;
  for (int i = 0; i < 100; ++i) reason += "\xc3\xa9";
  out.clear();
  AppendClose(out, kCloseGoingAway, reason);
  EXPECT_EQ(out.size(), 2u + 2 + 122);
  EXPECT_EQ(FeedWhole(out, {Role::kClient, {}, std::nullopt}).events,
            std::vector<std::string>{"close:1001:" + reason.substr(0, 122)});
  out.clear();
  AppendPing(out, std::string(200, 'p'));
  EXPECT_EQ(out.size(), 2u + 125);
}

TEST(FrameEncoderTest, CompressedHelloMatchesRfc7692) {
  Deflater deflater(15, /*no_context_takeover=*/false);
  std::string out;
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kText, "Hello", deflater));
  EXPECT_EQ(out, Bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  // Section 7.2.3.2: the second "Hello" refers back into the first.
  out.clear();
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kText, "Hello", deflater));
  EXPECT_EQ(out, Bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00}));
}

TEST(FrameEncoderTest, CompressedNoContextTakeover) {
  Deflater deflater(15, /*no_context_takeover=*/true);
  std::string first;
  std::string second;
  ASSERT_TRUE(AppendCompressedMessage(first, Opcode::kText, "Hello", deflater));
  ASSERT_TRUE(AppendCompressedMessage(second, Opcode::kText, "Hello", deflater));
  EXPECT_EQ(first, second);
  DeflateParams p;
  p.server_no_context_takeover = true;
  EXPECT_EQ(FeedWhole(first + second, {Role::kClient, {}, p}).events,
            (std::vector<std::string>{"text:Hello", "text:Hello"}));
}

TEST(FrameEncoderTest, CompressedEmptyAndMasked) {
  Deflater deflater(15, false);
  std::string out;
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kBinary, "", deflater));
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kText, "x", deflater));
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kBinary, "", deflater));
  EXPECT_EQ(out.substr(0, 3), Bytes({0xc2, 0x01, 0x00}));
  EXPECT_EQ(FeedWhole(out, {Role::kClient, {}, DeflateParams{}}).events,
            (std::vector<std::string>{"binary:", "text:x", "binary:"}));
  // A client's compressed frame is masked after compressing.
  Deflater client(DeflateParams{}, Role::kClient);
  out.clear();
  ASSERT_TRUE(AppendCompressedMessage(out, Opcode::kText, "Hello", client, kKey));
  EXPECT_EQ(out[1] & 0x80, 0x80);
  EXPECT_EQ(FeedWhole(out, {Role::kServer, {}, DeflateParams{}}).events, std::vector<std::string>{"text:Hello"});
}

// What one role encodes the other decodes: random messages, random
// fragmentation, random masks, compressed or not, fed in random reads.
void RoundTrip(Role sender, bool compress, DeflateParams params, uint32_t seed) {
  std::mt19937 rng(seed);
  auto key = [&] {
    return MaskKey{static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng()),
                   static_cast<uint8_t>(rng())};
  };
  const bool masked = sender == Role::kClient;
  Deflater deflater(params, sender);
  std::string wire;
  std::vector<std::string> want;
  for (int i = 0; i < 200; ++i) {
    const size_t size = rng() % 5 == 0 ? rng() % 100000 : rng() % 200;
    const bool text = rng() % 2 == 0;
    std::string msg(size, '\0');
    // Compressible text-ish bytes, or any bytes for binary.
    for (char& c : msg) c = text ? static_cast<char>('a' + rng() % 8) : static_cast<char>(rng());
    const Opcode op = text ? Opcode::kText : Opcode::kBinary;
    want.push_back(std::string(text ? "text:" : "binary:") + msg);
    if (compress && rng() % 4 != 0) {
      ASSERT_TRUE(AppendCompressedMessage(wire, op, msg, deflater, masked ? std::optional(key()) : std::nullopt));
    } else {
      // Up to four fragments with a ping between some of them.
      size_t at = 0;
      const int parts = 1 + static_cast<int>(rng() % 4);
      for (int p = 0; p < parts; ++p) {
        const size_t n = p == parts - 1 ? msg.size() - at : std::min(msg.size() - at, size_t{rng() % (size + 1)});
        AppendFrame(wire, p == 0 ? op : Opcode::kContinuation, std::string_view(msg).substr(at, n), p == parts - 1,
                    masked ? std::optional(key()) : std::nullopt);
        at += n;
        if (p != parts - 1 && rng() % 2 == 0) {
          AppendPing(wire, "between", masked ? std::optional(key()) : std::nullopt);
          want.push_back("ping:between");
          std::swap(want[want.size() - 1], want[want.size() - 2]);
        }
      }
    }
  }
  AppendClose(wire, kCloseNormal, "done", masked ? std::optional(key()) : std::nullopt);
  want.push_back("close:1000:done");
  DecodeSetup setup{sender == Role::kClient ? Role::kServer : Role::kClient, {}, std::nullopt};
  if (compress) setup.deflate = params;
  std::vector<size_t> cuts;
  for (size_t at = 0;;) {
    at += 1 + rng() % 3000;
    if (at >= wire.size()) break;
    cuts.push_back(at);
  }
  const auto out = FeedSplit(wire, cuts, setup);
  EXPECT_EQ(out.error, 0);
  EXPECT_TRUE(out.closed);
  ASSERT_EQ(out.events.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(out.events[i], want[i]) << i;
}

TEST(FrameEncoderTest, RoundTripClientToServer) { RoundTrip(Role::kClient, false, {}, 11); }
TEST(FrameEncoderTest, RoundTripServerToClient) { RoundTrip(Role::kServer, false, {}, 12); }

TEST(FrameEncoderTest, RoundTripCompressed) {
  DeflateParams takeover;
  DeflateParams none;
  none.server_no_context_takeover = true;
  none.client_no_context_takeover = true;
  DeflateParams small;
  small.server_max_window_bits = 9;
  small.client_max_window_bits = 10;
  for (const DeflateParams& p : {takeover, none, small}) {
    RoundTrip(Role::kClient, true, p, 21);
    RoundTrip(Role::kServer, true, p, 22);
  }
}

}  // namespace
}  // namespace tern::proto::ws
