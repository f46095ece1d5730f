// Interest changes through the Router: the listener hook, and the
// auto-unsubscribe state machine (UNSUB sid max) that used to live in the
// server, where a delivery racing the UNSUB could leave a subscription that
// refused every message but never left its queue group.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "core/router.h"
#include "core/test_sink.h"

namespace tern::core {
namespace {

Message Msg(std::string_view subject) { return Message{subject, {}, {}, "x"}; }

class RecordingListener : public InterestListener {
 public:
  struct Event {
    std::string subject, queue;
    bool added, first_or_last;
    bool index_agrees;  // the index already showed the change when we were told
    std::thread::id thread;
  };

  explicit RecordingListener(const Sublist& sublist) : sublist_(sublist) {}

  void OnInterestChanged(const Subscription& sub, bool added, bool first_or_last) override {
    bool present = false;
    MatchResultPtr r = sublist_.Match(sub.subject);  // a literal subject in these tests
    for (const auto& s : r->plain) present |= s.get() == &sub;
    for (const auto& s : r->routes) present |= s.get() == &sub;
    for (const auto& g : r->groups) {
      for (const auto& m : g.members) present |= m.get() == &sub;
    }
    std::lock_guard lock(mu_);
    events_.push_back({sub.subject, sub.queue, added, first_or_last, present == added, std::this_thread::get_id()});
  }

  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  const Sublist& sublist_;
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

class RouterInterestTest : public ::testing::Test {
 protected:
  void SetUp() override { router_.set_interest_listener(&listener_); }

