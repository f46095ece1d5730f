// The last `max` closed client connections with why they closed, for
// /connz?state=closed (nats-server keeps max_closed_clients of them too).
// Written once per close by the closing connection's owner, read by the
// monitor thread: a mutex per close costs nothing on the message path.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "server/conn_info.h"

namespace tern::server {

class ClosedConnections {
 public:
  // A connection with a million subscriptions must not make the ring a
  // million entries big: each entry keeps at most this many.
  static constexpr size_t kMaxSubsPerEntry = 1024;

  explicit ClosedConnections(size_t max) : max_(max) {}

  void Add(ConnInfo info) {
    if (max_ == 0) return;
    if (info.subs.size() > kMaxSubsPerEntry) info.subs.resize(kMaxSubsPerEntry);
    std::lock_guard lock(mu_);
    if (ring_.size() == max_) ring_.pop_front();
    ring_.push_back(std::move(info));
  }
  // Oldest first.
  std::vector<ConnInfo> Snapshot() const {
    std::lock_guard lock(mu_);
    return {ring_.begin(), ring_.end()};
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return ring_.size();
  }
  size_t max() const { return max_; }

 private:
  const size_t max_;
  mutable std::mutex mu_;
  std::deque<ConnInfo> ring_;
};

}  // namespace tern::server
