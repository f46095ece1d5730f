#include "core/sublist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sublist_testing.h"
#include "core/test_sink.h"
#include "proto/subject.h"

namespace tern::core {
namespace {

using proto::IsValidLiteralSubject;
using proto::IsValidSubject;
using proto::SubjectMatches;

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

TEST(SublistTest, InsertReportsFirstAndRemoveReportsLast) {
  Sublist sl;
  auto a1 = MakeSub("foo");
  auto a2 = MakeSub("foo");
  auto q1 = MakeSub("foo", "g");
  auto q2 = MakeSub("foo", "g");
  auto h1 = MakeSub("foo", "h");
  bool first = false;
  ASSERT_TRUE(sl.Insert(a1, &first));
  EXPECT_TRUE(first);
  ASSERT_TRUE(sl.Insert(a2, &first));
  EXPECT_FALSE(first);
  EXPECT_FALSE(sl.Insert(a2, &first));
  EXPECT_FALSE(first) << "a duplicate changes nothing";
  // (subject, queue) pairs are counted apart: plain interest says nothing of g's.
  ASSERT_TRUE(sl.Insert(q1, &first));
  EXPECT_TRUE(first);
  ASSERT_TRUE(sl.Insert(q2, &first));
  EXPECT_FALSE(first);
  ASSERT_TRUE(sl.Insert(h1, &first));
  EXPECT_TRUE(first);

  bool last = true;
  ASSERT_TRUE(sl.Remove(*a1, &last));
  EXPECT_FALSE(last);
  ASSERT_TRUE(sl.Remove(*q1, &last));
  EXPECT_FALSE(last);
  ASSERT_TRUE(sl.Remove(*q2, &last));
  EXPECT_TRUE(last);
  EXPECT_FALSE(sl.Remove(*q2, &last));
  EXPECT_FALSE(last);
  ASSERT_TRUE(sl.Remove(*a2, &last));
  EXPECT_TRUE(last);
  ASSERT_TRUE(sl.Remove(*h1, &last));
  EXPECT_TRUE(last);
  EXPECT_EQ(sl.node_count(), 0u);
}

TEST(SublistTest, RouteInterestIsKeptApartAndOnePerRoute) {
  Sublist sl;
  auto local = std::make_shared<RecordingSink>(1);
  auto route_a = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto route_b = std::make_shared<RecordingSink>(3, /*route=*/true);
  auto mine = MakeSub(local, "orders.new", "1");
  auto a_star = MakeSub(route_a, "orders.*", "a1");
  auto a_all = MakeSub(route_a, "orders.>", "a2");
  auto b_lit = MakeSub(route_b, "orders.new", "b1");
  bool first = false;
  ASSERT_TRUE(sl.Insert(mine, &first));
  EXPECT_TRUE(first);
  ASSERT_TRUE(sl.Insert(a_star, &first));
  EXPECT_TRUE(first);
  ASSERT_TRUE(sl.Insert(a_all, &first));
  ASSERT_TRUE(sl.Insert(b_lit, &first));
  EXPECT_TRUE(first) << "route interest is counted apart from the local subscription beside it";

  MatchResultPtr r = sl.Match("orders.new");
  EXPECT_EQ(Plain(*r), (std::set<const Subscription*>{mine.get()}));
  ASSERT_EQ(r->routes.size(), 2u) << "two matching subscriptions of route a, one entry";
  std::set<const Sink*> sinks;
  for (const auto& s : r->routes) sinks.insert(s->sink.get());
  EXPECT_EQ(sinks, (std::set<const Sink*>{route_a.get(), route_b.get()}));
  EXPECT_TRUE(sl.HasInterest("orders.x")) << "route interest is interest";

  bool last = false;
  ASSERT_TRUE(sl.Remove(*b_lit, &last));
  EXPECT_TRUE(last);
  ASSERT_TRUE(sl.Remove(*mine, &last));
  EXPECT_TRUE(last) << "local interest is gone though routes still listen";
  r = sl.Match("orders.new");
  EXPECT_TRUE(r->plain.empty());
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0]->sink, route_a);
  ASSERT_TRUE(sl.Remove(*a_star));
  ASSERT_TRUE(sl.Remove(*a_all));
  EXPECT_EQ(sl.node_count(), 0u);
}

