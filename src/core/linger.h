// Linger: a message that found no subscriber is held for a while and handed
// to the first matching subscription that appears, instead of being lost to
// a subscriber that was just about to arrive.
//
// Opt-in per subject pattern; each rule has its own time window and byte
// bound (oldest dropped first). Thread-safe behind one mutex: it is only
// touched when a publish matched nobody or a subscription was added, never on
// the normal delivery path, and `held_count_` lets both skip the lock when
// nothing is held.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace tern::core {

struct LingerRuleConfig {
  std::string subject;  // pattern, wildcards allowed
  std::chrono::milliseconds hold{3000};
  uint64_t max_bytes = 64ull * 1024 * 1024;
};

struct HeldMessage {
  std::string subject, reply, headers, payload;
  uint8_t qos = 0;
  bool retain = false;
  std::chrono::steady_clock::time_point expires;
  Message view() const { return Message{subject, reply, headers, payload, qos, retain}; }
  size_t bytes() const { return subject.size() + reply.size() + headers.size() + payload.size(); }
};

struct LingerStats {
  uint64_t held = 0;               // messages taken into the store
  uint64_t delivered = 0;          // handed to a subscription that appeared in time
  uint64_t expired = 0;            // dropped after their window
  uint64_t dropped_for_space = 0;  // dropped, oldest first, to stay under max_bytes
  uint64_t held_now = 0;
  uint64_t bytes_now = 0;
};

class LingerStore {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LingerStore(std::vector<LingerRuleConfig> rules);

  bool enabled() const { return !rules_.empty(); }
  bool holding() const { return held_count_.load(std::memory_order_acquire) > 0; }

  // Keeps a copy when the subject falls under a rule; true when held. A
  // message larger than its rule's bound is refused and counted as dropped.
  bool Hold(const Message& msg, Clock::time_point now);
  // Removes and returns, oldest first, unexpired held messages whose subject
  // matches `pattern` (the subject of a subscription that just appeared).
  std::vector<HeldMessage> Take(std::string_view pattern, Clock::time_point now);
  void Expire(Clock::time_point now);

  LingerStats stats() const;

 private:
  struct Rule {
    LingerRuleConfig config;
    std::deque<HeldMessage> held;  // oldest first: expiry and eviction pop the front
    uint64_t bytes = 0;
  };
  void DropFront(Rule& rule);
  void ExpireLocked(Rule& rule, Clock::time_point now);

  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::atomic<uint64_t> held_count_{0};
  LingerStats stats_;
};

}  // namespace tern::core
