#include "core/sublist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proto/subject.h"

namespace tern::core {
namespace {

using proto::IsValidLiteralSubject;
using proto::IsValidSubject;
using proto::SubjectMatches;

SubscriptionPtr MakeSub(std::string subject, std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  return sub;
}

std::set<const Subscription*> Plain(const MatchResult& r) {
  std::set<const Subscription*> out;
  for (const auto& s : r.plain) out.insert(s.get());
  EXPECT_EQ(out.size(), r.plain.size()) << "duplicate in plain";
  return out;
}

const QueueGroupMatch* Group(const MatchResult& r, std::string_view name) {
  const QueueGroupMatch* found = nullptr;
  for (const auto& g : r.groups) {
    if (g.name == name) {
      EXPECT_EQ(found, nullptr) << "queue group listed twice: " << name;
      found = &g;
    }
  }
  return found;
}

std::set<const Subscription*> Members(const QueueGroupMatch* g) {
  std::set<const Subscription*> out;
  if (g == nullptr) return out;
  for (const auto& s : g->members) out.insert(s.get());
  EXPECT_EQ(out.size(), g->members.size()) << "duplicate member";
  return out;
}

TEST(SublistTest, Literal) {
  Sublist sl;
  auto a = MakeSub("foo.bar");
  auto b = MakeSub("foo");
  EXPECT_TRUE(sl.Insert(a));
  EXPECT_TRUE(sl.Insert(b));
  EXPECT_EQ(sl.count(), 2u);
  EXPECT_EQ(Plain(*sl.Match("foo.bar")), (std::set<const Subscription*>{a.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo")), (std::set<const Subscription*>{b.get()}));
  EXPECT_TRUE(sl.Match("foo.bar.baz")->empty());
  EXPECT_TRUE(sl.Match("bar")->empty());
  EXPECT_TRUE(sl.Match("foo.ba")->empty());
}

TEST(SublistTest, PartialWildcard) {
  Sublist sl;
  auto star = MakeSub("foo.*");
  auto lead = MakeSub("*.bar");
  auto mid = MakeSub("a.*.c");
  auto one = MakeSub("*");
  for (auto& s : {star, lead, mid, one}) ASSERT_TRUE(sl.Insert(s));
  EXPECT_EQ(Plain(*sl.Match("foo.bar")), (std::set<const Subscription*>{star.get(), lead.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo.baz")), (std::set<const Subscription*>{star.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo")), (std::set<const Subscription*>{one.get()}));
  EXPECT_EQ(Plain(*sl.Match("a.b.c")), (std::set<const Subscription*>{mid.get()}));
  EXPECT_TRUE(sl.Match("a.b.c.d")->empty());
  EXPECT_TRUE(sl.Match("foo.bar.baz")->empty());
}

TEST(SublistTest, FullWildcard) {
  Sublist sl;
  auto all = MakeSub(">");
  auto foo = MakeSub("foo.>");
  auto deep = MakeSub("foo.bar.>");
  for (auto& s : {all, foo, deep}) ASSERT_TRUE(sl.Insert(s));
  EXPECT_EQ(Plain(*sl.Match("foo")), (std::set<const Subscription*>{all.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo.bar")), (std::set<const Subscription*>{all.get(), foo.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo.bar.baz")), (std::set<const Subscription*>{all.get(), foo.get(), deep.get()}));
  EXPECT_EQ(Plain(*sl.Match("foo.bar.baz.qux")), (std::set<const Subscription*>{all.get(), foo.get(), deep.get()}));
  EXPECT_EQ(Plain(*sl.Match("bar.baz")), (std::set<const Subscription*>{all.get()}));
}

TEST(SublistTest, InvalidSubjectsAreRejectedAndMatchNothing) {
  Sublist sl;
  for (const char* bad : {"", "foo..bar", ".foo", "foo.", "foo.>.bar", "foo bar", ">.x"}) {
    EXPECT_FALSE(sl.Insert(MakeSub(bad))) << bad;
  }
  EXPECT_FALSE(sl.Insert(MakeSub("foo", "bad queue")));
  EXPECT_FALSE(sl.Insert(nullptr));
  EXPECT_EQ(sl.count(), 0u);
  EXPECT_EQ(sl.generation(), 0u);

  ASSERT_TRUE(sl.Insert(MakeSub(">")));
  ASSERT_TRUE(sl.Insert(MakeSub("*.*")));
  for (const char* bad : {"", "foo..bar", ".foo", "foo.", ".", ".."}) {
    EXPECT_TRUE(sl.Match(bad)->empty()) << bad;
    EXPECT_FALSE(sl.HasInterest(bad)) << bad;
  }
}

// Every subscription pattern over a small alphabet against every subject over
// it, checked against SubjectMatches (which has its own table test).
TEST(SublistTest, MixedAgreesWithSubjectMatches) {
  std::vector<std::string> subjects;
  std::vector<std::string> patterns;
  std::vector<std::string> level = {""};
  for (int depth = 1; depth <= 3; ++depth) {
    std::vector<std::string> next;
    for (const auto& prefix : level) {
      for (const auto& t : {"a", "b", "c", "*", ">"}) {
        std::string s = prefix.empty() ? std::string(t) : prefix + "." + t;
        if (!IsValidSubject(s)) continue;
        patterns.push_back(s);
        if (std::string_view(t) != ">") next.push_back(s);
        if (IsValidLiteralSubject(s)) subjects.push_back(s);
      }
    }
    level = std::move(next);
  }
  Sublist sl;
  std::vector<SubscriptionPtr> subs;
  for (const auto& p : patterns) {
    subs.push_back(MakeSub(p));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  EXPECT_EQ(sl.count(), patterns.size());
  for (const auto& subject : subjects) {
    std::set<const Subscription*> want;
    for (const auto& s : subs) {
      if (SubjectMatches(s->subject, subject)) want.insert(s.get());
    }
    EXPECT_EQ(Plain(*sl.Match(subject)), want) << subject;
    EXPECT_EQ(sl.HasInterest(subject), !want.empty()) << subject;
  }
}

TEST(SublistTest, QueueGroupsAcrossNodes) {
  Sublist sl;
  auto plain1 = MakeSub("orders.new");
  auto plain2 = MakeSub("orders.*");
  auto a1 = MakeSub("orders.new", "A");
  auto a2 = MakeSub("orders.new", "A");
  auto a3 = MakeSub("orders.*", "A");
  auto a4 = MakeSub("orders.>", "A");
  auto b1 = MakeSub("orders.>", "B");
  auto b2 = MakeSub("*.new", "B");
  auto c1 = MakeSub("orders.new", "C");
  auto d1 = MakeSub("orders.old", "D");  // does not match
  for (auto& s : {plain1, plain2, a1, a2, a3, a4, b1, b2, c1, d1}) ASSERT_TRUE(sl.Insert(s));
  EXPECT_EQ(sl.count(), 10u);

  MatchResultPtr r = sl.Match("orders.new");
  EXPECT_EQ(Plain(*r), (std::set<const Subscription*>{plain1.get(), plain2.get()}));
  EXPECT_EQ(r->groups.size(), 3u);
  EXPECT_EQ(Members(Group(*r, "A")), (std::set<const Subscription*>{a1.get(), a2.get(), a3.get(), a4.get()}));
  EXPECT_EQ(Members(Group(*r, "B")), (std::set<const Subscription*>{b1.get(), b2.get()}));
  EXPECT_EQ(Members(Group(*r, "C")), (std::set<const Subscription*>{c1.get()}));
  EXPECT_EQ(Group(*r, "D"), nullptr);

  // Queue members are not plain subscribers and vice versa.
  r = sl.Match("orders.old");
  EXPECT_EQ(Plain(*r), (std::set<const Subscription*>{plain2.get()}));
  EXPECT_EQ(Members(Group(*r, "A")), (std::set<const Subscription*>{a3.get(), a4.get()}));
  EXPECT_EQ(Members(Group(*r, "D")), (std::set<const Subscription*>{d1.get()}));
  EXPECT_EQ(Group(*r, "C"), nullptr);

  // Removing members shrinks groups; an emptied group disappears.
  EXPECT_TRUE(sl.Remove(*c1));
  EXPECT_TRUE(sl.Remove(*a1));
  EXPECT_FALSE(sl.Remove(*a1));
  r = sl.Match("orders.new");
  EXPECT_EQ(Group(*r, "C"), nullptr);
  EXPECT_EQ(Members(Group(*r, "A")), (std::set<const Subscription*>{a2.get(), a3.get(), a4.get()}));
  EXPECT_EQ(sl.count(), 8u);
}

TEST(SublistTest, RemoveFindsBySubjectQueueAndIdentity) {
  Sublist sl;
  auto s = MakeSub("foo.bar", "q");
  ASSERT_TRUE(sl.Insert(s));
  EXPECT_FALSE(sl.Remove(*MakeSub("foo.bar", "q")));  // same fields, other object
  EXPECT_FALSE(sl.Remove(*MakeSub("foo.bar")));
  auto wrong_queue = MakeSub("foo.bar", "p");
  EXPECT_FALSE(sl.Remove(*wrong_queue));
  EXPECT_FALSE(sl.Remove(*MakeSub("foo.bar.baz", "q")));
  EXPECT_FALSE(sl.Remove(*MakeSub("foo", "q")));
  EXPECT_FALSE(sl.Remove(*MakeSub("", "q")));
  EXPECT_EQ(sl.count(), 1u);
  EXPECT_TRUE(sl.Remove(*s));
  EXPECT_EQ(sl.count(), 0u);
}

TEST(SublistTest, RemovePrunesEmptyNodes) {
  Sublist sl;
  EXPECT_EQ(sl.node_count(), 0u);
  auto deep = MakeSub("a.b.c.d");
  auto mid = MakeSub("a.b");
  auto wc = MakeSub("a.*.c.>");
  auto q = MakeSub("a.b.c.d", "g");
  ASSERT_TRUE(sl.Insert(deep));
  EXPECT_EQ(sl.node_count(), 4u);
  ASSERT_TRUE(sl.Insert(mid));
  EXPECT_EQ(sl.node_count(), 4u);  // shares a, b
  ASSERT_TRUE(sl.Insert(wc));
  EXPECT_EQ(sl.node_count(), 7u);  // a, b, c, d, *, c, >
  ASSERT_TRUE(sl.Insert(q));
  EXPECT_EQ(sl.node_count(), 7u);
  EXPECT_EQ(sl.count(), 4u);

  EXPECT_TRUE(sl.Remove(*deep));
  EXPECT_EQ(sl.node_count(), 7u);  // the queue sub still holds a.b.c.d
  EXPECT_TRUE(sl.Remove(*q));
  EXPECT_EQ(sl.node_count(), 5u);  // c and d pruned; a.b stays for `mid`
  EXPECT_TRUE(sl.Remove(*wc));
  EXPECT_EQ(sl.node_count(), 2u);
  EXPECT_TRUE(sl.Match("a.x.c.y")->empty());
  EXPECT_TRUE(sl.Remove(*mid));
  EXPECT_EQ(sl.node_count(), 0u);
  EXPECT_EQ(sl.count(), 0u);

  // A fresh insert after full pruning works.
  ASSERT_TRUE(sl.Insert(deep));
  EXPECT_EQ(Plain(*sl.Match("a.b.c.d")), (std::set<const Subscription*>{deep.get()}));
}

TEST(SublistTest, SameSubscriptionTwice) {
  Sublist sl;
  auto s = MakeSub("foo.*");
  auto q = MakeSub("foo.*", "g");
  EXPECT_TRUE(sl.Insert(s));
  uint64_t gen = sl.generation();
  EXPECT_FALSE(sl.Insert(s));
  EXPECT_EQ(sl.generation(), gen);  // nothing changed, caches stay warm
  EXPECT_TRUE(sl.Insert(q));
  EXPECT_FALSE(sl.Insert(q));
  EXPECT_EQ(sl.count(), 2u);
  MatchResultPtr r = sl.Match("foo.x");
  EXPECT_EQ(r->plain.size(), 1u);
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->groups[0].members.size(), 1u);
  EXPECT_TRUE(sl.Remove(*s));
  EXPECT_FALSE(sl.Remove(*s));
  EXPECT_TRUE(sl.Remove(*q));
  EXPECT_TRUE(sl.Match("foo.x")->empty());
  EXPECT_EQ(sl.count(), 0u);
}

TEST(SublistTest, ManySubscribersOnOneSubject) {
  // Crosses the point where a node indexes its members, both ways.
  Sublist sl;
  std::vector<SubscriptionPtr> subs;
  for (int i = 0; i < 1000; ++i) {
    subs.push_back(MakeSub("fan.out", i % 2 ? "workers" : ""));
    ASSERT_TRUE(sl.Insert(subs.back()));
  }
  for (const auto& s : subs) EXPECT_FALSE(sl.Insert(s));
  MatchResultPtr r = sl.Match("fan.out");
  EXPECT_EQ(r->plain.size(), 500u);
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->groups[0].members.size(), 500u);
  // Remove in a scattered order, checking membership as it shrinks.
  std::mt19937 rng(7);
  std::shuffle(subs.begin(), subs.end(), rng);
  for (size_t i = 0; i < subs.size(); ++i) {
    ASSERT_TRUE(sl.Remove(*subs[i]));
    ASSERT_FALSE(sl.Remove(*subs[i]));
    if (i % 97 == 0 || i + 3 > subs.size()) {
      r = sl.Match("fan.out");
      std::set<const Subscription*> want;
      for (size_t j = i + 1; j < subs.size(); ++j) want.insert(subs[j].get());
      std::set<const Subscription*> got = Plain(*r);
      for (const auto& g : r->groups) {
        for (const auto& m : g.members) got.insert(m.get());
      }
      ASSERT_EQ(got, want) << "after removing " << i + 1;
    }
  }
  EXPECT_EQ(sl.count(), 0u);
  EXPECT_EQ(sl.node_count(), 0u);
}

TEST(SublistTest, GenerationMovesOnEveryChange) {
  Sublist sl;
  auto s = MakeSub("x");
  uint64_t g0 = sl.generation();
  ASSERT_TRUE(sl.Insert(s));
  uint64_t g1 = sl.generation();
  EXPECT_GT(g1, g0);
  ASSERT_TRUE(sl.Remove(*s));
  EXPECT_GT(sl.generation(), g1);
  uint64_t g2 = sl.generation();
  EXPECT_FALSE(sl.Remove(*s));
  EXPECT_EQ(sl.generation(), g2);
  uint64_t reported = 0;
  sl.Match("x", &reported);
  EXPECT_EQ(reported, g2);
}

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

TEST(MatchCacheTest, InvalidatedByNonMatchingChange) {
  // Wholesale invalidation: a change anywhere drops every entry. The result
  // stays right; the cost is one miss.
  Sublist sl;
  auto a = MakeSub("foo.bar");
  ASSERT_TRUE(sl.Insert(a));
  MatchCache cache(sl);
  cache.Lookup("foo.bar");
  cache.Lookup("foo.bar");
  EXPECT_EQ(cache.hits(), 1u);

  auto other = MakeSub("unrelated.subject");
  ASSERT_TRUE(sl.Insert(other));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{a.get()}));
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 1u);

  ASSERT_TRUE(sl.Remove(*other));
  EXPECT_EQ(Plain(cache.Lookup("foo.bar")), (std::set<const Subscription*>{a.get()}));
  EXPECT_EQ(cache.misses(), 3u);
  cache.Lookup("foo.bar");
  EXPECT_EQ(cache.hits(), 2u);
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

}  // namespace
}  // namespace tern::core
