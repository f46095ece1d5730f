#include "monitor/traffic.h"

#include <algorithm>

namespace tern::monitor {
namespace {

// Counters only grow, but a total that went back (a worker gone) must not
// wrap into an absurd rate.
uint64_t Delta(uint64_t now, uint64_t before) { return now >= before ? now - before : 0; }

void AddTo(TrafficTotals& sum, const TrafficTotals& d) {
  sum.in_msgs += d.in_msgs;
  sum.out_msgs += d.out_msgs;
  sum.in_bytes += d.in_bytes;
  sum.out_bytes += d.out_bytes;
}

}  // namespace

TrafficHistory::TrafficHistory() : seconds_(kSeconds), minutes_(kMinutes) {}

void TrafficHistory::Sample(WallClock::time_point now, const TrafficTotals& totals) {
  if (!have_baseline_) {
    have_baseline_ = true;
    last_ = totals;
    last_time_ = now;
    current_.start = std::chrono::floor<std::chrono::minutes>(now);
    return;
  }
  TrafficSecond s;
  s.time = now;
  s.delta = {Delta(totals.in_msgs, last_.in_msgs), Delta(totals.out_msgs, last_.out_msgs),
             Delta(totals.in_bytes, last_.in_bytes), Delta(totals.out_bytes, last_.out_bytes)};
  last_ = totals;
  // A late tick (a long snapshot) spreads over the seconds it covered, so
  // the peak is a rate, not a sum.
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_time_).count();
  const uint64_t secs = static_cast<uint64_t>(std::max<int64_t>(1, (elapsed + 500) / 1000));
  last_time_ = now;
  seconds_[seconds_next_] = s;
  seconds_next_ = (seconds_next_ + 1) % kSeconds;
  seconds_count_ = std::min(seconds_count_ + 1, kSeconds);

  const auto minute = std::chrono::floor<std::chrono::minutes>(now);
  if (minute != current_.start) {
    if (current_.samples > 0) {
      minutes_[minutes_next_] = current_;
      minutes_next_ = (minutes_next_ + 1) % kMinutes;
      minutes_count_ = std::min(minutes_count_ + 1, kMinutes);
    }
    current_ = TrafficMinute{};
    current_.start = minute;
  }
  AddTo(current_.delta, s.delta);
  current_.peak_in_msgs = std::max(current_.peak_in_msgs, s.delta.in_msgs / secs);
  current_.peak_out_msgs = std::max(current_.peak_out_msgs, s.delta.out_msgs / secs);
  current_.samples += static_cast<uint32_t>(secs);
}

std::vector<TrafficMinute> TrafficHistory::Minutes(std::chrono::minutes window) const {
  std::vector<TrafficMinute> out;
  const auto from = current_.start - window;
  for (size_t i = 0; i < minutes_count_; ++i) {
    const TrafficMinute& m = minutes_[(minutes_next_ + kMinutes - minutes_count_ + i) % kMinutes];
    if (m.start >= from) out.push_back(m);
  }
  if (current_.samples > 0) out.push_back(current_);
  return out;
}

std::vector<TrafficSecond> TrafficHistory::Seconds() const {
  std::vector<TrafficSecond> out;
  out.reserve(seconds_count_);
  for (size_t i = 0; i < seconds_count_; ++i) {
    out.push_back(seconds_[(seconds_next_ + kSeconds - seconds_count_ + i) % kSeconds]);
  }
  return out;
}

size_t TrafficHistory::MemoryBytes() const {
  return sizeof(*this) + seconds_.capacity() * sizeof(TrafficSecond) + minutes_.capacity() * sizeof(TrafficMinute);
}

}  // namespace tern::monitor
