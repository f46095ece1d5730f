// A worker's cache of Sublist answers: a subject seen before costs one hash
// lookup and no lock.
//
// Invalidation is scoped to what changed. Every Sublist change bumps its
// generation and logs the changed subject; a cache that sees the generation
// move copies the changes since its own generation out of the log (under the
// index's shared lock) and applies them: a literal subject erases that one
// key (a literal subscription matches only the identical publish subject), a
// wildcard erases the keys it matches (one scan of the cache for all the
// wildcards in a catch-up). It drops everything only when it lags by more
// than the log holds, after a batch insert, or when so many wildcards
// changed that a scan per wildcard would cost more than refilling.
//
// Correctness: a cache keeps `generation_` such that every entry equals the
// index's answer at that generation. Lookup() first reads the index's
// generation (acquire; writers release it before unlocking) and, when it
// moved, catches up to whatever generation the log read returns (exact:
// read under the lock). A hit is then never older than a change this cache
// has seen. On a miss, Match() returns the result and its generation from
// one lock acquisition; if a writer slipped in after the catch-up, the
// result is newer than the entries, so the changes between the two
// generations, read under that same lock, are applied to the entries before
// the result joins them. Never the other way round: applying only up to the
// result's generation keeps the new entry exact too.
//
// Bounds: at most `capacity` entries and `max_bytes` of keys plus results
// (a broadcast subject's result holds one pointer per subscriber). When
// full, entries picked at random (a random bucket) are evicted: O(1), no
// per-hit bookkeeping (an LRU list would cost two pointer writes on every
// hit), and a hot subject that loses its slot comes back on its next miss.
// A result larger than max_bytes on its own is handed out uncached.
//
// Cached results keep removed subscriptions (and their sinks) alive until
// the change reaches the cache; a worker that goes idle calls Refresh()
// from a timer so it does not pin closed connections.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/subject_hash.h"
#include "core/sublist.h"

namespace tern::core {

// Not thread-safe: one per worker thread.
class MatchCache {
 public:
  static constexpr size_t kDefaultCapacity = 8192;
  static constexpr size_t kDefaultMaxBytes = 32u << 20;
  // Past this many distinct changed wildcards in one catch-up, clearing
  // beats scanning: a scan costs about 10 ns per entry and pattern, a refill
  // several hundred per entry.
  static constexpr size_t kMaxScanPatterns = 32;

  // capacity 0 turns caching off (every Lookup() is a Match()).
  explicit MatchCache(const Sublist& sublist, size_t capacity = kDefaultCapacity, size_t max_bytes = kDefaultMaxBytes);

  // The reference stays valid until the next Lookup() or Refresh() on this
  // cache. A hit allocates nothing and takes no lock. Inline, with the miss
  // out of line, so a hit costs the publish no call.
  const MatchResult& Lookup(std::string_view subject) {
    if (sublist_.generation() != generation_) CatchUp();
    if (auto it = entries_.find(subject); it != entries_.end()) {
      ++hits_;
      return *it->second;
    }
    return Miss(subject);
  }

  // Applies the index's changes now instead of at the next Lookup().
  void Refresh();

  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }
  size_t clears() const { return clears_; }  // whole-cache drops
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  size_t capacity() const { return capacity_; }
  size_t max_bytes() const { return max_bytes_; }
  // Destinations per cached subject (plain + queue groups + routes): the
  // largest and the sum, for /subsz. Walks the cache: monitoring only.
  void Fanout(size_t* max, size_t* sum) const {
    for (const auto& [subject, result] : entries_) {
      size_t n = result->plain.size() + result->groups.size() + result->routes.size();
      *max = std::max(*max, n);
      *sum += n;
    }
  }

 private:
  using Map = std::unordered_map<std::string, MatchResultPtr, SubjectHash, std::equal_to<>>;

  [[gnu::noinline]] const MatchResult& Miss(std::string_view subject);
  [[gnu::noinline]] void CatchUp();
  void Apply(const ChangeSet& changes);
  void Clear();
  void EvictOne();
  Map::iterator Erase(Map::iterator it);
  static size_t Cost(std::string_view key, const MatchResult& result);

  const Sublist& sublist_;
  size_t capacity_;
  size_t max_bytes_;
  uint64_t generation_ = 0;
  Map entries_;
  size_t bytes_ = 0;
  ChangeSet changes_;                       // reused by every catch-up
  std::vector<std::string_view> patterns_;  // into changes_, during Apply
  MatchResultPtr last_;                     // a result handed out uncached
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;    // eviction victim choice
  size_t hits_ = 0;
  size_t misses_ = 0;
  size_t clears_ = 0;
};

}  // namespace tern::core
