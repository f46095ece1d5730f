#include "core/router.h"

#include <gtest/gtest.h>

#include <map>

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
  PublishResult r = router_.Publish(thread_, Msg("foo.bar", "x", "inbox.1"), nullptr, true);
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
  router_.Publish(thread_, msg, nullptr, true);
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_EQ(sink->received()[0].qos, 1);
  EXPECT_TRUE(sink->received()[0].retain);
}

TEST_F(RouterTest, NoMatchCountsNoInterest) {
  PublishResult r = router_.Publish(thread_, Msg("nobody.home"), nullptr, true);
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
  for (int i = 0; i < 400; ++i) router_.Publish(thread_, Msg("work"), nullptr, true);
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
  for (int i = 0; i < 300; ++i) router_.Publish(thread_, Msg("rr"), nullptr, true);
  for (auto& m : members) EXPECT_EQ(m->count(), 100u);
}

TEST_F(RouterTest, RefusingMemberPassesMessageToAnother) {
  auto bad = std::make_shared<RecordingSink>(1);
  auto good = std::make_shared<RecordingSink>(2);
  bad->set_refuse(true);
  router_.Subscribe(thread_, MakeSub(bad, "q", "1", "g"));
  router_.Subscribe(thread_, MakeSub(good, "q", "2", "g"));
  router_.set_queue_policy(QueuePolicy::kRoundRobin);
  for (int i = 0; i < 10; ++i) router_.Publish(thread_, Msg("q"), nullptr, true);
  EXPECT_EQ(good->count(), 10u);
}

TEST_F(RouterTest, EchoOffSkipsThePublisher) {
  auto self = std::make_shared<RecordingSink>(1);
  auto other = std::make_shared<RecordingSink>(2);
  router_.Subscribe(thread_, MakeSub(self, "chat", "1"));
  router_.Subscribe(thread_, MakeSub(other, "chat", "2"));
  router_.Subscribe(thread_, MakeSub(self, "chatq", "3", "g"));
  PublishResult r = router_.Publish(thread_, Msg("chat"), self.get(), /*echo=*/false);
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(self->count(), 0u);
  // The only queue member is the publisher: nobody may take it.
  r = router_.Publish(thread_, Msg("chatq"), self.get(), /*echo=*/false);
  EXPECT_EQ(r.delivered, 0u);
}

TEST_F(RouterTest, AutoUnsubscribeStopsAfterMax) {
  auto sink = std::make_shared<RecordingSink>(1);
  auto sub = MakeSub(sink, "limited", "1");
  sub->max_msgs = 3;
  router_.Subscribe(thread_, sub);
  for (int i = 0; i < 10; ++i) router_.Publish(thread_, Msg("limited"), nullptr, true);
  EXPECT_EQ(sink->count(), 3u);
  EXPECT_TRUE(sub->closed.load());
  EXPECT_FALSE(sublist_.HasInterest("limited"));
}

TEST_F(RouterTest, UnsubscribeTakesEffectImmediatelyDespiteCache) {
  auto sink = std::make_shared<RecordingSink>(1);
  auto sub = MakeSub(sink, "cached", "1");
  router_.Subscribe(thread_, sub);
  router_.Publish(thread_, Msg("cached"), nullptr, true);
  router_.Unsubscribe(sub);
  router_.Publish(thread_, Msg("cached"), nullptr, true);
  EXPECT_EQ(sink->count(), 1u);
}

}  // namespace
}  // namespace tern::core
