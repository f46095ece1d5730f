// The subscription index: a trie over subject tokens with `*` and `>`
// wildcards. Per-worker caches of its answers are in match_cache.h.
//
// Concurrency design: one Sublist per server, read-mostly. Match() takes a
// shared lock (writer-preferring, so a flood of misses cannot starve a SUB);
// Insert()/Remove() take it exclusively, bump `generation` by one and note
// the changed subject in a ring of the last kChangeLogSize changes. Writers
// publish the new generation (release) before they unlock; a reader that
// sees it (acquire) takes the shared lock to copy the changes out of the
// ring, so the ring itself needs no atomics. InsertBatch() is one lock
// acquisition and one generation step, logged as "everything changed".
//
// Route interest is kept apart from local interest at each node (Insert asks
// the sink once; Sink::IsRoute must not change), so a match result hands the
// router local subscriptions and route sinks already separated, with no
// per-message check.
//
// Trie shape: a Level maps literal tokens to Nodes and has at most one `*`
// child and one `>` child beside them; a Node holds the subscriptions whose
// subject ends there (plain ones, route ones, and queue ones grouped by
// queue name) and, lazily, the next Level. Nodes left empty by Remove() are
// pruned.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/rw_lock.h"
#include "core/subscription.h"

namespace tern::core {

namespace sublist_internal {
struct Level;     // defined in sublist.cc
struct LogEntry;  // defined in sublist.cc
}  // namespace sublist_internal

// Round-robin position of one queue group (one subject node + queue name),
// owned by the index and shared by every worker's match results, so members
// take strict turns however many workers publish.
struct QueueCursor {
  std::atomic<uint64_t> next{0};
};

struct QueueGroupMatch {
  std::string name;
  std::vector<SubscriptionPtr> members;  // local sinks first, then route sinks
  uint32_t local = 0;                    // members[0, local) are local
  // When the subject reaches same-named groups at several nodes ("jobs.*"
  // and "jobs.>") they are one group here, turned by the first node's cursor.
  std::shared_ptr<QueueCursor> cursor;
};

// Everything a subject matches at one generation. Immutable once built.
struct MatchResult {
  std::vector<SubscriptionPtr> plain;   // local sinks' subscriptions
  std::vector<SubscriptionPtr> routes;  // one per route sink with matching interest
  std::vector<QueueGroupMatch> groups;
  size_t bytes = 0;  // heap it holds, for MatchCache's bound
  bool empty() const { return plain.empty() && routes.empty() && groups.empty(); }
};
using MatchResultPtr = std::shared_ptr<const MatchResult>;

// Counts for monitoring (nats-server's /subsz num_subscriptions,
// num_inserts, num_removes).
struct SublistStats {
  size_t count = 0;
  uint64_t inserts = 0, removes = 0;
};

// What an interest change did to its (subject, queue), for InsertBatch.
struct InterestChange {
  bool changed = false;        // inserted (false: invalid or already there)
  bool first_or_last = false;  // see Sublist::Insert
};

// Subjects whose interest changed between two generations, copied out of the
// index so a cache can apply them without holding the index's lock. Reused:
// once its buffers have grown, copying allocates nothing.
class ChangeSet {
 public:
  // The log no longer reached back far enough, or a batch changed many
  // subjects at once: drop everything.
  bool reset() const { return reset_; }
  size_t size() const { return spans_.size(); }
  std::string_view subject(size_t i) const { return std::string_view(text_).substr(spans_[i].offset, spans_[i].size); }
  bool wildcard(size_t i) const { return spans_[i].wildcard; }
  size_t wildcards() const { return wildcards_; }

 private:
  friend class Sublist;
  void Clear() {
    reset_ = false;
    text_.clear();
    spans_.clear();
    wildcards_ = 0;
  }
  void Add(std::string_view subject, bool wildcard);

  struct Span {
    uint32_t offset, size;
    bool wildcard;
  };
  bool reset_ = false;
  std::string text_;
  std::vector<Span> spans_;
  size_t wildcards_ = 0;
};

class Sublist {
 public:
  // Recent changes kept for caches to catch up on. A cache that lags by more
  // drops everything; a busy worker lags by the changes since its last
  // publish, an idle one by those since its last tick.
  static constexpr size_t kChangeLogSize = 1024;

  Sublist();
  ~Sublist();
  Sublist(const Sublist&) = delete;
  Sublist& operator=(const Sublist&) = delete;

  // True when added. Inserting the same Subscription object twice is a
  // no-op (false); so is a subject that fails IsValidSubject(). `first`:
  // the (subject, queue) had no interest of this kind before (local and
  // route interest are counted apart, so a cluster can tell its peers about
  // local interest alone).
  bool Insert(const SubscriptionPtr& sub, bool* first = nullptr);
  // Inserts all under one lock acquisition and one generation step (caches
  // then drop everything once): a route's full resync. Returns how many were
  // added; `changes`, when given, gets one entry per element of `subs`.
  size_t InsertBatch(std::span<const SubscriptionPtr> subs, std::vector<InterestChange>* changes = nullptr);
  // False when it was not present. Matched on the object's identity, using its
  // subject and queue to find it: do not change them while it is inserted.
  // `last`: no interest of this kind is left for the (subject, queue).
  bool Remove(const Subscription& sub, bool* last = nullptr);

  // Never null; a subject that matches nothing (or has empty tokens) gets a
  // shared empty result that costs no allocation. Keep the pointer while
  // reading: `for (auto& s : sl.Match(x)->plain)` reads freed memory.
  MatchResultPtr Match(std::string_view subject) const;
  // Also reports the generation the result is exact for.
  MatchResultPtr Match(std::string_view subject, uint64_t* generation) const;
  // Also, when *generation comes back different from `since`, the changes
  // after `since` up to it, read under the same lock as the match.
  MatchResultPtr Match(std::string_view subject, uint64_t since, ChangeSet* changes, uint64_t* generation) const;
  // The changes after `since` up to the returned generation, exactly.
  uint64_t ChangesSince(uint64_t since, ChangeSet* changes) const;
  // Cheaper than Match() when only "is anyone listening" matters.
  bool HasInterest(std::string_view subject) const;

  // What a cluster tells its peers. Local subscriptions at exactly this
  // (subject, queue), wildcards taken as literal tokens, not counting those
  // whose sink is `except` (the server's own services).
  size_t LocalCount(std::string_view subject, std::string_view queue, const Sink* except = nullptr) const;
  // Calls fn(subject, queue, count) for every (subject, queue) with local
  // interest, under the shared lock (a route's full resync): fn must not
  // touch the index.
  using LocalVisitor = std::function<void(std::string_view subject, std::string_view queue, size_t count)>;
  void ForEachLocal(const Sink* except, const LocalVisitor& fn) const;

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t count() const;
  SublistStats stats() const;
  // Trie nodes currently allocated (tests check pruning; monitoring).
  size_t node_count() const;

 private:
  // Both need mu_ held exclusively.
  bool InsertLocked(const SubscriptionPtr& sub, bool* first);
  void Advance(const Subscription* changed);  // nullptr: everything changed
  // Needs mu_ held (shared is enough).
  void CollectLocked(uint64_t since, uint64_t now, ChangeSet* changes) const;

  mutable base::RwLock mu_;
  std::unique_ptr<sublist_internal::Level> root_;
  std::unique_ptr<sublist_internal::LogEntry[]> log_;  // slot = generation % kChangeLogSize
  size_t count_ = 0;
  uint64_t inserts_ = 0, removes_ = 0;  // for monitoring (/subsz), under mu_
  std::atomic<uint64_t> generation_{0};
};

}  // namespace tern::core
