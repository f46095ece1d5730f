// Connection limits by source address: how many at once, and how fast new
// ones may come (a token bucket per address), so a storm from one address
// is refused at the acceptor while others connect as usual. Per-user
// connection counts live here too. Touched once per connection, under one
// mutex; buckets of addresses quiet for a minute are dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tern::server::auth {

class ConnectionLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Any thread (reload).
  void Configure(double rate_per_second, int burst, int max_per_ip);

  bool rate_limited() const { return rate_on_.load(std::memory_order_relaxed); }
  // The acceptor, for each accepted socket: false = over the rate.
  bool AllowNew(const std::string& ip, Clock::time_point now = Clock::now());
  // False when `ip` already has max_per_ip connections; else counts one.
  bool AcquireIp(const std::string& ip);
  void ReleaseIp(const std::string& ip);
  // Per-user slots (max <= 0: unlimited, still counted).
  bool AcquireUser(const std::string& user, int max);
  void ReleaseUser(const std::string& user);
  int UserCount(const std::string& user) const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{};
  };
  std::atomic<bool> rate_on_{false};
  mutable std::mutex mu_;
  double rate_ = 0;
  double burst_ = 0;
  int max_per_ip_ = 0;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, int> per_ip_;
  std::unordered_map<std::string, int> per_user_;
  Clock::time_point last_sweep_{};
};

}  // namespace tern::server::auth
