// Linger (tern only; nats-server has no such feature): a message that finds
// no subscriber is held for the rule's window and handed to the first
// matching subscriber(s) that appear; then dropped and counted. Also the
// system requests _TERN.INTEREST and _TERN.STATS that make this observable.
// Over every transport: a held message must reach a WebSocket or TLS
// subscriber as it reaches a TCP one.
#include <nlohmann/json.hpp>
#include <thread>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;

class LingerTest : public ServerTest {
 protected:
  // Asks the server for its counters over the protocol.
  nlohmann::json Stats() {
    RawClient c;
    EXPECT_TRUE(Connect(c));
    EXPECT_TRUE(c.Send("SUB _stats.reply 1\r\n" + Pub("_TERN.STATS", "", "_stats.reply")));
    auto msg = c.ReadMsg();
    if (!msg) {
      ADD_FAILURE() << "no stats reply: " << c.last_error();
      return {};
    }
    return nlohmann::json::parse(msg->payload);
  }
};

TEST_P(LingerTest, LateSubscriberReceivesHeldMessage) {
  START_SERVER_WITH_ARGS(ServerLimits{}, "--linger", "room.>=3s");
  RawClient pub, sub;
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(pub.Send(Pub("room.1", "early bird")));
  ASSERT_TRUE(pub.Ping());
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(sub.Send("SUB room.* 9\r\n"));
  EXPECT_TRUE(sub.ExpectMsg("room.1", "9", "", "early bird"));
  // Delivered once: a second subscriber arriving later gets nothing.
  RawClient late;
  ASSERT_TRUE(Connect(late));
  ASSERT_TRUE(late.Send("SUB room.1 1\r\nPING\r\n"));
  EXPECT_TRUE(late.Expect("PONG"));
  EXPECT_EQ(Stats()["linger"]["delivered"], 1);
}

TEST_P(LingerTest, AfterTheWindowNothingIsDelivered) {
  START_SERVER_WITH_ARGS(ServerLimits{}, "--linger", "room.>=1s");
  RawClient pub, sub;
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(pub.Send(Pub("room.2", "too late")));
  ASSERT_TRUE(pub.Ping());
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(sub.Send("SUB room.2 1\r\nPING\r\n"));
  EXPECT_TRUE(sub.Expect("PONG"));
  EXPECT_TRUE(sub.ReadSome(1024, 300ms).empty());
  nlohmann::json stats = Stats();
  EXPECT_EQ(stats["linger"]["expired"], 1);
  EXPECT_EQ(stats["linger"]["held_now"], 0);
}

TEST_P(LingerTest, SubjectsOutsideTheRuleAreNotHeld) {
  START_SERVER_WITH_ARGS(ServerLimits{}, "--linger", "room.>=3s");
  RawClient pub, sub;
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(pub.Send(Pub("lobby", "not kept")));
  ASSERT_TRUE(pub.Ping());
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(sub.Send("SUB lobby 1\r\nPING\r\n"));
  EXPECT_TRUE(sub.Expect("PONG"));
  EXPECT_EQ(Stats()["linger"]["held"], 0);
}

TEST_P(LingerTest, QueueGroupGetsLingeringMessageExactlyOnce) {
  START_SERVER_WITH_ARGS(ServerLimits{}, "--linger", "jobs=3s");
  RawClient pub, a, b;
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(pub.Send(Pub("jobs", "j1")));
  ASSERT_TRUE(pub.Ping());
  ASSERT_TRUE(Connect(a));
  ASSERT_TRUE(Connect(b));
  ASSERT_TRUE(a.Send("SUB jobs workers 1\r\nPING\r\n"));
  ASSERT_TRUE(a.Expect("MSG jobs 1 2"));
  ASSERT_TRUE(a.Expect("j1"));
  ASSERT_TRUE(a.Expect("PONG"));
  ASSERT_TRUE(b.Send("SUB jobs workers 2\r\nPING\r\n"));
  EXPECT_TRUE(b.Expect("PONG")) << "the second member must not get it again";
  EXPECT_EQ(a.ReadSome(4096, 300ms), "");
}

TEST_P(LingerTest, ByteBoundDropsOldestAndCountsIt) {
  // Each held message costs subject (6) + payload (100) bytes: three fit in 350.
  START_SERVER_WITH_ARGS(ServerLimits{}, "--linger", "room.>=5s/350");
  RawClient pub, sub;
  ASSERT_TRUE(Connect(pub));
  std::string batch;
  for (int i = 0; i < 5; ++i) batch += Pub("room.1", std::to_string(i) + std::string(99, 'x'));
  ASSERT_TRUE(pub.Send(batch));
  ASSERT_TRUE(pub.Ping());
  nlohmann::json stats = Stats();
  EXPECT_EQ(stats["linger"]["held_now"], 3);
  EXPECT_EQ(stats["linger"]["dropped_for_space"], 2);
  EXPECT_LE(stats["linger"]["bytes_now"].get<int>(), 350);
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(sub.Send("SUB room.1 1\r\n"));
  for (int i = 2; i < 5; ++i) {
    EXPECT_TRUE(sub.ExpectMsg("room.1", "1", "", std::to_string(i) + std::string(99, 'x'))) << "oldest dropped first";
  }
}

TEST_P(LingerTest, InterestQueryNamesSubjectsWithSubscribers) {
  START_SERVER();
  RawClient listener, asker;
  ASSERT_TRUE(Connect(listener));
  ASSERT_TRUE(listener.Send("SUB orders.* 1\r\nSUB billing 2\r\n"));
  ASSERT_TRUE(listener.Ping());
  ASSERT_TRUE(Connect(asker));
  ASSERT_TRUE(
      asker.Send("SUB answer 1\r\n" + Pub("_TERN.INTEREST", R"(["orders.new","billing","shipping"])", "answer")));
  auto msg = asker.ReadMsg();
  ASSERT_TRUE(msg) << asker.last_error();
  EXPECT_EQ(nlohmann::json::parse(msg->payload), nlohmann::json::parse(R"(["orders.new","billing"])"));
  ASSERT_TRUE(asker.Send(Pub("_TERN.INTEREST", "not json", "answer")));
  msg = asker.ReadMsg();
  ASSERT_TRUE(msg);
  EXPECT_TRUE(nlohmann::json::parse(msg->payload).contains("error"));
}

INSTANTIATE_TEST_SUITE_P(Servers, LingerTest, ::testing::ValuesIn(AllTransports({"tern"})), FlavorTransportParamName);

}  // namespace
}  // namespace tern::testing
