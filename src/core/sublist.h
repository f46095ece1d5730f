// The subscription index: a trie over subject tokens with `*` and `>`
// wildcards, plus per-worker match caches.
//
// Concurrency design: one Sublist per server, read-mostly. Match() takes a
// shared lock; Insert()/Remove() take it exclusively and bump `generation`.
// Publishers do not call Match() per message: each worker owns a MatchCache
// that answers a subject seen before with one hash lookup and no lock, and
// throws its entries away when it sees the generation move. A publish thus
// waits on a writer only right after a subscription change.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/subscription.h"

namespace tern::core {

struct QueueGroupMatch {
  std::string name;
  std::vector<SubscriptionPtr> members;
};

// Everything a subject matches at one generation. Immutable once built.
struct MatchResult {
  std::vector<SubscriptionPtr> plain;
  std::vector<QueueGroupMatch> groups;
  bool empty() const { return plain.empty() && groups.empty(); }
};
using MatchResultPtr = std::shared_ptr<const MatchResult>;

class Sublist {
 public:
  Sublist();
  ~Sublist();
  Sublist(const Sublist&) = delete;
  Sublist& operator=(const Sublist&) = delete;

  // The subject must already be valid (see subject.h). Inserting the same
  // Subscription object twice is a no-op.
  void Insert(const SubscriptionPtr& sub);
  // False when it was not present.
  bool Remove(const Subscription& sub);

  MatchResultPtr Match(std::string_view subject) const;
  // Cheaper than Match() when only "is anyone listening" matters.
  bool HasInterest(std::string_view subject) const;

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t count() const;

 private:
  struct Node;
  struct Level;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Level> root_;
  size_t count_ = 0;
  std::atomic<uint64_t> generation_{0};
};

// Not thread-safe: one per worker thread.
class MatchCache {
 public:
  explicit MatchCache(const Sublist& sublist, size_t capacity = 8192);

  // The reference stays valid until the next Lookup() on this cache.
  const MatchResult& Lookup(std::string_view subject);

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  const Sublist& sublist_;
  size_t capacity_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, MatchResultPtr, Hash, std::equal_to<>> entries_;
  MatchResultPtr last_;  // keeps the result handed out alive across an eviction
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace tern::core
