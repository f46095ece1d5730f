#include "core/linger.h"

#include <algorithm>
#include <deque>
#include <list>
#include <mutex>

#include "base/string_hash.h"
#include "core/sublist.h"
#include "proto/subject.h"

namespace tern::core {

using proto::HasWildcard;
using proto::SubjectMatches;

struct LingerStore::Rule {
  struct Entry {
    HeldMessage msg;
    uint64_t seq;  // arrival order, to merge several subjects' messages
  };
  using Arrival = std::list<Entry>;

  explicit Rule(LingerRuleConfig c) : config(std::move(c)) {}

  const LingerRuleConfig config;
  // Held, or about to be (see Hold): read without the lock to skip the rule.
  std::atomic<uint64_t> count{0};

  std::mutex mu;                                        // guards everything below
  Arrival arrival;                                      // oldest first
  StringMap<std::deque<Arrival::iterator>> by_subject;  // each oldest first
  uint64_t bytes = 0;
  uint64_t next_seq = 0;
  LingerStats stats;
};

namespace {

using Rule = LingerStore::Rule;

}  // namespace

LingerStore::LingerStore(std::vector<LingerRuleConfig> rules) {
  for (auto& config : rules) rules_.push_back(std::make_unique<Rule>(std::move(config)));
}

LingerStore::~LingerStore() = default;

LingerStore::Rule* LingerStore::RuleFor(std::string_view subject) const {
  // First matching rule wins, so overlapping patterns do not hold copies twice.
  for (const auto& rule : rules_) {
    if (SubjectMatches(rule->config.subject, subject)) return rule.get();
  }
  return nullptr;
}

namespace {

// Takes `it` out of the rule's structures (not out of its by_subject bucket,
// which the caller handles) and returns the message.
HeldMessage Unlink(Rule& rule, Rule::Arrival::iterator it, std::atomic<uint64_t>& held_count) {
  HeldMessage msg = std::move(it->msg);
  rule.arrival.erase(it);
  rule.bytes -= msg.bytes();
  rule.stats.bytes_now -= msg.bytes();
  --rule.stats.held_now;
  rule.count.fetch_sub(1, std::memory_order_release);
  held_count.fetch_sub(1, std::memory_order_release);
  return msg;
}

void DropOldest(Rule& rule, std::atomic<uint64_t>& held_count) {
  auto oldest = rule.arrival.begin();
  // Both are in arrival order, so the oldest message is its subject's oldest.
  auto bucket = rule.by_subject.find(std::string_view(oldest->msg.subject));
  bucket->second.pop_front();
  if (bucket->second.empty()) rule.by_subject.erase(bucket);
  Unlink(rule, oldest, held_count);
}

void ExpireLocked(Rule& rule, LingerStore::Clock::time_point now, std::atomic<uint64_t>& held_count) {
  // One window per rule, so the expired ones are a prefix of arrival order.
  while (!rule.arrival.empty() && rule.arrival.front().msg.expires <= now) {
    DropOldest(rule, held_count);
    ++rule.stats.expired;
  }
}

}  // namespace

HoldOutcome LingerStore::Hold(const Message& msg, Clock::time_point now, const Sublist& interest) {
  Rule* rule = RuleFor(msg.subject);
  if (rule == nullptr) return HoldOutcome::kNotHeld;
  HeldMessage held{std::string(msg.subject),
                   std::string(msg.reply),
                   std::string(msg.headers),
                   std::string(msg.payload),
                   msg.qos,
                   msg.retain,
                   now + rule->config.hold};
  const size_t size = held.bytes();
  if (before_hold_) before_hold_();
  std::lock_guard lock(rule->mu);
  if (size > rule->config.max_bytes) {
    ++rule->stats.dropped_for_space;
    return HoldOutcome::kNotHeld;
  }
  // Counted before the interest check, not after: see the header.
  rule->count.fetch_add(1, std::memory_order_seq_cst);
  held_count_.fetch_add(1, std::memory_order_seq_cst);
  if (interest.HasInterest(msg.subject)) {
    rule->count.fetch_sub(1, std::memory_order_release);
    held_count_.fetch_sub(1, std::memory_order_release);
    return HoldOutcome::kInterest;
  }
  while (rule->bytes + size > rule->config.max_bytes) {
    DropOldest(*rule, held_count_);
    ++rule->stats.dropped_for_space;
  }
  rule->bytes += size;
  rule->stats.bytes_now += size;
  ++rule->stats.held;
  ++rule->stats.held_now;
  auto it = rule->arrival.insert(rule->arrival.end(), Rule::Entry{std::move(held), rule->next_seq++});
  rule->by_subject[it->msg.subject].push_back(it);
  return HoldOutcome::kHeld;
}

std::vector<HeldMessage> LingerStore::Take(std::string_view pattern, Clock::time_point now) {
  std::vector<HeldMessage> taken;
  if (!holding()) return taken;
  const bool literal = !HasWildcard(pattern);
  std::vector<Rule::Arrival::iterator> found;
  for (const auto& rule_ptr : rules_) {
    Rule& rule = *rule_ptr;
    // A literal subject is held only by the first rule that matches it.
    if (literal && !SubjectMatches(rule.config.subject, pattern)) continue;
    if (rule.count.load(std::memory_order_acquire) > 0) {
      std::lock_guard lock(rule.mu);
      ExpireLocked(rule, now, held_count_);
      found.clear();
      if (literal) {
        if (auto bucket = rule.by_subject.find(pattern); bucket != rule.by_subject.end()) {
          found.assign(bucket->second.begin(), bucket->second.end());
          rule.by_subject.erase(bucket);
        }
      } else {
        for (auto bucket = rule.by_subject.begin(); bucket != rule.by_subject.end();) {
          if (!SubjectMatches(pattern, bucket->first)) {
            ++bucket;
            continue;
          }
          found.insert(found.end(), bucket->second.begin(), bucket->second.end());
          bucket = rule.by_subject.erase(bucket);
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
      }
      for (auto it : found) {
        taken.push_back(Unlink(rule, it, held_count_));
        ++rule.stats.delivered;
      }
    }
    if (literal) break;
  }
  return taken;
}

void LingerStore::Expire(Clock::time_point now) {
  if (!holding()) return;
  for (const auto& rule : rules_) {
    if (rule->count.load(std::memory_order_acquire) == 0) continue;
    std::lock_guard lock(rule->mu);
    ExpireLocked(*rule, now, held_count_);
  }
}

LingerStats LingerStore::stats() const {
  LingerStats total;
  for (const auto& rule : rules_) {
    std::lock_guard lock(rule->mu);
    total.held += rule->stats.held;
    total.delivered += rule->stats.delivered;
    total.expired += rule->stats.expired;
    total.dropped_for_space += rule->stats.dropped_for_space;
    total.held_now += rule->stats.held_now;
    total.bytes_now += rule->stats.bytes_now;
  }
  return total;
}

}  // namespace tern::core