  Sublist sublist_;
  Router router_{sublist_, QueuePolicy::kRoundRobin, nullptr};
  RouterThread thread_{sublist_, 42};
  RecordingListener listener_{sublist_};
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>(1);
};

TEST_F(RouterInterestTest, SubscribeAndUnsubscribeTellTheListener) {
  auto a = MakeSub(sink_, "foo", "1");
  auto b = MakeSub(sink_, "foo", "2");
  auto q = MakeSub(sink_, "foo", "3", "g");
  EXPECT_TRUE(router_.Subscribe(thread_, a));
  EXPECT_TRUE(router_.Subscribe(thread_, b));
  EXPECT_TRUE(router_.Subscribe(thread_, q));
  EXPECT_FALSE(router_.Subscribe(thread_, a)) << "already in: no change, no event";
  EXPECT_FALSE(router_.Subscribe(thread_, MakeSub(sink_, "bad..subject", "4")));
  EXPECT_TRUE(router_.Unsubscribe(*a));
  EXPECT_FALSE(router_.Unsubscribe(*a)) << "ended once";
  EXPECT_TRUE(router_.Unsubscribe(*q));
  EXPECT_TRUE(router_.Unsubscribe(*b));

  auto ev = listener_.events();
  ASSERT_EQ(ev.size(), 6u);
  auto expect = [&](size_t i, std::string_view queue, bool added, bool first_or_last) {
    EXPECT_EQ(ev[i].subject, "foo") << i;
    EXPECT_EQ(ev[i].queue, queue) << i;
    EXPECT_EQ(ev[i].added, added) << i;
    EXPECT_EQ(ev[i].first_or_last, first_or_last) << i;
    EXPECT_TRUE(ev[i].index_agrees) << "called after the index changed: " << i;
    EXPECT_EQ(ev[i].thread, std::this_thread::get_id()) << i;
  };
  expect(0, "", true, true);
  expect(1, "", true, false);
  expect(2, "g", true, true);
  expect(3, "", false, false);
  expect(4, "g", false, true);
  expect(5, "", false, true);
}

TEST_F(RouterInterestTest, RouteInterestIsReportedApartFromLocal) {
  auto route = std::make_shared<RecordingSink>(9, /*route=*/true);
  ASSERT_TRUE(router_.Subscribe(thread_, MakeSub(sink_, "foo", "1")));
  ASSERT_TRUE(router_.Subscribe(thread_, MakeSub(route, "foo", "r")));
  auto ev = listener_.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(ev[1].first_or_last) << "the first route interest, though local interest exists";
}

TEST_F(RouterInterestTest, BatchTellsTheListenerPerSubscription) {
  std::vector<SubscriptionPtr> batch = {MakeSub(sink_, "a", "1"), MakeSub(sink_, "a", "2"),
                                        MakeSub(sink_, "b", "3", "g"), MakeSub(sink_, "bad..", "4")};
  EXPECT_EQ(router_.SubscribeBatch(thread_, batch), 3u);
  auto ev = listener_.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_TRUE(ev[0].added && ev[0].first_or_last);
  EXPECT_TRUE(ev[1].added && !ev[1].first_or_last);
  EXPECT_EQ(ev[2].queue, "g");
  EXPECT_TRUE(ev[2].first_or_last);
  for (const auto& e : ev) EXPECT_TRUE(e.index_agrees);
}

TEST_F(RouterInterestTest, AutoUnsubscribeIsReportedFromTheDeliveringThread) {
  auto sub = MakeSub(sink_, "limited", "1");
  ASSERT_TRUE(router_.Subscribe(thread_, sub));
  EXPECT_FALSE(router_.LimitDeliveries(*sub, 2));
  std::thread::id worker;
  std::thread publisher([&] {
    worker = std::this_thread::get_id();
    RouterThread own(sublist_, 1);
    for (int i = 0; i < 5; ++i) router_.Publish(own, Msg("limited"), Origin::System());
  });
  publisher.join();
  EXPECT_EQ(sink_->count(), 2u);
  EXPECT_TRUE(sub->closed.load());
  EXPECT_FALSE(sublist_.HasInterest("limited"));
  EXPECT_EQ(sink_->auto_unsubscribed(), (std::vector<std::string>{"1"}));
  auto ev = listener_.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_FALSE(ev[1].added);
  EXPECT_TRUE(ev[1].first_or_last);
  EXPECT_TRUE(ev[1].index_agrees);
  EXPECT_EQ(ev[1].thread, worker);
}

// ---- the auto-unsubscribe state machine ----
//
// Two sides race: the session's LimitDeliveries (store max, then read
// delivered) and any worker's delivery (increment delivered, then read max).
// With both sequentially consistent, the outcomes are those of running one
// whole side before the other, or of both seeing each other; "neither sees
// the other" cannot happen. Each possible outcome is set up here step by
// step.

TEST_F(RouterInterestTest, LimitAfterTheDeliveriesEndsAtOnce) {
  auto sub = MakeSub(sink_, "s", "1");
  ASSERT_TRUE(router_.Subscribe(thread_, sub));
  router_.Publish(thread_, Msg("s"), Origin::System());
  router_.Publish(thread_, Msg("s"), Origin::System());
  EXPECT_TRUE(router_.LimitDeliveries(*sub, 2));
  EXPECT_TRUE(sub->closed.load());
  EXPECT_FALSE(sublist_.HasInterest("s"));
  EXPECT_EQ(sink_->auto_unsubscribed().size(), 1u);
  router_.Publish(thread_, Msg("s"), Origin::System());
  EXPECT_EQ(sink_->count(), 2u);
}

TEST_F(RouterInterestTest, LimitBeforeTheDeliveriesEndsOnTheLastOne) {
  auto sub = MakeSub(sink_, "s", "1");
  ASSERT_TRUE(router_.Subscribe(thread_, sub));
  router_.Publish(thread_, Msg("s"), Origin::System());
  EXPECT_FALSE(router_.LimitDeliveries(*sub, 3));
  for (int i = 0; i < 5; ++i) router_.Publish(thread_, Msg("s"), Origin::System());
  EXPECT_EQ(sink_->count(), 3u);
  EXPECT_TRUE(sub->closed.load());
  EXPECT_FALSE(sublist_.HasInterest("s"));
  EXPECT_EQ(sink_->auto_unsubscribed().size(), 1u);
}

TEST_F(RouterInterestTest, BothSidesSeeingTheLimitReachedEndItOnce) {
  auto sub = MakeSub(sink_, "s", "1");
  ASSERT_TRUE(router_.Subscribe(thread_, sub));
  // The limiter has stored max; the delivery sees it and is the last; then the
  // limiter reads delivered and finds the limit reached as well.
  sub->max_msgs.store(1);
  router_.Publish(thread_, Msg("s"), Origin::System());
  EXPECT_TRUE(sub->closed.load());
  EXPECT_TRUE(router_.LimitDeliveries(*sub, 1));
  EXPECT_EQ(sink_->count(), 1u);
  EXPECT_EQ(sink_->auto_unsubscribed().size(), 1u) << "ended once, by whoever was first";
  EXPECT_EQ(listener_.events().size(), 2u);
}

// The state the old server code could reach: the limit stored after a claim
// that read no limit, so the claim that reached the count never knew it was
// the last. Nobody ended it; every queue pick that chose it lost the
// message after one retry. Now the first claim past the limit ends it.
TEST_F(RouterInterestTest, AnExhaustedMemberLeavesItsGroupInsteadOfLosingMessages) {
  auto good_sink = std::make_shared<RecordingSink>(2);
  auto exhausted = MakeSub(sink_, "q", "1", "g");
  auto good = MakeSub(good_sink, "q", "2", "g");
  ASSERT_TRUE(router_.Subscribe(thread_, exhausted));
  ASSERT_TRUE(router_.Subscribe(thread_, good));
  exhausted->delivered.store(5);
  exhausted->max_msgs.store(5);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(router_.Publish(thread_, Msg("q"), Origin::System()).delivered, 1u) << "publish " << i;
  }
  EXPECT_EQ(good_sink->count(), 1000u);
  EXPECT_EQ(sink_->count(), 0u);
  EXPECT_TRUE(exhausted->closed.load());
  EXPECT_EQ(sink_->auto_unsubscribed().size(), 1u);
}

// The race itself, many times over, on two threads: whatever the timing, a
// subscription limited to one delivery that got one must end.
TEST_F(RouterInterestTest, LimitRacingADeliveryAlwaysEnds) {
  constexpr int kRounds = 2000;
  std::vector<std::shared_ptr<TestSubscription>> subs;
  for (int i = 0; i < kRounds; ++i) subs.push_back(MakeSub(sink_, "race." + std::to_string(i), std::to_string(i)));
  for (auto& s : subs) ASSERT_TRUE(router_.Subscribe(thread_, s));
  std::atomic<int> turn{0};
  std::thread publisher([&] {
    RouterThread own(sublist_, 3);
    for (int i = 0; i < kRounds; ++i) {
      while (turn.load() < i) {
      }
      router_.Publish(own, Msg(subs[i]->subject), Origin::System());
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    turn.store(i);
    router_.LimitDeliveries(*subs[i], 1);
  }
  publisher.join();
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(subs[i]->closed.load()) << "round " << i;
    ASSERT_FALSE(sublist_.HasInterest(subs[i]->subject)) << "round " << i;
  }
  EXPECT_EQ(sink_->count(), static_cast<size_t>(kRounds));
  EXPECT_EQ(sink_->auto_unsubscribed().size(), static_cast<size_t>(kRounds));
}

}  // namespace
}  // namespace tern::core

namespace tern::core {
namespace {

// Cluster-wide queue policies weigh a remote node by the members its route
// subscription stands for; local-first never leaves this node while a local
// member can take the message.
TEST(RouterClusterQueueTest, PoliciesSpreadOverTheClusterByWeight) {
  for (auto policy : {ClusterQueuePolicy::kLocalFirst, ClusterQueuePolicy::kRoundRobin, ClusterQueuePolicy::kRandom}) {
    Sublist sublist;
    Router router(sublist, QueuePolicy::kRandom, nullptr);
    RouterThread thread(sublist, 9);
    router.set_cluster_queue_policy(policy);
    auto local = std::make_shared<RecordingSink>(1);
    auto route = std::make_shared<RecordingSink>(2, /*route=*/true);
    router.Subscribe(thread, MakeSub(local, "jobs", "1", "w"));
    auto remote = MakeSub(route, "jobs", "r", "w");
    remote->weight = 3;
    router.Subscribe(thread, remote);
    for (int i = 0; i < 400; ++i) router.Publish(thread, Message{"jobs", {}, {}, "x"}, Origin::System());
    const size_t here = local->count(), there = route->count();
    EXPECT_EQ(here + there, 400u);
    switch (policy) {
      case ClusterQueuePolicy::kLocalFirst:
        EXPECT_EQ(here, 400u);
        break;
      case ClusterQueuePolicy::kRoundRobin:
        EXPECT_EQ(here, 100u);
        break;
      case ClusterQueuePolicy::kRandom:
        EXPECT_GT(here, 60u);
        EXPECT_LT(here, 140u);
        break;
    }
    for (const auto& r : route->received()) EXPECT_EQ(r.queues, std::vector<std::string>{"w"});
  }
}

// A node in lame duck keeps its members (weight 0) but gets a group's work
// only when no other node has a member left, under every policy.
TEST(RouterClusterQueueTest, DrainingNodeGetsQueueWorkOnlyWhenNoOtherNodeCan) {
  for (auto policy : {ClusterQueuePolicy::kLocalFirst, ClusterQueuePolicy::kRoundRobin, ClusterQueuePolicy::kRandom}) {
    Sublist sublist;
    Router router(sublist, QueuePolicy::kRandom, nullptr);
    RouterThread thread(sublist, 9);
    router.set_cluster_queue_policy(policy);
    auto draining = std::make_shared<RecordingSink>(2, /*route=*/true);
    auto serving = std::make_shared<RecordingSink>(3, /*route=*/true);
    auto leaving = MakeSub(draining, "jobs", "d", "w");
    leaving->weight = 0;
    router.Subscribe(thread, leaving);
    auto staying = MakeSub(serving, "jobs", "s", "w");
    router.Subscribe(thread, staying);
    for (int i = 0; i < 100; ++i) router.Publish(thread, Message{"jobs", {}, {}, "x"}, Origin::System());
    EXPECT_EQ(draining->count(), 0u);
    EXPECT_EQ(serving->count(), 100u);

    router.Unsubscribe(*staying);
    for (int i = 0; i < 10; ++i) router.Publish(thread, Message{"jobs", {}, {}, "x"}, Origin::System());
    EXPECT_EQ(draining->count(), 10u);
  }
}

}  // namespace
}  // namespace tern::core
