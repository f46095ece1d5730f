#include "core/linger.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/router.h"
#include "core/test_sink.h"

namespace tern::core {
namespace {

using namespace std::chrono_literals;
using Clock = LingerStore::Clock;

Message Msg(std::string_view subject, std::string_view payload) { return Message{subject, {}, {}, payload}; }

// Nobody subscribed: what LingerStoreTest holds against.
const Sublist& Nobody() {
  static const Sublist* empty = new Sublist();
  return *empty;
}

TEST(LingerStoreTest, HoldsOnlyUnderARule) {
  LingerStore store({{"room.>", 3000ms, 1024}});
  auto now = Clock::now();
  EXPECT_EQ(store.Hold(Msg("room.1", "a"), now, Nobody()), HoldOutcome::kHeld);
  EXPECT_EQ(store.Hold(Msg("lobby", "b"), now, Nobody()), HoldOutcome::kNotHeld);
  EXPECT_EQ(store.stats().held_now, 1u);
}

TEST(LingerStoreTest, TakeReturnsMatchingOldestFirstOnce) {
  LingerStore store({{"room.>", 3000ms, 1024}});
  auto now = Clock::now();
  store.Hold(Msg("room.1", "a"), now, Nobody());
  store.Hold(Msg("room.2", "b"), now, Nobody());
  store.Hold(Msg("room.1", "c"), now, Nobody());
  auto taken = store.Take("room.1", now);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].payload, "a");
  EXPECT_EQ(taken[1].payload, "c");
  EXPECT_TRUE(store.Take("room.1", now).empty());
  EXPECT_EQ(store.Take("room.*", now).size(), 1u);
  EXPECT_EQ(store.stats().delivered, 3u);
  EXPECT_FALSE(store.holding());
}

TEST(LingerStoreTest, ExpiredMessagesAreDroppedAndCounted) {
  LingerStore store({{"room.>", 1000ms, 1024}});
  auto now = Clock::now();
  store.Hold(Msg("room.1", "a"), now, Nobody());
  EXPECT_TRUE(store.Take("room.1", now + 1001ms).empty());
  store.Hold(Msg("room.1", "b"), now, Nobody());
  store.Expire(now + 2000ms);
  LingerStats s = store.stats();
  EXPECT_EQ(s.expired, 2u);
  EXPECT_EQ(s.held_now, 0u);
  EXPECT_EQ(s.bytes_now, 0u);
}

TEST(LingerStoreTest, ByteBoundDropsOldestFirst) {
  // Each held message costs subject (6) + payload (10) = 16 bytes.
  LingerStore store({{"room.>", 3000ms, 40}});
  auto now = Clock::now();
  store.Hold(Msg("room.1", "0123456789"), now, Nobody());
  store.Hold(Msg("room.2", "0123456789"), now, Nobody());
  store.Hold(Msg("room.3", "0123456789"), now, Nobody());
  LingerStats s = store.stats();
  EXPECT_EQ(s.held_now, 2u);
  EXPECT_LE(s.bytes_now, 40u);
  EXPECT_EQ(s.dropped_for_space, 1u);
  EXPECT_TRUE(store.Take("room.1", now).empty()) << "the oldest went first";
  EXPECT_EQ(store.Hold(Msg("room.big", std::string(100, 'x')), now, Nobody()), HoldOutcome::kNotHeld)
      << "larger than the whole bound";
  EXPECT_EQ(store.stats().dropped_for_space, 2u);
}

