#include "core/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "core/test_sink.h"

namespace tern::core {
namespace {

Message Msg(std::string_view subject, std::string_view payload = "hi", std::string_view reply = "") {
  return Message{subject, reply, {}, payload};
}

class RouterTest : public ::testing::Test {
 protected:
  Sublist sublist_;
  Router router_{sublist_, QueuePolicy::kRandom, nullptr};
  RouterThread thread_{sublist_, 42};
};

TEST_F(RouterTest, FansOutToEveryPlainSubscriber) {
  auto a = std::make_shared<RecordingSink>(1);
  auto b = std::make_shared<RecordingSink>(2);
  router_.Subscribe(thread_, MakeSub(a, "foo.bar", "1"));
  router_.Subscribe(thread_, MakeSub(b, "foo.*", "7"));
  router_.Subscribe(thread_, MakeSub(b, "other", "8"));
  PublishResult r = router_.Publish(thread_, Msg("foo.bar", "x", "inbox.1"), Origin::System());
  EXPECT_EQ(r.delivered, 2u);
  ASSERT_EQ(a->count(), 1u);
  ASSERT_EQ(b->count(), 1u);
  EXPECT_EQ(b->received()[0].sid, "7");
  EXPECT_EQ(a->received()[0].reply, "inbox.1");
  EXPECT_EQ(a->received()[0].payload, "x");
}

TEST_F(RouterTest, QosAndRetainReachTheSinkUntouched) {
  auto sink = std::make_shared<RecordingSink>(1);
  router_.Subscribe(thread_, MakeSub(sink, "sensors.t", "1"));
  Message msg = Msg("sensors.t", "21.5");
  msg.qos = 1;
  msg.retain = true;
  router_.Publish(thread_, msg, Origin::System());
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_EQ(sink->received()[0].qos, 1);
  EXPECT_TRUE(sink->received()[0].retain);
}

TEST_F(RouterTest, NoMatchCountsNoInterest) {
  PublishResult r = router_.Publish(thread_, Msg("nobody.home"), Origin::System());
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_FALSE(r.lingered);
  EXPECT_EQ(thread_.counters.no_interest.Get(), 1u);
}

TEST_F(RouterTest, QueueGroupGetsEachMessageOnce) {
  std::vector<std::shared_ptr<RecordingSink>> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(std::make_shared<RecordingSink>(i + 1));
    router_.Subscribe(thread_, MakeSub(members.back(), "work", std::to_string(i), "workers"));
  }
  auto watcher = std::make_shared<RecordingSink>(99);
  router_.Subscribe(thread_, MakeSub(watcher, "work", "w"));
  for (int i = 0; i < 400; ++i) router_.Publish(thread_, Msg("work"), Origin::System());
  size_t total = 0;
  for (auto& m : members) {
    total += m->count();
    EXPECT_GT(m->count(), 50u) << "random choice should spread 400 messages over 4 members";
  }
  EXPECT_EQ(total, 400u);
  EXPECT_EQ(watcher->count(), 400u) << "plain subscribers see every message besides the group";
}

TEST_F(RouterTest, RoundRobinIsExactlyEven) {
  router_.set_queue_policy(QueuePolicy::kRoundRobin);
  std::vector<std::shared_ptr<RecordingSink>> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(std::make_shared<RecordingSink>(i + 1));
    router_.Subscribe(thread_, MakeSub(members.back(), "rr", std::to_string(i), "q"));
  }
  for (int i = 0; i < 300; ++i) router_.Publish(thread_, Msg("rr"), Origin::System());
  for (auto& m : members) EXPECT_EQ(m->count(), 100u);
}

TEST_F(RouterTest, RefusingMemberPassesMessageToAnother) {
  auto bad = std::make_shared<RecordingSink>(1);
  auto good = std::make_shared<RecordingSink>(2);
  bad->set_refuse(true);
  router_.Subscribe(thread_, MakeSub(bad, "q", "1", "g"));
  router_.Subscribe(thread_, MakeSub(good, "q", "2", "g"));
  router_.set_queue_policy(QueuePolicy::kRoundRobin);
  for (int i = 0; i < 10; ++i) router_.Publish(thread_, Msg("q"), Origin::System());
  EXPECT_EQ(good->count(), 10u);
}

