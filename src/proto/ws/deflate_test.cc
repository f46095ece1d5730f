#include "proto/ws/deflate.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "proto/ws/test_util.h"

namespace tern::proto::ws {
namespace {

using testing::Bytes;

// Inflates one message given in pieces; nullopt on corrupt data.
std::optional<std::string> InflateMessage(Inflater& inflater, const std::vector<std::string>& pieces) {
  std::string out;
  std::string_view piece;
  for (const std::string& p : pieces) {
    inflater.SetInput(p.data(), p.size());
    while (true) {
      if (!inflater.Next(&piece)) return std::nullopt;
      if (piece.empty()) break;
      EXPECT_LE(piece.size(), Inflater::kChunk);
      out += piece;
    }
  }
  inflater.EndMessage();
  while (true) {
    if (!inflater.Next(&piece)) return std::nullopt;
    if (piece.empty()) break;
    out += piece;
  }
  return out;
}

TEST(DeflateTest, Rfc7692Payloads) {
  Inflater inflater(15);
  EXPECT_EQ(InflateMessage(inflater, {Bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})}), "Hello");
  EXPECT_EQ(InflateMessage(inflater, {Bytes({0xf2, 0x00, 0x11, 0x00, 0x00})}), "Hello");
  // BFINAL, then a byte that starts a block the tail completes (7.2.3.4),
  // then a message that still refers back into the window.
  EXPECT_EQ(InflateMessage(inflater, {Bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00})}), "Hello");
  EXPECT_EQ(InflateMessage(inflater, {Bytes({0xf2, 0x00, 0x11, 0x00, 0x00})}), "Hello");
  inflater.Reset();
  EXPECT_EQ(InflateMessage(inflater, {Bytes({0xf2, 0x00, 0x11, 0x00, 0x00})}), std::nullopt);
}

TEST(DeflateTest, RoundTripLarge) {
  std::mt19937 rng(7692);
  for (bool no_context : {false, true}) {
    Deflater deflater(15, no_context);
    Inflater inflater(15);
    for (int i = 0; i < 20; ++i) {
      std::string msg(rng() % 300000, '\0');
      for (char& c : msg) c = static_cast<char>(i % 2 == 0 ? 'a' + rng() % 4 : rng());
      std::string payload;
      ASSERT_TRUE(deflater.Compress(msg, payload));
      // Feed it cut into random pieces.
      std::vector<std::string> pieces;
      for (size_t at = 0; at < payload.size();) {
        const size_t n = std::min<size_t>(payload.size() - at, 1 + rng() % 5000);
        pieces.push_back(payload.substr(at, n));
        at += n;
      }
      ASSERT_EQ(InflateMessage(inflater, pieces), msg) << i;
      if (no_context) inflater.Reset();
    }
  }
}

TEST(DeflateTest, ContextTakeoverShrinksRepeats) {
  const std::string msg = "{\"subject\":\"orders.eu.created\",\"payload\":\"some repeated json\"}";
  Deflater keep(15, false);
  Deflater reset(15, true);
  std::string a1, a2, b1, b2;
  ASSERT_TRUE(keep.Compress(msg, a1));
  ASSERT_TRUE(keep.Compress(msg, a2));
  ASSERT_TRUE(reset.Compress(msg, b1));
  ASSERT_TRUE(reset.Compress(msg, b2));
  EXPECT_LT(a2.size(), a1.size() / 2);
  EXPECT_EQ(b1, b2);
  EXPECT_EQ(a1, b1);
}

TEST(DeflateTest, ReleaseAndReuse) {
  Deflater deflater(12, true);
  Inflater inflater(12);
  for (int i = 0; i < 3; ++i) {
    std::string payload;
    ASSERT_TRUE(deflater.Compress("released and reused", payload));
    ASSERT_EQ(InflateMessage(inflater, {payload}), "released and reused");
    deflater.Release();
    inflater.Release();
  }
}

// Window bits below 9 still inflate (zlib before 1.2.9 compressed "8" as 9).
TEST(DeflateTest, SmallWindows) {
  for (uint8_t bits = 8; bits <= 15; ++bits) {
    Deflater deflater(bits, false);
    Inflater inflater(bits);
    std::string msg;
    for (int i = 0; i < 2000; ++i) msg += "abcdefghij"[i % 10] + std::to_string(i % 37);
    std::string payload;
    ASSERT_TRUE(deflater.Compress(msg, payload)) << int{bits};
    ASSERT_EQ(InflateMessage(inflater, {payload}), msg) << int{bits};
  }
}

}  // namespace
}  // namespace tern::proto::ws
