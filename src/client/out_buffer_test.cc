#include "out_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace tern::internal {
namespace {

TEST(OutBufferTest, GrowAppendPrependAcrossReallocations) {
  OutBuffer b;
  EXPECT_TRUE(b.empty());
  std::string want;
  for (int i = 0; i < 5000; ++i) {
    std::string piece = std::to_string(i) + ",";
    char* p = b.Grow(piece.size());
    piece.copy(p, piece.size());
    want += piece;
  }
  b.append("end").push_back('!');
  want += "end!";
  b.Prepend("SUB x 1\r\n");
  want.insert(0, "SUB x 1\r\n");
  EXPECT_EQ(b.view(), want);
  EXPECT_GE(b.capacity(), b.size());
}

TEST(OutBufferTest, SwapAndClearKeepOrReleaseMemory) {
  OutBuffer a, b;
  a.append("abc");
  a.swap(b);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.view(), "abc");
  size_t cap = b.capacity();
  b.Clear(cap);  // within the bound: memory kept
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), cap);
  b.append(std::string(10000, 'x'));
  b.Clear(4096);  // grew past the bound: memory released
  EXPECT_EQ(b.capacity(), 0u);
  b.Prepend("again");
  EXPECT_EQ(b.view(), "again");
}

}  // namespace
}  // namespace tern::internal