TEST_F(RouterTest, EchoOffSkipsThePublisher) {
  auto self = std::make_shared<RecordingSink>(1);
  auto other = std::make_shared<RecordingSink>(2);
  router_.Subscribe(thread_, MakeSub(self, "chat", "1"));
  router_.Subscribe(thread_, MakeSub(other, "chat", "2"));
  router_.Subscribe(thread_, MakeSub(self, "chatq", "3", "g"));
  PublishResult r = router_.Publish(thread_, Msg("chat"), Origin::Client(self.get(), /*echo=*/false));
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(self->count(), 0u);
  // The only queue member is the publisher: nobody may take it.
  r = router_.Publish(thread_, Msg("chatq"), Origin::Client(self.get(), /*echo=*/false));
  EXPECT_EQ(r.delivered, 0u);
}

TEST_F(RouterTest, AutoUnsubscribeStopsAfterMax) {
  auto sink = std::make_shared<RecordingSink>(1);
  auto sub = MakeSub(sink, "limited", "1");
  sub->max_msgs = 3;
  router_.Subscribe(thread_, sub);
  for (int i = 0; i < 10; ++i) router_.Publish(thread_, Msg("limited"), Origin::System());
  EXPECT_EQ(sink->count(), 3u);
  EXPECT_TRUE(sub->closed.load());
  EXPECT_FALSE(sublist_.HasInterest("limited"));
}

TEST_F(RouterTest, UnsubscribeTakesEffectImmediatelyDespiteCache) {
  auto sink = std::make_shared<RecordingSink>(1);
  auto sub = MakeSub(sink, "cached", "1");
  router_.Subscribe(thread_, sub);
  router_.Publish(thread_, Msg("cached"), Origin::System());
  router_.Unsubscribe(*sub);
  router_.Publish(thread_, Msg("cached"), Origin::System());
  EXPECT_EQ(sink->count(), 1u);
}

// ---- origins and routes ----

TEST_F(RouterTest, FromAClientEachRouteGetsOneCopy) {
  auto local = std::make_shared<RecordingSink>(1);
  auto route_a = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto route_b = std::make_shared<RecordingSink>(3, /*route=*/true);
  auto publisher = std::make_shared<RecordingSink>(4);
  router_.Subscribe(thread_, MakeSub(local, "orders.new", "1"));
  router_.Subscribe(thread_, MakeSub(route_a, "orders.*", "a1"));
  router_.Subscribe(thread_, MakeSub(route_a, "orders.>", "a2"));
  router_.Subscribe(thread_, MakeSub(route_a, ">", "a3"));
  router_.Subscribe(thread_, MakeSub(route_b, "orders.new", "b1"));
  PublishResult r = router_.Publish(thread_, Msg("orders.new"), Origin::Client(publisher.get(), true));
  EXPECT_EQ(r.delivered, 3u);
  EXPECT_EQ(local->count(), 1u);
  EXPECT_EQ(route_a->count(), 1u) << "three matching subscriptions, one copy";
  EXPECT_EQ(route_b->count(), 1u);
  EXPECT_TRUE(route_a->received()[0].queues.empty());
  router_.Publish(thread_, Msg("orders.new"), Origin::System());
  EXPECT_EQ(route_a->count(), 2u) << "the system's own messages cross routes too";
}