TEST(SublistTest, QueueMembersListLocalOnesFirst) {
  Sublist sl;
  auto local = std::make_shared<RecordingSink>(1);
  auto route = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto r1 = MakeSub(route, "jobs.*", "r1", "w");
  auto l1 = MakeSub(local, "jobs.*", "l1", "w");
  auto r2 = MakeSub(route, "jobs.>", "r2", "w");
  auto l2 = MakeSub(local, "jobs.>", "l2", "w");
  for (auto& s : {r1, l1, r2, l2}) ASSERT_TRUE(sl.Insert(s));
  MatchResultPtr r = sl.Match("jobs.x");
  const QueueGroupMatch* g = Group(*r, "w");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->members.size(), 4u);
  ASSERT_EQ(g->local, 2u);
  EXPECT_EQ((std::set<const Subscription*>{g->members[0].get(), g->members[1].get()}),
            (std::set<const Subscription*>{l1.get(), l2.get()}));
  EXPECT_TRUE(r->routes.empty()) << "queue interest of a route is not plain route interest";
}

TEST(SublistTest, QueueCursorBelongsToTheGroupAtItsNode) {
  Sublist sl;
  auto a = MakeSub("work", "g");
  auto b = MakeSub("work", "g");
  auto other_subject = MakeSub("play", "g");
  for (auto& s : {a, b, other_subject}) ASSERT_TRUE(sl.Insert(s));
  MatchResultPtr first = sl.Match("work");
  auto c = MakeSub("work", "g");
  ASSERT_TRUE(sl.Insert(c));
  MatchResultPtr second = sl.Match("work");
  ASSERT_NE(Group(*first, "g")->cursor, nullptr);
  EXPECT_EQ(Group(*first, "g")->cursor, Group(*second, "g")->cursor) << "member changes keep the group's turn";
  EXPECT_NE(Group(*sl.Match("play"), "g")->cursor, Group(*second, "g")->cursor)
      << "the same queue name on another subject is another group";
}

TEST(SublistTest, InsertBatchIsOneStep) {
  Sublist sl;
  auto existing = MakeSub("a");
  ASSERT_TRUE(sl.Insert(existing));
  const uint64_t before = sl.generation();
  std::vector<SubscriptionPtr> batch = {MakeSub("a"), MakeSub("b"),     MakeSub("b"), MakeSub("bad..subject"),
                                        existing,     MakeSub("c", "q")};
  std::vector<InterestChange> changes;
  EXPECT_EQ(sl.InsertBatch(batch, &changes), 4u);
  EXPECT_EQ(sl.generation(), before + 1);
  EXPECT_EQ(sl.count(), 5u);
  ASSERT_EQ(changes.size(), batch.size());
  EXPECT_TRUE(changes[0].changed);
  EXPECT_FALSE(changes[0].first_or_last) << "'a' had interest already";
  EXPECT_TRUE(changes[1].changed && changes[1].first_or_last);
  EXPECT_TRUE(changes[2].changed && !changes[2].first_or_last);
  EXPECT_FALSE(changes[3].changed) << "invalid";
  EXPECT_FALSE(changes[4].changed) << "already inserted";
  EXPECT_TRUE(changes[5].changed && changes[5].first_or_last);
  EXPECT_EQ(sl.InsertBatch({}), 0u);
  EXPECT_EQ(sl.generation(), before + 1) << "an empty batch changes nothing";
}

