// The tests' own WebSocket framing against the byte examples of RFC 6455
// (5.7, 1.3): if this drifted, every WebSocket transcript would be testing
// the client instead of the server.
#include "ws_frame.h"

#include <gtest/gtest.h>

namespace tern::testing::ws {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(WsFrameTest, MaskedHelloMatchesTheRfcExample) {
  const MaskKey key = {0x37, 0xfa, 0x21, 0x3d};
  EXPECT_EQ(Header(kText, true, 5, key) + Masked("Hello", key),
            Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsFrameTest, LengthEncodings) {
  EXPECT_EQ(Header(kBinary, true, 125, std::nullopt), Bytes({0x82, 0x7d}));
  EXPECT_EQ(Header(kBinary, true, 256, std::nullopt), Bytes({0x82, 0x7e, 0x01, 0x00}));
  EXPECT_EQ(Header(kBinary, true, 65536, std::nullopt), Bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(Header(kBinary, false, 1ull << 31, std::nullopt), Bytes({0x02, 0x7f, 0, 0, 0, 0, 0x80, 0, 0, 0}));
}

TEST(WsFrameTest, ClientFramesAreMaskedAndRoundTrip) {
  const std::string frame = ClientFrame(kBinary, "PING\r\n");
  ASSERT_EQ(frame.size(), 2u + 4u + 6u);
  EXPECT_EQ(static_cast<uint8_t>(frame[1]) & 0x80, 0x80);
  const MaskKey key = {static_cast<uint8_t>(frame[2]), static_cast<uint8_t>(frame[3]), static_cast<uint8_t>(frame[4]),
                       static_cast<uint8_t>(frame[5])};
  EXPECT_EQ(Masked(frame.substr(6), key), "PING\r\n");
}

TEST(WsFrameTest, DecodesUnmaskedServerFramesAtEverySplit) {
  const std::string hello = Bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  const std::string big = Header(kBinary, true, 300, std::nullopt) + std::string(300, 'b');
  for (const std::string& wire : {hello, big}) {
    for (size_t cut = 0; cut < wire.size(); ++cut) {
      Frame f;
      size_t used = 0;
      std::string error;
      EXPECT_EQ(DecodeServerFrame(std::string_view(wire).substr(0, cut), &f, &used, &error), Decode::kNeedMore) << cut;
    }
  }
  Frame f;
  size_t used = 0;
  std::string error;
  ASSERT_EQ(DecodeServerFrame(hello + "tail", &f, &used, &error), Decode::kFrame) << error;
  EXPECT_EQ(used, hello.size());
  EXPECT_EQ(f.opcode, kText);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.payload, "Hello");
  ASSERT_EQ(DecodeServerFrame(big, &f, &used, &error), Decode::kFrame) << error;
  EXPECT_EQ(f.payload, std::string(300, 'b'));
}

TEST(WsFrameTest, RejectsWhatAServerMustNotSend) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"masked", Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58})},
      {"reserved bit", Bytes({0xc1, 0x00})},
      {"opcode 3", Bytes({0x83, 0x00})},
      {"long ping", Header(kPing, true, 126, std::nullopt) + std::string(126, 'p')},
      {"fragmented close", Bytes({0x08, 0x00})},
  };
  for (const auto& [name, wire] : cases) {
    Frame f;
    size_t used = 0;
    std::string error;
    EXPECT_EQ(DecodeServerFrame(wire, &f, &used, &error), Decode::kError) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
}

TEST(WsFrameTest, AcceptKeyMatchesTheRfcExample) {
  EXPECT_EQ(AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(NewKey().size(), 24u);
}

TEST(WsFrameTest, ClosePayloadIsCodeThenReason) {
  EXPECT_EQ(ClosePayload(1002, "bye"), Bytes({0x03, 0xea, 'b', 'y', 'e'}));
}

}  // namespace
}  // namespace tern::testing::ws
