#include "base/units.h"

#include <gtest/gtest.h>

namespace tern::units {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(UnitsDurationTest, Valid) {
  EXPECT_EQ(ParseDuration("0"), nanoseconds(0));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("3s"), milliseconds(3000));
  EXPECT_EQ(ParseDuration("2m"), milliseconds(120'000));
  EXPECT_EQ(ParseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(ParseDuration(".5s"), milliseconds(500));
  EXPECT_EQ(ParseDuration("100us"), nanoseconds(100'000));
  EXPECT_EQ(ParseDuration("100\xC2\xB5s"), nanoseconds(100'000));
  EXPECT_EQ(ParseDuration("7ns"), nanoseconds(7));
}

TEST(UnitsDurationTest, Invalid) {
  for (const char* text : {"", "10", "s", "1x", "1.s", "-1s", "1.0000000001s", "1 s", "1s2", "99999999999h"}) {
    EXPECT_FALSE(ParseDuration(text).has_value()) << text;
  }
}

TEST(UnitsDurationTest, WholeMillis) {
  EXPECT_EQ(ToWholeMillis(*ParseDuration("1.5s")), milliseconds(1500));
  EXPECT_FALSE(ToWholeMillis(*ParseDuration("1.5ms")).has_value());
}

TEST(UnitsDurationTest, FormatRoundTrips) {
  EXPECT_EQ(FormatDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(3000)), "3s");
  EXPECT_EQ(FormatDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(FormatDuration(nanoseconds(250'000)), "250us");
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1'000'000}, int64_t{61'000'000'000}}) {
    EXPECT_EQ(ParseDuration(FormatDuration(nanoseconds(ns))), nanoseconds(ns));
  }
}

TEST(UnitsSizeTest, PowersOf1024ForKBAndKiB) {
  EXPECT_EQ(ParseSize("1024"), 1024u);
  EXPECT_EQ(ParseSize("64KB"), 65536u);
  EXPECT_EQ(ParseSize("64kib"), 65536u);
  EXPECT_EQ(ParseSize("1MiB"), 1u << 20);
  EXPECT_EQ(ParseSize("1MB"), 1u << 20);
  EXPECT_EQ(ParseSize("1M"), 1'000'000u);
  EXPECT_EQ(ParseSize("2k"), 2000u);
  EXPECT_EQ(ParseSize("3b"), 3u);
}

TEST(UnitsSizeTest, Invalid) {
  for (const char* text : {"", "KB", "-1", "1.5MB", "1 MB", "12XB", "99999999999999999999", "20000000TB"}) {
    EXPECT_FALSE(ParseSize(text).has_value()) << text;
  }
}

TEST(UnitsSizeTest, Format) {
  EXPECT_EQ(FormatSize(1 << 20), "1MiB");
  EXPECT_EQ(FormatSize(64 << 10), "64KiB");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(0), "0");
}

}  // namespace
}  // namespace tern::units
