// A counter with one writing thread and any number of readers. The writer
// adds with a plain load+store (no locked instruction on the hot path);
// readers see a recent value, which is all monitoring needs.
#pragma once

#include <atomic>
#include <cstdint>

namespace tern {

class OwnedCounter {
 public:
  void Add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace tern
