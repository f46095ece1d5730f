#include "core/match_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sublist_testing.h"
#include "proto/subject.h"

namespace tern::core {
namespace {

using proto::SubjectMatches;

TEST(MatchCacheTest, HitAfterWarm) {
  Sublist sl;
  auto s = MakeSub("foo.*");
  ASSERT_TRUE(sl.Insert(s));
  MatchCache cache(sl);
  const MatchResult& first = cache.Lookup("foo.bar");
  EXPECT_EQ(first.plain.size(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  const MatchResult& second = cache.Lookup("foo.bar");
  EXPECT_EQ(&second, &first);  // the same cached object
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  // No interest is cached too.
  EXPECT_TRUE(cache.Lookup("nobody").empty());
  EXPECT_TRUE(cache.Lookup("nobody").empty());
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(MatchCacheTest, InvalidatedByMatchingChange) {
  Sublist sl;
  auto a = MakeSub("foo.bar");
  ASSERT_TRUE(sl.Insert(a));
  MatchCache cache(sl);
  EXPECT_EQ(cache.Lookup("foo.bar").plain.size(), 1u);

  auto b = MakeSub("foo.>");
  ASSERT_TRUE(sl.Insert(b));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{a.get(), b.get()}));
  EXPECT_EQ(cache.misses(), 2u);

  ASSERT_TRUE(sl.Remove(*a));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{b.get()}));
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
}

TEST(MatchCacheTest, UnrelatedChangesKeepEntries) {
  Sublist sl;
  auto a = MakeSub("foo.bar");
  ASSERT_TRUE(sl.Insert(a));
  MatchCache cache(sl);
  cache.Lookup("foo.bar");
  cache.Lookup("other.x");
  EXPECT_EQ(cache.misses(), 2u);

  // A literal elsewhere and a wildcard that matches neither key.
  auto lit = MakeSub("unrelated.subject");
  auto wild = MakeSub("unrelated.*");
  ASSERT_TRUE(sl.Insert(lit));
  ASSERT_TRUE(sl.Insert(wild));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{a.get()}));
  EXPECT_TRUE(cache.Lookup("other.x").empty());
  ASSERT_TRUE(sl.Remove(*lit));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{a.get()}));
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.clears(), 0u);
}

TEST(MatchCacheTest, LiteralChangeErasesOnlyItsKey) {
  Sublist sl;
  MatchCache cache(sl);
  for (const char* s : {"a.1", "a.2", "a.3"}) EXPECT_TRUE(cache.Lookup(s).empty());
  auto sub = MakeSub("a.2");
  ASSERT_TRUE(sl.Insert(sub));
  EXPECT_TRUE(cache.Lookup("a.1").empty());
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(Plain(cache.Lookup("a.2")), (std::set<const Subscription*>{sub.get()}));
  EXPECT_EQ(cache.misses(), 4u);
  EXPECT_TRUE(cache.Lookup("a.3").empty());
  EXPECT_EQ(cache.misses(), 4u);
}

TEST(MatchCacheTest, WildcardChangeErasesTheKeysItMatches) {
  Sublist sl;
  MatchCache cache(sl);
  const std::vector<std::string> keys = {"a.1", "a.2", "a.1.x", "b.1", "*.1"};
  for (const auto& k : keys) EXPECT_TRUE(cache.Lookup(k).empty());
  auto star = MakeSub("a.*");
  ASSERT_TRUE(sl.Insert(star));
  cache.Refresh();
  EXPECT_EQ(cache.size(), 3u) << "a.1 and a.2 went; a.1.x, b.1 and the odd '*.1' stay";
  EXPECT_EQ(Plain(cache.Lookup("a.1")), (std::set<const Subscription*>{star.get()}));
  EXPECT_TRUE(cache.Lookup("a.1.x").empty());
  // Publishing to a subject with a '*' token matches '*' subscriptions as the trie does.
  auto one_tok = MakeSub("*.*");
  ASSERT_TRUE(sl.Insert(one_tok));
  EXPECT_EQ(Plain(cache.Lookup("*.1")), (std::set<const Subscription*>{one_tok.get()}));
  EXPECT_EQ(cache.clears(), 0u);
  for (const auto& k : keys) EXPECT_EQ(Plain(cache.Lookup(k)), Plain(*sl.Match(k))) << k;
}

