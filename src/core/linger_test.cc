#include "core/linger.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/router.h"
#include "core/test_sink.h"

namespace tern::core {
namespace {

using namespace std::chrono_literals;
using Clock = LingerStore::Clock;

Message Msg(std::string_view subject, std::string_view payload) { return Message{subject, {}, {}, payload}; }

TEST(LingerStoreTest, HoldsOnlyUnderARule) {
  LingerStore store({{"room.>", 3000ms, 1024}});
  auto now = Clock::now();
  EXPECT_TRUE(store.Hold(Msg("room.1", "a"), now));
  EXPECT_FALSE(store.Hold(Msg("lobby", "b"), now));
  EXPECT_EQ(store.stats().held_now, 1u);
}

TEST(LingerStoreTest, TakeReturnsMatchingOldestFirstOnce) {
  LingerStore store({{"room.>", 3000ms, 1024}});
  auto now = Clock::now();
  store.Hold(Msg("room.1", "a"), now);
  store.Hold(Msg("room.2", "b"), now);
  store.Hold(Msg("room.1", "c"), now);
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
  store.Hold(Msg("room.1", "a"), now);
  EXPECT_TRUE(store.Take("room.1", now + 1001ms).empty());
  store.Hold(Msg("room.1", "b"), now);
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
  store.Hold(Msg("room.1", "0123456789"), now);
  store.Hold(Msg("room.2", "0123456789"), now);
  store.Hold(Msg("room.3", "0123456789"), now);
  LingerStats s = store.stats();
  EXPECT_EQ(s.held_now, 2u);
  EXPECT_LE(s.bytes_now, 40u);
  EXPECT_EQ(s.dropped_for_space, 1u);
  EXPECT_TRUE(store.Take("room.1", now).empty()) << "the oldest went first";
  EXPECT_FALSE(store.Hold(Msg("room.big", std::string(100, 'x')), now)) << "larger than the whole bound";
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

}  // namespace
}  // namespace tern::core
