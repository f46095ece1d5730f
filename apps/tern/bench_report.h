// The figures `tern bench` prints: per-side rates and, for requests,
// latency percentiles. Kept apart from the run so the arithmetic is plain.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tern::cli {

// Nearest-rank percentile (p in [0, 1]) of sorted values; 0 when empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);

class BenchReport {
 public:
  BenchReport(bool request, size_t size) : request_(request), size_(size) {}

  // A publisher or requester: when it started and finished (since a common
  // epoch), what it completed; latencies only for requesters.
  void AddPub(std::chrono::nanoseconds start, std::chrono::nanoseconds end, uint64_t msgs,
              const std::vector<int64_t>& latencies_ns);
  // A subscriber or responder: its first and last message.
  void AddSub(std::chrono::nanoseconds first, std::chrono::nanoseconds last, uint64_t msgs, uint64_t dropped);

  void Print(bool json) const;
  std::string Text() const;
  std::string Json() const;

 private:
  struct Side {
    std::chrono::nanoseconds start{0}, end{0};
    uint64_t msgs = 0;
    uint64_t dropped = 0;
    double Rate() const;
  };
  // The whole side: all its messages over the span from the earliest start
  // to the latest end.
  static Side Aggregate(const std::vector<Side>& sides);
  std::string SideText(const char* title, const char* unit, const std::vector<Side>& sides) const;
  std::string SideJson(const std::vector<Side>& sides) const;

  bool request_;
  size_t size_;
  std::vector<Side> pubs_;
  std::vector<Side> subs_;
  std::vector<int64_t> latencies_ns_;  // sorted on demand
};

}  // namespace tern::cli