TEST(SublistTest, ChangesSinceNamesEachChangedSubject) {
  Sublist sl;
  const uint64_t g0 = sl.generation();
  auto lit = MakeSub("a.b");
  auto wild = MakeSub("a.*");
  ASSERT_TRUE(sl.Insert(lit));
  ASSERT_TRUE(sl.Insert(wild));
  ASSERT_TRUE(sl.Remove(*lit));
  ChangeSet changes;
  EXPECT_EQ(sl.ChangesSince(g0, &changes), g0 + 3);
  EXPECT_FALSE(changes.reset());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes.subject(0), "a.b");
  EXPECT_FALSE(changes.wildcard(0));
  EXPECT_EQ(changes.subject(1), "a.*");
  EXPECT_TRUE(changes.wildcard(1));
  EXPECT_EQ(changes.subject(2), "a.b");
  EXPECT_EQ(changes.wildcards(), 1u);
  EXPECT_EQ(sl.ChangesSince(g0 + 3, &changes), g0 + 3);
  EXPECT_EQ(changes.size(), 0u);

  // The miss path's variant: the changes come with the match, under one lock.
  ASSERT_TRUE(sl.Insert(lit));
  uint64_t generation = 0;
  MatchResultPtr r = sl.Match("a.b", g0 + 3, &changes, &generation);
  EXPECT_EQ(generation, g0 + 4);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes.subject(0), "a.b");
  EXPECT_EQ(r->plain.size(), 2u);

  // Further back than the log reaches, or across a batch: everything.
  for (size_t i = 0; i < Sublist::kChangeLogSize; ++i) {
    ASSERT_TRUE(sl.Remove(*lit));
    ASSERT_TRUE(sl.Insert(lit));
  }
  sl.ChangesSince(g0, &changes);
  EXPECT_TRUE(changes.reset());
  const uint64_t g1 = sl.generation();
  std::vector<SubscriptionPtr> batch = {MakeSub("x")};
  sl.InsertBatch(batch);
  sl.ChangesSince(g1, &changes);
  EXPECT_TRUE(changes.reset());
}

}  // namespace
}  // namespace tern::core

namespace tern::core {
namespace {

TEST(SublistLocalInterestTest, CountsExactlyAndSkipsRoutesAndTheExcepted) {
  Sublist sl;
  auto local = std::make_shared<RecordingSink>(1);
  auto other = std::make_shared<RecordingSink>(2);
  auto route = std::make_shared<RecordingSink>(3, /*route=*/true);
  for (auto& s : {MakeSub(local, "a.b", "1"), MakeSub(other, "a.b", "2"), MakeSub(local, "a.*", "3"),
                  MakeSub(local, "a.>", "4", "q"), MakeSub(other, "a.>", "5", "q"), MakeSub(route, "a.b", "6"),
                  MakeSub(route, "a.>", "7", "q"), MakeSub(route, "z", "8")}) {
    ASSERT_TRUE(sl.Insert(s));
  }
  EXPECT_EQ(sl.LocalCount("a.b", ""), 2u);
  EXPECT_EQ(sl.LocalCount("a.b", "", other.get()), 1u);
  EXPECT_EQ(sl.LocalCount("a.*", ""), 1u);  // the wildcard subscription itself, not what it matches
  EXPECT_EQ(sl.LocalCount("a.c", ""), 0u);
  EXPECT_EQ(sl.LocalCount("a.>", "q"), 2u);
  EXPECT_EQ(sl.LocalCount("a.>", ""), 0u);
  EXPECT_EQ(sl.LocalCount("z", ""), 0u);  // route interest is not local
  EXPECT_EQ(sl.LocalCount("a..b", ""), 0u);

  std::set<std::string> seen;
  sl.ForEachLocal(other.get(), [&](std::string_view subject, std::string_view queue, size_t n) {
    seen.insert(std::string(subject) + "|" + std::string(queue) + "|" + std::to_string(n));
  });
  EXPECT_EQ(seen, (std::set<std::string>{"a.b||1", "a.*||1", "a.>|q|1"}));
}

}  // namespace
}  // namespace tern::core