TEST_F(RouterTest, FromARouteOnlyLocalSinks) {
  auto local = std::make_shared<RecordingSink>(1);
  auto route_a = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto route_b = std::make_shared<RecordingSink>(3, /*route=*/true);
  router_.Subscribe(thread_, MakeSub(local, "orders.*", "1"));
  router_.Subscribe(thread_, MakeSub(route_a, "orders.new", "a1"));
  router_.Subscribe(thread_, MakeSub(route_b, "orders.new", "b1"));
  PublishResult r = router_.Publish(thread_, Msg("orders.new"), Origin::Route(route_a.get()));
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(local->count(), 1u);
  EXPECT_EQ(route_a->count() + route_b->count(), 0u) << "never across a second route";

  // Only route interest here: nobody local, so it counts as no interest and is
  // not lingered (holding is the origin node's business).
  r = router_.Publish(thread_, Msg("other"), Origin::Route(route_a.get()));
  router_.Subscribe(thread_, MakeSub(route_b, "only.remote", "b2"));
  r = router_.Publish(thread_, Msg("only.remote"), Origin::Route(route_a.get()));
  EXPECT_EQ(r.delivered, 0u);
  EXPECT_EQ(thread_.counters.no_interest.Get(), 2u);
}

TEST_F(RouterTest, QueueGroupsPreferLocalMembers) {
  auto local = std::make_shared<RecordingSink>(1);
  auto route = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto here = MakeSub(local, "jobs", "1", "workers");
  router_.Subscribe(thread_, here);
  router_.Subscribe(thread_, MakeSub(route, "jobs", "r1", "workers"));
  for (int i = 0; i < 100; ++i) router_.Publish(thread_, Msg("jobs"), Origin::System());
  EXPECT_EQ(local->count(), 100u);
  EXPECT_EQ(route->count(), 0u);

  // No local member can take it: the route's node will, and its copy says for which group.
  local->set_refuse(true);
  PublishResult r = router_.Publish(thread_, Msg("jobs"), Origin::System());
  EXPECT_EQ(r.delivered, 1u);
  ASSERT_EQ(route->count(), 1u);
  EXPECT_EQ(route->received()[0].queues, (std::vector<std::string>{"workers"}));
  local->set_refuse(false);
  router_.Unsubscribe(*here);
  router_.Publish(thread_, Msg("jobs"), Origin::System());
  EXPECT_EQ(route->count(), 2u);
}

TEST_F(RouterTest, ARouteChosenForGroupsAndPlainInterestGetsOneCopyNamingTheGroups) {
  auto route = std::make_shared<RecordingSink>(2, /*route=*/true);
  auto other = std::make_shared<RecordingSink>(3, /*route=*/true);
  router_.Subscribe(thread_, MakeSub(route, "jobs.*", "plain"));
  router_.Subscribe(thread_, MakeSub(route, "jobs.x", "q1", "g"));
  router_.Subscribe(thread_, MakeSub(route, "jobs.>", "q2", "h"));
  router_.Subscribe(thread_, MakeSub(other, "jobs.x", "q3", "k"));
  PublishResult r = router_.Publish(thread_, Msg("jobs.x"), Origin::System());
  EXPECT_EQ(r.delivered, 2u);
  ASSERT_EQ(route->count(), 1u);
  auto queues = route->received()[0].queues;
  std::sort(queues.begin(), queues.end());
  EXPECT_EQ(queues, (std::vector<std::string>{"g", "h"}));
  ASSERT_EQ(other->count(), 1u) << "a route with queue interest alone still gets its copy";
  EXPECT_EQ(other->received()[0].queues, (std::vector<std::string>{"k"}));
}

TEST_F(RouterTest, FromARouteOnlyTheNamedGroups) {
  auto route = std::make_shared<RecordingSink>(9, /*route=*/true);
  auto plain = std::make_shared<RecordingSink>(1);
  auto g = std::make_shared<RecordingSink>(2);
  auto h = std::make_shared<RecordingSink>(3);
  router_.Subscribe(thread_, MakeSub(plain, "jobs", "p"));
  router_.Subscribe(thread_, MakeSub(g, "jobs", "g1", "g"));
  router_.Subscribe(thread_, MakeSub(h, "jobs", "h1", "h"));
  router_.Subscribe(thread_, MakeSub(route, "jobs", "r", "g"));
  const std::string_view named[] = {"g"};
  Message msg = Msg("jobs");
  msg.queues = named;
  PublishResult r = router_.Publish(thread_, msg, Origin::Route(route.get()));
  EXPECT_EQ(r.delivered, 2u);
  EXPECT_EQ(plain->count(), 1u);
  EXPECT_EQ(g->count(), 1u);
  EXPECT_EQ(h->count(), 0u) << "the sending node served h itself";
  EXPECT_EQ(route->count(), 0u);
}

