#include "monitor/traffic.h"

#include <gtest/gtest.h>

namespace tern::monitor {
namespace {

using namespace std::chrono_literals;

TEST(TrafficHistoryTest, PerSecondDeltasAndPerMinuteSumsWithPeaks) {
  TrafficHistory h;
  WallClock::time_point t{std::chrono::hours(24 * 20000)};  // a whole minute
  TrafficTotals total;
  h.Sample(t, total);  // baseline
  EXPECT_TRUE(h.Seconds().empty());
  for (int i = 1; i <= 90; ++i) {
    total.in_msgs += static_cast<uint64_t>(i);
    total.out_msgs += 2 * static_cast<uint64_t>(i);
    total.in_bytes += 10;
    h.Sample(t + std::chrono::seconds(i), total);
  }
  auto seconds = h.Seconds();
  ASSERT_EQ(seconds.size(), TrafficHistory::kSeconds);
  EXPECT_EQ(seconds.back().delta.in_msgs, 90u);
  EXPECT_EQ(seconds.front().delta.in_msgs, 31u);
  auto minutes = h.Minutes(1h);
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[0].samples, 59u);  // seconds 1..59; second 60 starts the next minute
  EXPECT_EQ(minutes[0].delta.in_msgs, 59u * 60 / 2);
  EXPECT_EQ(minutes[0].peak_in_msgs, 59u);
  EXPECT_EQ(minutes[0].peak_out_msgs, 118u);
  EXPECT_EQ(minutes[1].samples, 31u);
  EXPECT_EQ(minutes[1].peak_in_msgs, 90u);
}

TEST(TrafficHistoryTest, StaysAtItsBoundForDays) {
  TrafficHistory h;
  const size_t bytes = h.MemoryBytes();
  WallClock::time_point t{std::chrono::hours(24 * 20000)};
  TrafficTotals total;
  // Two days of one sample a minute (each spreads over 60 seconds).
  for (int i = 0; i <= 2 * 24 * 60; ++i) {
    total.in_msgs += 600;
    h.Sample(t + std::chrono::minutes(i), total);
  }
  EXPECT_EQ(h.MemoryBytes(), bytes);
  auto all = h.Minutes(48h);
  EXPECT_EQ(all.size(), TrafficHistory::kMinutes + 1);  // 24 h of complete minutes + the current one
  EXPECT_EQ(all.back().peak_in_msgs, 10u);              // 600 over 60 s is 10/s, not 600
  EXPECT_EQ(h.Minutes(10min).size(), 11u);
}

TEST(TrafficHistoryTest, ACounterThatGoesBackIsNotAHugeRate) {
  TrafficHistory h;
  WallClock::time_point t{std::chrono::hours(24 * 20000)};
  h.Sample(t, {100, 100, 100, 100});
  h.Sample(t + 1s, {50, 50, 50, 50});
  EXPECT_EQ(h.Seconds().back().delta.in_msgs, 0u);
}

}  // namespace
}  // namespace tern::monitor
