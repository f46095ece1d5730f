#include "proto/nats/headers.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace tern::proto::nats {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs Walk(std::string_view block) {
  Pairs out;
  ForEachHeader(block, [&](std::string_view n, std::string_view v) { out.emplace_back(n, v); });
  return out;
}

TEST(NatsHeaders, BuildAndWalk) {
  std::string block;
  AppendHeader(block, "A", "1");
  AppendHeader(block, "A", "2");
  AppendHeader(block, "Content", "x: y");
  CloseHeaders(block);
  EXPECT_EQ(block, "NATS/1.0\r\nA: 1\r\nA: 2\r\nContent: x: y\r\n\r\n");
  EXPECT_EQ(Walk(block), (Pairs{{"A", "1"}, {"A", "2"}, {"Content", "x: y"}}));
}

TEST(NatsHeaders, StatusLineAndOddLinesAreSkipped) {
  EXPECT_EQ(Walk("NATS/1.0 503\r\n\r\n"), Pairs{});
  EXPECT_EQ(Walk("NATS/1.0\r\nnocolon\r\n:novalue\r\nK:v\r\n\r\n"), (Pairs{{"K", "v"}}));
  EXPECT_EQ(Walk(""), Pairs{});
}

TEST(NatsHeaders, Validity) {
  EXPECT_TRUE(IsValidHeader("X-Id", "any value: with colon"));
  EXPECT_FALSE(IsValidHeader("", "v"));
  EXPECT_FALSE(IsValidHeader("a b", "v"));
  EXPECT_FALSE(IsValidHeader("a:b", "v"));
  EXPECT_FALSE(IsValidHeader("a", "line\r\nbreak"));
}

}  // namespace
}  // namespace tern::proto::nats
