#include "core/permissions.h"

#include <gtest/gtest.h>

namespace tern::core {
namespace {

PermissionsPtr Make(PermissionRules rules) {
  std::string error;
  auto p = Permissions::Compile(rules, &error);
  EXPECT_NE(p, nullptr) << error;
  return p;
}

TEST(PatternSetTest, LiteralsAndWildcards) {
  PatternSet s;
  ASSERT_TRUE(s.Add("foo.bar"));
  ASSERT_TRUE(s.Add("a.*.c"));
  ASSERT_TRUE(s.Add("x.>"));
  EXPECT_TRUE(s.Matches("foo.bar"));
  EXPECT_FALSE(s.Matches("foo"));
  EXPECT_FALSE(s.Matches("foo.bar.baz"));
  EXPECT_TRUE(s.Matches("a.b.c"));
  EXPECT_FALSE(s.Matches("a.b.c.d"));
  EXPECT_TRUE(s.Matches("x.y"));
  EXPECT_TRUE(s.Matches("x.y.z"));
  EXPECT_FALSE(s.Matches("x"));
  EXPECT_FALSE(s.Add("bad..subject"));
  PatternSet all;
  ASSERT_TRUE(all.Add(">"));
  EXPECT_TRUE(all.Matches("anything.at.all"));
}

TEST(PatternSetTest, WildcardSubjectsMatchAsNatsServerDoes) {
  PatternSet s;
  ASSERT_TRUE(s.Add("foo.*"));
  EXPECT_TRUE(s.Matches("foo.*"));
  EXPECT_TRUE(s.Matches("foo.>"));  // `*` takes any one token, `>` included
  PatternSet literal;
  ASSERT_TRUE(literal.Add("foo.bar"));
  EXPECT_FALSE(literal.Matches("foo.*"));
}

TEST(PatternSetTest, QueueEntries) {
  PatternSet s;
  ASSERT_TRUE(s.Add("jobs.* workers"));
  PatternSet::Hit hit = s.Match("jobs.a", "workers");
  EXPECT_FALSE(hit.plain);
  EXPECT_TRUE(hit.has_queues);
  EXPECT_TRUE(hit.queue_match);
  EXPECT_FALSE(s.Match("jobs.a", "others").queue_match);
  PatternSet wild;
  ASSERT_TRUE(wild.Add("jobs.> v1.*"));
  EXPECT_TRUE(wild.Match("jobs.a", "v1.blue").queue_match);
}

TEST(PermissionsTest, DenyWins) {
  PermissionRules r;
  r.publish.allow = {"foo.>"};
  r.publish.deny = {"foo.secret"};
  auto p = Make(r);
  EXPECT_TRUE(p->CanPublish("foo.bar"));
  EXPECT_FALSE(p->CanPublish("foo.secret"));
  EXPECT_FALSE(p->CanPublish("bar"));
  EXPECT_FALSE(p->restricts_subscribe());
  EXPECT_TRUE(p->CanSubscribe("anything", ""));
}

TEST(PermissionsTest, QueueSubscribePermissions) {
  PermissionRules r;
  r.subscribe.allow = {"jobs.* workers", "public.>"};
  auto p = Make(r);
  EXPECT_TRUE(p->CanSubscribe("jobs.a", "workers"));
  EXPECT_FALSE(p->CanSubscribe("jobs.a", ""));
  EXPECT_FALSE(p->CanSubscribe("jobs.a", "others"));
  EXPECT_TRUE(p->CanSubscribe("public.x", ""));
  EXPECT_TRUE(p->CanSubscribe("public.x", "any"));
  PermissionRules d;
  d.subscribe.deny = {"jobs.* spies"};
  auto q = Make(d);
  EXPECT_TRUE(q->CanSubscribe("jobs.a", ""));
  EXPECT_TRUE(q->CanSubscribe("jobs.a", "workers"));
  EXPECT_FALSE(q->CanSubscribe("jobs.a", "spies"));
}

TEST(PermissionsTest, WildcardSubscriptionOverADenyIsFiltered) {
  PermissionRules r;
  r.subscribe.deny = {"foo.secret"};
  auto p = Make(r);
  bool filter = false;
  EXPECT_TRUE(p->CanSubscribe("foo.*", "", &filter));
  EXPECT_TRUE(filter);
  EXPECT_TRUE(p->DeniesDelivery("foo.secret"));
  EXPECT_FALSE(p->DeniesDelivery("foo.open"));
  EXPECT_TRUE(p->CanSubscribe("bar.*", "", &filter));
  EXPECT_FALSE(filter);
  EXPECT_FALSE(p->CanSubscribe("foo.secret", "", &filter));
}

TEST(PermissionsTest, ResponsesAloneAllowNoOtherPublish) {
  PermissionRules r;
  r.responses = ResponseRule{};
  auto p = Make(r);
  EXPECT_TRUE(p->restricts_publish());
  EXPECT_FALSE(p->CanPublish("anything"));
}

TEST(PermissionsTest, InvalidPatternNamed) {
  PermissionRules r;
  r.subscribe.deny = {"a..b"};
  std::string error;
  EXPECT_EQ(Permissions::Compile(r, &error), nullptr);
  EXPECT_NE(error.find("a..b"), std::string::npos);
}

TEST(PublishCacheTest, RemembersAndBounds) {
  PermissionRules r;
  r.publish.allow = {"ok.>"};
  PublishCache cache(Make(r));
  EXPECT_TRUE(cache.Allowed("ok.1"));
  EXPECT_TRUE(cache.Allowed("ok.1"));
  EXPECT_FALSE(cache.Allowed("no.1"));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(cache.Allowed("ok." + std::to_string(i)), true);
    EXPECT_EQ(cache.Allowed("no." + std::to_string(i)), false);
  }
  cache.Reset(nullptr);
  EXPECT_TRUE(cache.Allowed("no.1"));
}

}  // namespace
}  // namespace tern::core
