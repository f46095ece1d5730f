#include "core/linger.h"

#include "proto/subject.h"

namespace tern::core {

using proto::SubjectMatches;

LingerStore::LingerStore(std::vector<LingerRuleConfig> rules) {
  for (auto& config : rules) rules_.push_back(Rule{std::move(config), {}, 0});
}

void LingerStore::DropFront(Rule& rule) {
  rule.bytes -= rule.held.front().bytes();
  stats_.bytes_now -= rule.held.front().bytes();
  rule.held.pop_front();
  --stats_.held_now;
  held_count_.fetch_sub(1, std::memory_order_release);
}

void LingerStore::ExpireLocked(Rule& rule, Clock::time_point now) {
  // Held in arrival order with one window per rule, so the expired ones are a prefix.
  while (!rule.held.empty() && rule.held.front().expires <= now) {
    DropFront(rule);
    ++stats_.expired;
  }
}

bool LingerStore::Hold(const Message& msg, Clock::time_point now) {
  if (rules_.empty()) return false;
  std::lock_guard lock(mu_);
  for (Rule& rule : rules_) {
    // First matching rule wins, so overlapping patterns do not hold copies twice.
    if (!SubjectMatches(rule.config.subject, msg.subject)) continue;
    HeldMessage held{std::string(msg.subject),
                     std::string(msg.reply),
                     std::string(msg.headers),
                     std::string(msg.payload),
                     msg.qos,
                     msg.retain,
                     now + rule.config.hold};
    size_t size = held.bytes();
    if (size > rule.config.max_bytes) {
      ++stats_.dropped_for_space;
      return false;
    }
    while (rule.bytes + size > rule.config.max_bytes) {
      DropFront(rule);
      ++stats_.dropped_for_space;
    }
    rule.bytes += size;
    stats_.bytes_now += size;
    rule.held.push_back(std::move(held));
    ++stats_.held;
    ++stats_.held_now;
    held_count_.fetch_add(1, std::memory_order_release);
    return true;
  }
  return false;
}

std::vector<HeldMessage> LingerStore::Take(std::string_view pattern, Clock::time_point now) {
  std::vector<HeldMessage> taken;
  if (!holding()) return taken;
  std::lock_guard lock(mu_);
  for (Rule& rule : rules_) {
    ExpireLocked(rule, now);
    for (auto it = rule.held.begin(); it != rule.held.end();) {
      if (!SubjectMatches(pattern, it->subject)) {
        ++it;
        continue;
      }
      size_t size = it->bytes();
      rule.bytes -= size;
      stats_.bytes_now -= size;
      --stats_.held_now;
      ++stats_.delivered;
      held_count_.fetch_sub(1, std::memory_order_release);
      taken.push_back(std::move(*it));
      it = rule.held.erase(it);
    }
  }
  return taken;
}

void LingerStore::Expire(Clock::time_point now) {
  if (!holding()) return;
  std::lock_guard lock(mu_);
  for (Rule& rule : rules_) ExpireLocked(rule, now);
}

LingerStats LingerStore::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace tern::core
