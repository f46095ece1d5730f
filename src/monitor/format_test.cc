#include "monitor/format.h"

#include <gtest/gtest.h>

namespace tern::monitor {
namespace {

using namespace std::chrono_literals;

// The strings nats-server 2.9 writes for the same values (Go's
// time.Duration.String() and monitor.go's myUptime()).
TEST(FormatTest, GoDurations) {
  EXPECT_EQ(GoDuration(0ns), "0s");
  EXPECT_EQ(GoDuration(999ns), "999ns");
  EXPECT_EQ(GoDuration(836us), "836µs");
  EXPECT_EQ(GoDuration(836'123ns), "836.123µs");
  EXPECT_EQ(GoDuration(1500us), "1.5ms");
  EXPECT_EQ(GoDuration(1500ms), "1.5s");
  EXPECT_EQ(GoDuration(62s), "1m2s");
  EXPECT_EQ(GoDuration(3h + 1s), "3h0m1s");
}

TEST(FormatTest, Uptimes) {
  EXPECT_EQ(Uptime(0s), "0s");
  EXPECT_EQ(Uptime(59s + 900ms), "59s");
  EXPECT_EQ(Uptime(61s), "1m1s");
  EXPECT_EQ(Uptime(3h + 4s), "3h0m4s");
  EXPECT_EQ(Uptime(49h), "2d1h0m0s");
  EXPECT_EQ(Uptime(24h * 366), "1y1d0h0m0s");
}

TEST(FormatTest, Rfc3339InUtcWithoutTrailingZeros) {
  const WallClock::time_point t{std::chrono::seconds(1'796'175'626)};
  EXPECT_EQ(Rfc3339(t), "2026-12-02T01:40:26Z");
  EXPECT_EQ(Rfc3339(t + 651'348'977ns), "2026-12-02T01:40:26.651348977Z");
  EXPECT_EQ(Rfc3339(t + 500ms), "2026-12-02T01:40:26.5Z");
}

}  // namespace
}  // namespace tern::monitor
