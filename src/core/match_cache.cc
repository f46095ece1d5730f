#include "core/match_cache.h"

#include <algorithm>

#include "proto/subject.h"

namespace tern::core {

namespace {
// A map node (next pointer, cached hash, key, value) and its bucket slot.
constexpr size_t kEntryOverhead = 80;
}  // namespace

MatchCache::MatchCache(const Sublist& sublist, size_t capacity, size_t max_bytes)
    : sublist_(sublist),
      capacity_(capacity),
      max_bytes_(max_bytes),
      generation_(sublist.generation()),
      // Differs per cache and per process (the object's address moves with
      // ASLR); no system call on a worker's start.
      entries_(0, SubjectHash(reinterpret_cast<uintptr_t>(this) * 0x9e3779b97f4a7c15ULL)) {}

size_t MatchCache::Cost(std::string_view key, const MatchResult& result) {
  return kEntryOverhead + key.size() + result.bytes;
}

const MatchResult& MatchCache::Miss(std::string_view subject) {
  ++misses_;
  uint64_t generation;
  MatchResultPtr result = sublist_.Match(subject, generation_, &changes_, &generation);
  if (generation != generation_) {
    // A writer got in between the catch-up and the match: bring the entries
    // up to the result's generation before it joins them.
    Apply(changes_);
    generation_ = generation;
  }
  const size_t cost = Cost(subject, *result);
  if (capacity_ == 0 || cost > max_bytes_) {
    last_ = std::move(result);
    return *last_;
  }
  while (!entries_.empty() && (entries_.size() >= capacity_ || bytes_ + cost > max_bytes_)) EvictOne();
  bytes_ += cost;
  return *entries_.emplace(std::string(subject), std::move(result)).first->second;
}

void MatchCache::Refresh() {
  if (sublist_.generation() != generation_) CatchUp();
}

void MatchCache::CatchUp() {
  generation_ = sublist_.ChangesSince(generation_, &changes_);
  Apply(changes_);
}

void MatchCache::Apply(const ChangeSet& changes) {
  if (changes.reset()) {
    Clear();
    return;
  }
  last_.reset();
  if (entries_.empty()) return;
  // A subscription that comes and goes shows twice; scan for it once.
  patterns_.clear();
  for (size_t i = 0; i < changes.size(); ++i) {
    std::string_view subject = changes.subject(i);
    if (!changes.wildcard(i)) {
      if (auto it = entries_.find(subject); it != entries_.end()) Erase(it);
    } else if (std::find(patterns_.begin(), patterns_.end(), subject) == patterns_.end()) {
      patterns_.push_back(subject);
    }
  }
  if (patterns_.empty()) return;
  if (patterns_.size() > kMaxScanPatterns) {
    Clear();
    return;
  }
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto matches = [&](std::string_view pattern) { return proto::SubjectMatches(pattern, it->first); };
    it = std::any_of(patterns_.begin(), patterns_.end(), matches) ? Erase(it) : std::next(it);
  }
}

MatchCache::Map::iterator MatchCache::Erase(Map::iterator it) {
  bytes_ -= Cost(it->first, *it->second);
  return entries_.erase(it);
}

void MatchCache::Clear() {
  last_.reset();
  bytes_ = 0;
  ++clears_;
  // clear() also zeroes the whole bucket array; after a burst of misses it
  // is large while the cache refills slowly between changes, so erase the
  // few entries one by one instead.
  if (entries_.size() * 8 < entries_.bucket_count()) {
    while (!entries_.empty()) entries_.erase(entries_.begin());
  } else {
    entries_.clear();
  }
}

void MatchCache::EvictOne() {
  const size_t buckets = entries_.bucket_count();
  // Buckets fill at load factor <= 1 when the cache is full, so a few steps
  // from a random start find an occupied one.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  size_t b = rng_ % buckets;
  for (size_t i = 0; i < buckets; ++i) {
    if (entries_.begin(b) != entries_.end(b)) {
      Erase(entries_.find(std::string_view(entries_.begin(b)->first)));
      return;
    }
    b = b + 1 == buckets ? 0 : b + 1;
  }
}

}  // namespace tern::core