TEST(LingerRouterTest, LateSubscriberReceivesHeldMessage) {
  Sublist sublist;
  LingerStore store({{"room.>", 3000ms, 1 << 20}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  RouterThread thread(sublist, 1);
  PublishResult r = router.Publish(thread, Msg("room.7", "early"), Origin::System());
  EXPECT_TRUE(r.lingered);
  auto sink = std::make_shared<RecordingSink>(1);
  router.Subscribe(thread, MakeSub(sink, "room.7", "1"));
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_EQ(sink->received()[0].payload, "early");
  auto second = std::make_shared<RecordingSink>(2);
  router.Subscribe(thread, MakeSub(second, "room.7", "2"));
  EXPECT_EQ(second->count(), 0u) << "a lingering message is delivered once, to those who appear first";
}

TEST(LingerRouterTest, HeldMessageKeepsQosAndRetain) {
  Sublist sublist;
  LingerStore store({{"room.>", 3000ms, 1 << 20}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  RouterThread thread(sublist, 1);
  Message msg = Msg("room.9", "state");
  msg.qos = 2;
  msg.retain = true;
  EXPECT_TRUE(router.Publish(thread, msg, Origin::System()).lingered);
  auto sink = std::make_shared<RecordingSink>(1);
  router.Subscribe(thread, MakeSub(sink, "room.9", "1"));
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_EQ(sink->received()[0].qos, 2);
  EXPECT_TRUE(sink->received()[0].retain);
}

TEST(LingerRouterTest, QueueGroupGetsLingeringMessageOnce) {
  Sublist sublist;
  LingerStore store({{"jobs", 3000ms, 1 << 20}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  RouterThread thread(sublist, 1);
  router.Publish(thread, Msg("jobs", "j1"), Origin::System());
  auto a = std::make_shared<RecordingSink>(1);
  auto b = std::make_shared<RecordingSink>(2);
  router.Subscribe(thread, MakeSub(a, "jobs", "1", "workers"));
  router.Subscribe(thread, MakeSub(b, "jobs", "2", "workers"));
  EXPECT_EQ(a->count() + b->count(), 1u);
}

TEST(LingerStoreTest, HoldRefusesWhenSomeoneListensNow) {
  Sublist sublist;
  LingerStore store({{"room.>", 3000ms, 1024}});
  auto sub = std::make_shared<Subscription>();
  sub->subject = "room.*";
  ASSERT_TRUE(sublist.Insert(sub));
  EXPECT_EQ(store.Hold(Msg("room.1", "a"), Clock::now(), sublist), HoldOutcome::kInterest);
  EXPECT_FALSE(store.holding());
  EXPECT_EQ(store.stats().held, 0u);
}

TEST(LingerStoreTest, LiteralTakeGetsOnlyItsSubjectWildcardTakeMergesOldestFirst) {
  LingerStore store({{"room.>", 3000ms, 1 << 20}});
  auto now = Clock::now();
  for (int i = 0; i < 300; ++i) store.Hold(Msg("room." + std::to_string(i % 100), std::to_string(i)), now, Nobody());
  auto taken = store.Take("room.42", now);
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0].payload, "42");
  EXPECT_EQ(taken[1].payload, "142");
  EXPECT_EQ(taken[2].payload, "242");
  EXPECT_EQ(store.stats().held_now, 297u);
  // Across subjects, a wildcard take is still in arrival order.
  taken = store.Take("room.*", now);
  ASSERT_EQ(taken.size(), 297u);
  for (size_t i = 1; i < taken.size(); ++i) ASSERT_LT(std::stoi(taken[i - 1].payload), std::stoi(taken[i].payload));
  EXPECT_FALSE(store.holding());
  EXPECT_EQ(store.stats().bytes_now, 0u);
}

TEST(LingerStoreTest, ExpiryAndEvictionKeepArrivalOrderAcrossSubjects) {
  // Each held message: subject (6) + payload (1) = 7 bytes; room for 3.
  LingerStore store({{"room.>", 1000ms, 21}});
  auto now = Clock::now();
  store.Hold(Msg("room.a", "1"), now, Nobody());
  store.Hold(Msg("room.b", "2"), now + 100ms, Nobody());
  store.Hold(Msg("room.a", "3"), now + 200ms, Nobody());
  store.Hold(Msg("room.c", "4"), now + 300ms, Nobody());  // evicts "1"
  EXPECT_EQ(store.stats().dropped_for_space, 1u);
  store.Expire(now + 1150ms);  // "2" expires, "3" and "4" stay
  EXPECT_EQ(store.stats().expired, 1u);
  auto a = store.Take("room.a", now + 1150ms);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].payload, "3");
  EXPECT_TRUE(store.Take("room.b", now + 1150ms).empty());
  EXPECT_EQ(store.Take("room.c", now + 1150ms).size(), 1u);
  EXPECT_FALSE(store.holding());
}

TEST(LingerStoreTest, RulesAreIndependent) {
  LingerStore store({{"fast.>", 100ms, 1024}, {"slow.>", 5000ms, 1024}, {">", 1000ms, 10}});
  auto now = Clock::now();
  EXPECT_EQ(store.Hold(Msg("fast.x", "a"), now, Nobody()), HoldOutcome::kHeld);
  EXPECT_EQ(store.Hold(Msg("slow.x", "b"), now, Nobody()), HoldOutcome::kHeld);
  EXPECT_EQ(store.Hold(Msg("other", "c"), now, Nobody()), HoldOutcome::kHeld);
  store.Expire(now + 200ms);
  EXPECT_TRUE(store.Take("fast.x", now + 200ms).empty());
  EXPECT_EQ(store.Take("slow.x", now + 200ms).size(), 1u);
  // "fast.x" falls under ">" too, but the first matching rule is the one that holds it.
  EXPECT_EQ(store.Take(">", now + 200ms).size(), 1u);
  EXPECT_EQ(store.stats().expired, 1u);
}

// The window that linger used to leave open, put in place step by step: the
// publish matched nobody; before it holds the message, a subscriber inserts
// and looks for held messages (none yet). The hold must notice the
// subscriber and the router deliver instead, or the message waits for no one
// and expires.
TEST(LingerRouterTest, SubscriberArrivingBetweenMatchAndHoldGetsTheMessage) {
  Sublist sublist;
  LingerStore store({{"room.>", 3000ms, 1 << 20}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  RouterThread publisher(sublist, 1);
  RouterThread subscriber(sublist, 2);
  auto sink = std::make_shared<RecordingSink>(1);
  auto sub = MakeSub(sink, "room.1", "1");
  bool subscribed = false;
  store.set_before_hold_for_testing([&] {
    if (subscribed) return;
    subscribed = true;
    ASSERT_TRUE(router.Subscribe(subscriber, sub));
    EXPECT_EQ(sink->count(), 0u) << "nothing held yet";
  });
  PublishResult r = router.Publish(publisher, Msg("room.1", "just in time"), Origin::System());
  ASSERT_TRUE(subscribed);
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_FALSE(r.lingered);
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_EQ(sink->received()[0].payload, "just in time");
  EXPECT_EQ(store.stats().held_now, 0u);
  EXPECT_EQ(publisher.counters.no_interest.Get(), 0u);
}

// The other order: the hold comes first, the subscriber's take second.
TEST(LingerRouterTest, SubscriberArrivingAfterTheHoldTakesIt) {
  Sublist sublist;
  LingerStore store({{"room.>", 3000ms, 1 << 20}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  RouterThread publisher(sublist, 1);
  EXPECT_TRUE(router.Publish(publisher, Msg("room.2", "early"), Origin::System()).lingered);
  auto sink = std::make_shared<RecordingSink>(1);
  RouterThread subscriber(sublist, 2);
  ASSERT_TRUE(router.Subscribe(subscriber, MakeSub(sink, "room.*", "1")));
  EXPECT_EQ(sink->count(), 1u);
}

// Publishers holding under several rules while subscribers come and take:
// every message is either delivered once or still held. Run under
// ThreadSanitizer too.
TEST(LingerRouterTest, ConcurrentHoldsAndTakesLoseNothing) {
  Sublist sublist;
  LingerStore store({{"a.>", 3000ms, 1 << 24}, {"b.>", 3000ms, 1 << 24}});
  Router router(sublist, QueuePolicy::kRandom, &store);
  auto sink = std::make_shared<RecordingSink>(1);
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      RouterThread own(sublist, t + 1);
      const std::string prefix = t == 0 ? "a." : "b.";
      for (int i = 0; i < kPerThread; ++i) {
        router.Publish(own, Msg(prefix + std::to_string(i % 50), "m"), Origin::System());
      }
    });
  }
  std::vector<std::shared_ptr<TestSubscription>> subs;
  {
    RouterThread own(sublist, 9);
    for (int i = 0; i < 50; ++i) {
      for (const char* prefix : {"a.", "b."}) {
        subs.push_back(MakeSub(sink, prefix + std::to_string(i), "s"));
        router.Subscribe(own, subs.back());
      }
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sink->count() + store.stats().held_now, 2u * kPerThread);
  EXPECT_EQ(store.stats().held_now, 0u) << "every subject has a subscriber now; nothing may wait";
}

}  // namespace
}  // namespace tern::core