TEST(MatchCacheTest, LaggingPastTheLogOrABatchDropsEverything) {
  Sublist sl;
  MatchCache cache(sl);
  cache.Lookup("k");
  auto churn = MakeSub("elsewhere");
  for (size_t i = 0; i < Sublist::kChangeLogSize; ++i) {
    ASSERT_TRUE(sl.Insert(churn));
    ASSERT_TRUE(sl.Remove(*churn));
  }
  auto k = MakeSub("k");
  ASSERT_TRUE(sl.Insert(k));
  EXPECT_EQ(Plain(cache.Lookup("k")), (std::set<const Subscription*>{k.get()}));
  EXPECT_EQ(cache.clears(), 1u);

  cache.Lookup("j");
  std::vector<SubscriptionPtr> batch = {MakeSub("other")};
  sl.InsertBatch(batch);
  cache.Lookup("k");
  EXPECT_EQ(cache.clears(), 2u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(MatchCacheTest, ManyWildcardChangesClearInsteadOfScanning) {
  Sublist sl;
  MatchCache cache(sl);
  cache.Lookup("x.1");
  std::vector<SubscriptionPtr> subs;
  auto twice = MakeSub("w.*");
  for (size_t i = 0; i < 2 * MatchCache::kMaxScanPatterns; ++i) {
    ASSERT_TRUE(sl.Insert(twice));
    ASSERT_TRUE(sl.Remove(*twice));
  }
  cache.Lookup("x.1");
  EXPECT_EQ(cache.clears(), 0u) << "one pattern changing many times is one scan";
  for (size_t i = 0; i <= MatchCache::kMaxScanPatterns; ++i) {
    subs.push_back(MakeSub("w" + std::to_string(i) + ".*"));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  cache.Lookup("x.1");
  EXPECT_EQ(cache.clears(), 1u);
}

TEST(MatchCacheTest, BoundedInBytes) {
  Sublist sl;
  std::vector<SubscriptionPtr> subs;
  for (int i = 0; i < 1000; ++i) {
    subs.push_back(MakeSub("fan.*"));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  const size_t one = sl.Match("fan.0")->bytes;
  ASSERT_GT(one, 1000 * sizeof(SubscriptionPtr));
  MatchCache cache(sl, 8192, 3 * one + 1024);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(cache.Lookup("fan." + std::to_string(i)).plain.size(), 1000u);
    ASSERT_LE(cache.bytes(), cache.max_bytes());
  }
  EXPECT_EQ(cache.size(), 3u);
  // A result larger than the whole bound is answered, just not kept.
  MatchCache tiny(sl, 8192, one / 2);
  EXPECT_EQ(tiny.Lookup("fan.x").plain.size(), 1000u);
  EXPECT_EQ(tiny.size(), 0u);
  EXPECT_EQ(tiny.bytes(), 0u);
}

TEST(MatchCacheTest, RefreshReleasesRemovedSubscriptions) {
  Sublist sl;
  auto a = MakeSub("foo");
  ASSERT_TRUE(sl.Insert(a));
  MatchCache cache(sl);
  cache.Lookup("foo");
  ASSERT_TRUE(sl.Remove(*a));
  std::weak_ptr<Subscription> weak = a;
  a.reset();
  EXPECT_FALSE(weak.expired());  // the cached result still holds it
  cache.Refresh();
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(MatchCacheTest, CapacityBound) {
  Sublist sl;
  auto all = MakeSub("s.*");
  ASSERT_TRUE(sl.Insert(all));
  MatchCache cache(sl, 16);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      const MatchResult& r = cache.Lookup("s." + std::to_string(i));
      ASSERT_EQ(r.plain.size(), 1u);
      ASSERT_LE(cache.size(), 16u);
    }
  }
  EXPECT_EQ(cache.size(), 16u);
  EXPECT_EQ(cache.hits() + cache.misses(), 600u);
  // A hot subject looked up back to back always hits the second time.
  cache.Lookup("hot");
  size_t hits = cache.hits();
  cache.Lookup("hot");
  EXPECT_EQ(cache.hits(), hits + 1);
}

TEST(MatchCacheTest, CapacityZeroDisablesCaching) {
  Sublist sl;
  auto a = MakeSub("foo");
  ASSERT_TRUE(sl.Insert(a));
  MatchCache cache(sl, 0);
  EXPECT_EQ(cache.Lookup("foo").plain.size(), 1u);
  EXPECT_EQ(cache.Lookup("foo").plain.size(), 1u);
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

// Four workers publish through their own caches while a fifth thread churns
// subscriptions. Every result must be internally consistent: the permanent
// subscriptions always present, every returned subscription matching the
// subject. Run under ThreadSanitizer too (build with -DTERN_SANITIZE=thread).
TEST(MatchCacheTest, ConcurrentLookupsDuringChurn) {
  Sublist sl;
  std::vector<SubscriptionPtr> permanent = {MakeSub(">"), MakeSub("t.*"), MakeSub("t.*", "q")};
  for (auto& s : permanent) ASSERT_TRUE(sl.Insert(s));
  const std::vector<std::string> subjects = {"t.0", "t.1", "t.2", "t.3", "t.4", "t.5", "t.6", "t.7"};
  auto last = MakeSub("t.*");

  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> lookups{0};
  std::vector<std::thread> readers;
  for (int w = 0; w < 4; ++w) {
    readers.emplace_back([&, w] {
      MatchCache cache(sl, w < 2 ? 4 : 64);  // two small ones, so eviction runs too
      size_t i = w;
      uint64_t n = 0;
      ready.fetch_add(1);
      while (!stop.load(std::memory_order_relaxed) || n < 1000) {
        const std::string& subject = subjects[i++ % subjects.size()];
        const MatchResult& r = cache.Lookup(subject);
        bool has_all = false, has_t = false;
        for (const auto& s : r.plain) {
          if (!SubjectMatches(s->subject, subject)) failures.fetch_add(1);
          has_all |= s.get() == permanent[0].get();
          has_t |= s.get() == permanent[1].get();
        }
        const QueueGroupMatch* q = nullptr;
        for (const auto& g : r.groups) {
          if (g.name == "q") q = &g;
          for (const auto& m : g.members) {
            if (!SubjectMatches(m->subject, subject) || m->queue != g.name) failures.fetch_add(1);
          }
        }
        if (!has_all || !has_t || q == nullptr) failures.fetch_add(1);
        if (++n % 64 == 0) lookups.fetch_add(64, std::memory_order_relaxed);
      }
      // The churn is over (stop is set after the writer joined): this
      // worker's long-lived cache must now agree with the index exactly.
      for (const std::string& subject : subjects) {
        MatchResultPtr fresh = sl.Match(subject);
        const MatchResult& cached = cache.Lookup(subject);
        if (Plain(cached) != Plain(*fresh) || cached.groups.size() != fresh->groups.size()) failures.fetch_add(1);
      }
    });
  }

  std::thread writer([&] {
    std::mt19937 rng(1);
    std::vector<SubscriptionPtr> live;
    while (ready.load() < 4) std::this_thread::yield();
    // Churn while the readers make progress: at least 3000 changes and 20000
    // lookups, bounded in changes either way.
    for (int i = 0; i < 3000 || (lookups.load(std::memory_order_relaxed) < 20000 && i < 1000000); ++i) {
      if (live.size() < 20 && rng() % 3 != 0) {
        std::string subject = subjects[rng() % subjects.size()];
        if (rng() % 4 == 0) subject = "t.>";
        std::string queue = rng() % 3 == 0 ? "q" : (rng() % 5 == 0 ? "r" : "");
        live.push_back(MakeSub(subject, queue));
        sl.Insert(live.back());
      } else if (!live.empty()) {
        size_t k = rng() % live.size();
        sl.Remove(*live[k]);
        live.erase(live.begin() + k);
      }
      if (i % 128 == 0) std::this_thread::yield();
    }
    for (auto& s : live) sl.Remove(*s);
    // End in a state no reader saw during the churn, so a cache that missed
    // an invalidation shows in the final check below.
    sl.Insert(last);
  });
  writer.join();
  stop.store(true);
  for (auto& t : readers) t.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(lookups.load(), 3000u);
  EXPECT_EQ(sl.count(), permanent.size() + 1);
  MatchCache cache(sl);
  EXPECT_EQ(Plain(cache.Lookup("t.3")),
            (std::set<const Subscription*>{permanent[0].get(), permanent[1].get(), last.get()}));
}

// Readers cache a hot set while a writer churns interest on related and
// unrelated subjects, literal and wildcard, so catch-ups erase some entries
// and keep others. Once the churn stops, every reader's cache must agree with
// the index exactly: an entry that survived a change it should not have
// shows here.
TEST(MatchCacheTest, ScopedInvalidationStaysExactUnderChurn) {
  Sublist sl;
  std::vector<std::string> subjects;
  for (int i = 0; i < 16; ++i) {
    subjects.push_back("a." + std::to_string(i));
    subjects.push_back("b." + std::to_string(i) + ".x");
  }
  const std::vector<std::string> patterns = {"a.3", "a.7", "b.5.x", "a.*", "b.>", "*.9", "b.*.x", ">", "c.1", "c.*"};
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int w = 0; w < 2; ++w) {
    readers.emplace_back([&, w] {
      MatchCache cache(sl, w == 0 ? 24 : 4096);  // one small enough to evict
      ready.fetch_add(1);
      size_t i = w;
      while (!stop.load(std::memory_order_acquire)) {
        const std::string& subject = subjects[i++ % subjects.size()];
        for (const auto& s : cache.Lookup(subject).plain) {
          if (!SubjectMatches(s->subject, subject)) failures.fetch_add(1);
        }
      }
      for (const std::string& subject : subjects) {
        const MatchResult& cached = cache.Lookup(subject);
        MatchResultPtr fresh = sl.Match(subject);
        if (Plain(cached) != Plain(*fresh)) failures.fetch_add(1);
        std::set<const Subscription*> cq, fq;
        for (const auto& g : cached.groups) cq.merge(Members(&g));
        for (const auto& g : fresh->groups) fq.merge(Members(&g));
        if (cq != fq) failures.fetch_add(1);
      }
    });
  }
  std::mt19937 rng(3);
  std::vector<SubscriptionPtr> live;
  while (ready.load() < 2) std::this_thread::yield();
  for (int i = 0; i < 20000; ++i) {
    if (live.size() < 30 && rng() % 2 == 0) {
      live.push_back(MakeSub(patterns[rng() % patterns.size()], rng() % 4 == 0 ? "q" : ""));
      sl.Insert(live.back());
    } else if (!live.empty()) {
      size_t k = rng() % live.size();
      sl.Remove(*live[k]);
      live.erase(live.begin() + k);
    }
    if (i % 64 == 0) std::this_thread::yield();
  }
  stop.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(SubjectHashTest, SpreadsSubjectsOfEveryLength) {
  SubjectHash hash(42);
  std::set<size_t> seen;
  const std::string long_subject = "synadia.nats.jetstream.nkeys.jwt.deny.auth.drain";
  for (size_t n = 0; n <= long_subject.size(); ++n) seen.insert(hash(std::string_view(long_subject).substr(0, n)));
  EXPECT_EQ(seen.size(), long_subject.size() + 1) << "every prefix length hashes apart (the tail loads overlap)";
  seen.clear();
  for (int i = 0; i < 100000; ++i) seen.insert(hash("device." + std::to_string(i) + ".events"));
  EXPECT_EQ(seen.size(), 100000u);
  EXPECT_EQ(hash("same.subject"), hash(std::string("same.subject")));
  EXPECT_NE(SubjectHash(1)("same.subject"), SubjectHash(2)("same.subject")) << "seeded";
}

}  // namespace
}  // namespace tern::core