// ---- round robin ----

TEST_F(RouterTest, RoundRobinSequenceIsSharedByTwoRouterThreads) {
  router_.set_queue_policy(QueuePolicy::kRoundRobin);
  std::vector<std::shared_ptr<RecordingSink>> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(std::make_shared<RecordingSink>(i + 1));
    router_.Subscribe(thread_, MakeSub(members.back(), "rr", std::to_string(i), "q"));
  }
  RouterThread other(sublist_, 7);
  // Record who took each message: with one cursor for the group the sequence
  // cycles through all three members whichever thread published.
  std::vector<size_t> taker;
  for (int i = 0; i < 12; ++i) {
    std::vector<size_t> before;
    for (auto& m : members) before.push_back(m->count());
    router_.Publish(i % 2 == 0 ? thread_ : other, Msg("rr"), Origin::System());
    for (size_t k = 0; k < members.size(); ++k) {
      if (members[k]->count() != before[k]) taker.push_back(k);
    }
  }
  ASSERT_EQ(taker.size(), 12u);
  for (size_t i = 3; i < taker.size(); ++i) EXPECT_EQ(taker[i], taker[i - 3]) << "publish " << i;
  EXPECT_NE(taker[0], taker[1]);
  EXPECT_NE(taker[1], taker[2]);
  EXPECT_NE(taker[0], taker[2]);
}

TEST_F(RouterTest, RoundRobinIsPerGroupNotPerQueueName) {
  router_.set_queue_policy(QueuePolicy::kRoundRobin);
  auto a0 = std::make_shared<RecordingSink>(1);
  auto a1 = std::make_shared<RecordingSink>(2);
  auto b0 = std::make_shared<RecordingSink>(3);
  auto b1 = std::make_shared<RecordingSink>(4);
  router_.Subscribe(thread_, MakeSub(a0, "a", "a0", "q"));
  router_.Subscribe(thread_, MakeSub(a1, "a", "a1", "q"));
  router_.Subscribe(thread_, MakeSub(b0, "b", "b0", "q"));
  router_.Subscribe(thread_, MakeSub(b1, "b", "b1", "q"));
  // Alternating subjects: a counter shared by the name would hand every "a"
  // to the same member.
  for (int i = 0; i < 20; ++i) router_.Publish(thread_, Msg(i % 2 == 0 ? "a" : "b"), Origin::System());
  EXPECT_EQ(a0->count(), 5u);
  EXPECT_EQ(a1->count(), 5u);
  EXPECT_EQ(b0->count(), 5u);
  EXPECT_EQ(b1->count(), 5u);
}

// The policy is reloadable: written by the reload thread while workers read
// it. Meaningful under ThreadSanitizer.
TEST_F(RouterTest, PolicyChangesWhilePublishing) {
  auto a = std::make_shared<RecordingSink>(1);
  auto b = std::make_shared<RecordingSink>(2);
  router_.Subscribe(thread_, MakeSub(a, "p", "1", "g"));
  router_.Subscribe(thread_, MakeSub(b, "p", "2", "g"));
  std::atomic<bool> stop{false};
  std::thread reload([&] {
    for (int i = 0; !stop.load(); ++i)
      router_.set_queue_policy(i % 2 ? QueuePolicy::kRandom : QueuePolicy::kRoundRobin);
  });
  for (int i = 0; i < 2000; ++i) router_.Publish(thread_, Msg("p"), Origin::System());
  stop.store(true);
  reload.join();
  EXPECT_EQ(a->count() + b->count(), 2000u);
}

}  // namespace
}  // namespace tern::core
