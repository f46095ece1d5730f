// The subscription index: a trie over subject tokens with `*` and `>`
// wildcards, plus per-worker match caches.
//
// Concurrency design: one Sublist per server, read-mostly. Match() takes a
// shared lock (writer-preferring, so a flood of misses cannot starve a SUB);
// Insert()/Remove() take it exclusively and bump `generation`. Publishers do
// not call Match() per message: each worker owns a MatchCache that answers a
// subject seen before with one hash lookup and no lock, and throws its
// entries away when it sees the generation move. A publish thus waits on a
// writer only right after a subscription change.
//
// Trie shape: a Level maps literal tokens to Nodes and has at most one `*`
// child and one `>` child beside them; a Node holds the subscriptions whose
// subject ends there (plain ones, and queue ones grouped by queue name) and,
// lazily, the next Level. Nodes left empty by Remove() are pruned.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/rw_lock.h"
#include "core/subscription.h"

namespace tern::core {

namespace sublist_internal {
struct Level;  // defined in sublist.cc
}  // namespace sublist_internal

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

  // True when added. Inserting the same Subscription object twice is a
  // no-op (false); so is a subject that fails IsValidSubject().
  bool Insert(const SubscriptionPtr& sub);
  // False when it was not present. Matched on the object's identity, using its
  // subject and queue to find it: do not change them while it is inserted.
  bool Remove(const Subscription& sub);

  // Never null; a subject that matches nothing (or has empty tokens) gets a
  // shared empty result that costs no allocation. Keep the pointer while
  // reading: `for (auto& s : sl.Match(x)->plain)` reads freed memory.
  MatchResultPtr Match(std::string_view subject) const;
  // Also reports the generation the result is exact for.
  MatchResultPtr Match(std::string_view subject, uint64_t* generation) const;
  // Cheaper than Match() when only "is anyone listening" matters.
  bool HasInterest(std::string_view subject) const;

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t count() const;
  // Trie nodes currently allocated (tests check pruning; monitoring).
  size_t node_count() const;

 private:
  mutable base::RwLock mu_;
  std::unique_ptr<sublist_internal::Level> root_;
  size_t count_ = 0;
  std::atomic<uint64_t> generation_{0};
};

// Not thread-safe: one per worker thread.
//
// Invalidation is wholesale: any subscription change anywhere empties every
// worker's cache at its next Lookup(). Emptying costs one free per entry, and
// every entry was paid for by a miss since the last change, so the cost is
// amortised into the misses. When full, one entry picked at random (a random
// bucket) is evicted: O(1), no per-hit bookkeeping (an LRU list would cost
// two pointer writes on every hit), and a hot subject that loses its slot
// comes back on its next miss.
class MatchCache {
 public:
  // capacity 0 turns caching off (every Lookup() is a Match()).
  explicit MatchCache(const Sublist& sublist, size_t capacity = 8192);

  // The reference stays valid until the next Lookup() or Refresh() on this
  // cache. A hit allocates nothing and takes no lock.
  const MatchResult& Lookup(std::string_view subject);

  // Drops the entries if the Sublist moved on. Cached results keep removed
  // subscriptions (and their sinks) alive; a worker that goes idle should
  // call this from a timer so it does not pin closed connections.
  void Refresh();

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }
  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  void Clear();
  void EvictOne();

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  const Sublist& sublist_;
  size_t capacity_;
  uint64_t generation_ = 0;
  std::unordered_map<std::string, MatchResultPtr, Hash, std::equal_to<>> entries_;
  MatchResultPtr last_;                   // the result handed out when capacity is 0
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;  // eviction victim choice
  size_t hits_ = 0;
  size_t misses_ = 0;
};

}  // namespace tern::core
