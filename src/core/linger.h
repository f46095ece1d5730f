// Linger: a message that found no subscriber is held for a while and handed
// to the first matching subscription that appears, instead of being lost to
// a subscriber that was just about to arrive.
//
// Opt-in per subject pattern; each rule has its own time window and byte
// bound (oldest dropped first). The rules never change after construction,
// so Hold() finds its rule without a lock and then locks that rule alone:
// publishes that matched nobody do not queue up behind each other across
// rules, and a subject under no rule costs no lock at all. Within a rule,
// held messages sit in arrival order (expiry and eviction pop the oldest)
// and are indexed by subject, so a SUB on a literal subject touches only
// its own messages and a wildcard SUB scans subjects, not messages.
//
// The race with a subscriber: a publish that missed (matched nobody) and a
// SUB that inserts and then calls Take() can interleave so that the SUB's
// Take runs before the publish holds, and the message would wait for nobody.
// Hold() closes that window: under the rule's lock it first counts the
// message as held (so holding() turns true), then re-checks the index for
// interest. Either its interest check comes after the subscriber's insert,
// and it sees the subscriber and answers kInterest (the router delivers
// instead), or it comes before, and then the count it raised is visible to
// the subscriber after its insert (the index's lock orders the two), so the
// subscriber's Take looks, waits for the rule's lock, and finds the message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace tern::core {

class Sublist;

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

enum class HoldOutcome : uint8_t {
  kNotHeld,  // under no rule, or larger than its rule's bound
  kHeld,
  kInterest,  // someone subscribed since the publish matched: deliver it instead
};

class LingerStore {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LingerStore(std::vector<LingerRuleConfig> rules);
  ~LingerStore();

  bool enabled() const { return !rules_.empty(); }
  bool holding() const { return held_count_.load(std::memory_order_acquire) > 0; }

  // Keeps a copy when the subject falls under a rule (the first that
  // matches) and `interest` has no subscriber for it. A message larger than
  // its rule's bound is refused and counted as dropped.
  HoldOutcome Hold(const Message& msg, Clock::time_point now, const Sublist& interest);
  // Removes and returns, oldest first, unexpired held messages whose subject
  // matches `pattern` (the subject of a subscription that just appeared).
  std::vector<HeldMessage> Take(std::string_view pattern, Clock::time_point now);
  void Expire(Clock::time_point now);

  LingerStats stats() const;

  // Runs inside Hold() after the rule is found, before its lock: lets a test
  // put a subscriber in the window between a publish's match and its hold.
  void set_before_hold_for_testing(std::function<void()> hook) { before_hold_ = std::move(hook); }

  struct Rule;  // defined in linger.cc; named here only for its helpers

 private:
  Rule* RuleFor(std::string_view subject) const;

  std::vector<std::unique_ptr<Rule>> rules_;
  // Messages held (or being held) across all rules: lets a SUB skip every
  // lock when nothing is held.
  std::atomic<uint64_t> held_count_{0};
  std::function<void()> before_hold_;
};

}  // namespace tern::core
