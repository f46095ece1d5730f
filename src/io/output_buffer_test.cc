#include "io/output_buffer.h"

#include <gtest/gtest.h>

namespace tern::io {
namespace {

std::string Pieces(const OutputBuffer& out) {
  std::string all;
  out.ForEachPiece([&](std::string_view piece) { all.append(piece); });
  return all;
}

std::string Gathered(const OutputBuffer& out, int max = 64) {
  iovec iov[64];
  int n = out.Gather(iov, max);
  std::string all;
  for (int i = 0; i < n; ++i) all.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return all;
}

TEST(OutputBufferTest, PlainBytesAreOnePiece) {
  OutputBuffer out;
  out.Append("MSG a 1 2\r\n");
  out.Append("hi\r\n");
  EXPECT_EQ(out.size(), 15u);
  iovec iov[4];
  EXPECT_EQ(out.Gather(iov, 4), 1);
  EXPECT_EQ(Gathered(out), "MSG a 1 2\r\nhi\r\n");
}

TEST(OutputBufferTest, SharedSlicesKeepTheirPlace) {
  auto payload = std::make_shared<const std::string>("0123456789");
  OutputBuffer out;
  out.Append("A ");
  out.AppendShared(payload, 2, 5);  // "23456"
  out.Append(" B ");
  out.AppendShared(payload, 0, 3);  // "012"
  out.AppendShared(payload, 9, 1);  // "9"
  out.Append(" C");
  const std::string want = "A 23456 B 0129 C";
  EXPECT_EQ(out.size(), want.size());
  EXPECT_EQ(Gathered(out), want);
  EXPECT_EQ(Pieces(out), want);
  // Consuming at every split point leaves exactly the rest.
  for (size_t cut = 0; cut <= want.size(); ++cut) {
    OutputBuffer copy;
    copy.Append("A ");
    copy.AppendShared(payload, 2, 5);
    copy.Append(" B ");
    copy.AppendShared(payload, 0, 3);
    copy.AppendShared(payload, 9, 1);
    copy.Append(" C");
    copy.Consume(cut);
    EXPECT_EQ(copy.size(), want.size() - cut) << cut;
    EXPECT_EQ(Gathered(copy), want.substr(cut)) << cut;
    EXPECT_EQ(Pieces(copy), want.substr(cut)) << cut;
  }
}

TEST(OutputBufferTest, GatherStopsAtMaxAndResumes) {
  auto payload = std::make_shared<const std::string>("xyz");
  OutputBuffer out;
  for (int i = 0; i < 10; ++i) {
    out.Append("h");
    out.AppendShared(payload, 0, 3);
  }
  std::string all;
  while (!out.empty()) {
    iovec iov[3];
    int n = out.Gather(iov, 3);
    ASSERT_GT(n, 0);
    size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      all.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      bytes += iov[i].iov_len;
    }
    out.Consume(bytes);
  }
  std::string want;
  for (int i = 0; i < 10; ++i) want += "hxyz";
  EXPECT_EQ(all, want);
}

TEST(OutputBufferTest, ConsumedSlicesAreReleased) {
  auto payload = std::make_shared<const std::string>(std::string(1000, 'p'));
  OutputBuffer out;
  out.AppendShared(payload, 0, payload->size());
  out.Append("\r\n");
  EXPECT_EQ(payload.use_count(), 2);
  out.Consume(1000);
  EXPECT_EQ(payload.use_count(), 1);
  EXPECT_EQ(Gathered(out), "\r\n");
  out.Consume(2);
  EXPECT_TRUE(out.empty());
}

TEST(OutputBufferTest, SwapAndRelease) {
  OutputBuffer a, b;
  a.Append(std::string(100000, 'a'));
  a.Swap(b);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.size(), 100000u);
  b.Consume(100000);
  b.ReleaseIfEmpty(0);
  EXPECT_EQ(b.capacity(), std::string().capacity());
}

}  // namespace
}  // namespace tern::io
