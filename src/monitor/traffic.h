// Traffic history: messages and bytes in/out sampled once a second, kept
// per second for the last minute (the dashboard's live graph) and per minute
// for 24 hours (/trafficz?window=1h), each with the busiest second of the
// minute. Both rings are allocated once at their bound, so the history costs
// the same memory on its first minute as after a year.
//
// Threading: the monitor thread only (its sampler and its HTTP sessions).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace tern::monitor {

using WallClock = std::chrono::system_clock;

struct TrafficTotals {
  uint64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
};

struct TrafficSecond {
  WallClock::time_point time{};  // end of the second
  TrafficTotals delta;           // what flowed in that second
};

struct TrafficMinute {
  WallClock::time_point start{};  // the wall-clock minute, truncated
  TrafficTotals delta;            // what flowed in that minute
  uint64_t peak_in_msgs = 0, peak_out_msgs = 0;  // the busiest second's msgs/s
  uint32_t samples = 0;                          // seconds sampled (60 when complete)
};

class TrafficHistory {
 public:
  static constexpr size_t kSeconds = 60;
  static constexpr size_t kMinutes = 24 * 60;

  TrafficHistory();

  // The running totals at `now`; the first call only sets the baseline.
  void Sample(WallClock::time_point now, const TrafficTotals& totals);

  // Oldest first. Complete minutes within `window` of the last sample, then
  // the minute in progress.
  std::vector<TrafficMinute> Minutes(std::chrono::minutes window) const;
  std::vector<TrafficSecond> Seconds() const;
  // Bytes the history holds (fixed: both rings at their bound).
  size_t MemoryBytes() const;

 private:
  std::vector<TrafficSecond> seconds_;  // ring of kSeconds
  size_t seconds_next_ = 0, seconds_count_ = 0;
  std::vector<TrafficMinute> minutes_;  // ring of kMinutes complete minutes
  size_t minutes_next_ = 0, minutes_count_ = 0;
  TrafficMinute current_{};
  bool have_baseline_ = false;
  TrafficTotals last_{};
  WallClock::time_point last_time_{};
};

}  // namespace tern::monitor
