// Limits, each enforced with the error a client expects: max_connections,
// max_subscriptions, slow consumers (max_pending), stale connections
// (ping_interval + max_pings_out).
#include <string>
#include <thread>
#include <vector>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;

class LimitsTest : public ServerTest {};

TEST_P(LimitsTest, ConnectionOverMaxConnectionsIsRefused) {
  ServerLimits limits;
  limits.max_connections = 5;
  START_SERVER(limits);
  std::vector<RawClient> clients(5);
  for (auto& c : clients) ASSERT_TRUE(Connect(c));

  // The refused client still reads INFO, then the error, then EOF.
  RawClient extra;
  ASSERT_TRUE(extra.Connect(port()));
  EXPECT_TRUE(extra.ExpectErr("maximum connections exceeded"));
  EXPECT_TRUE(extra.ExpectClosed());

  for (auto& c : clients) EXPECT_TRUE(c.Ping());
}

TEST_P(LimitsTest, SlotIsFreedWhenAConnectionCloses) {
  ServerLimits limits;
  limits.max_connections = 2;
  START_SERVER(limits);
  RawClient a, b;
  ASSERT_TRUE(Connect(a));
  ASSERT_TRUE(Connect(b));
  b.Close();
  // The server notices the close asynchronously; retry for a bounded time.
  for (int attempt = 0; attempt < 40; ++attempt) {
    RawClient c;
    ASSERT_TRUE(c.Connect(port()));
    ASSERT_TRUE(c.Send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n"));
    auto line = c.ReadLine();
    if (line && *line == "PONG") {
      EXPECT_TRUE(a.Ping());
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
  FAIL() << "a closed connection's slot was never given back";
}

TEST_P(LimitsTest, SubscriptionOverMaxIsRefusedButConnectionStays) {
  ServerLimits limits;
  limits.max_subscriptions = 3;
  START_SERVER(limits);
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nSUB d 4\r\n"));
  EXPECT_TRUE(c.ExpectErr("maximum subscriptions exceeded"));
  EXPECT_TRUE(c.Ping());
  // The first three work, the refused one does not exist.
  ASSERT_TRUE(c.Send(Pub("a", "1") + Pub("c", "3") + Pub("d", "4")));
  EXPECT_TRUE(c.ExpectMsg("a", "1", "", "1"));
  EXPECT_TRUE(c.ExpectMsg("c", "3", "", "3"));
  EXPECT_TRUE(c.Ping());
  // After an UNSUB there is room again.
  ASSERT_TRUE(c.Send("UNSUB 1\r\nSUB d 4\r\n" + Pub("d", "4")));
  EXPECT_TRUE(c.ExpectMsg("d", "4", "", "4"));
}

TEST_P(LimitsTest, MaxSubscriptionsIsPerConnection) {
  ServerLimits limits;
  limits.max_subscriptions = 2;
  START_SERVER(limits);
  RawClient a, b;
  ASSERT_TRUE(Connect(a));
  ASSERT_TRUE(Connect(b));
  ASSERT_TRUE(a.Send("SUB x 1\r\nSUB y 2\r\n"));
  EXPECT_TRUE(a.Ping());
  ASSERT_TRUE(b.Send("SUB x 1\r\nSUB y 2\r\n"));
  EXPECT_TRUE(b.Ping());
}

// A subscriber that never reads is cut off once max_pending is queued for
// it, and the subscriber that keeps up receives every message meanwhile.
TEST_P(LimitsTest, SlowConsumerIsClosedWhileOthersReceiveEverything) {
  ServerLimits limits;
  limits.max_pending = 1024 * 1024;
  limits.write_deadline = 2s;
  START_SERVER(limits);

  RawClient slow, good, pub;
  ConnectOptions tiny_window;
  tiny_window.recv_buffer = 4096;  // keep the kernel from absorbing the backlog
  ASSERT_TRUE(Connect(slow, "{\"verbose\":false,\"pedantic\":false}", tiny_window));
  ASSERT_TRUE(Connect(good));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(slow.Send("SUB feed 1\r\n"));
  ASSERT_TRUE(slow.Ping());
  ASSERT_TRUE(good.Send("SUB feed 1\r\n"));
  ASSERT_TRUE(good.Ping());

  // 24 MiB in batches small enough that the good reader never falls
  // max_pending behind: publish a batch, read all of it, repeat.
  const std::string payload(1000, 'p');
  const int kBatches = 48, kPerBatch = 500;
  std::string batch;
  for (int i = 0; i < kPerBatch; ++i) batch += Pub("feed", payload);
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_TRUE(pub.Send(batch, 10s)) << "batch " << b;
    for (int i = 0; i < kPerBatch; ++i) {
      auto m = good.ReadMsg(5s);
      ASSERT_TRUE(m) << "good subscriber lost message " << b * kPerBatch + i << ": " << good.last_error();
      ASSERT_EQ(m->payload.size(), payload.size());
    }
  }
  EXPECT_TRUE(good.Ping());
  EXPECT_TRUE(pub.Ping());

  std::string drained;
  EXPECT_TRUE(slow.ExpectClosed(10s, &drained)) << "slow consumer was never disconnected";
  EXPECT_LT(drained.size(), static_cast<size_t>(kBatches) * kPerBatch * 1000) << "it received everything";

  RawClient fresh;
  EXPECT_TRUE(Connect(fresh)) << "server stopped accepting after a slow consumer";
}

// A client that never answers PING is declared stale: the server pings
// every ping_interval and gives up after max_pings_out unanswered pings.
TEST_P(LimitsTest, UnansweredPingsCloseStaleConnection) {
  ServerLimits limits;
  limits.ping_interval = 1s;
  limits.max_pings_out = 2;
  START_SERVER(limits);
  RawClient quiet, lively;
  ASSERT_TRUE(Connect(quiet));
  ASSERT_TRUE(Connect(lively));
  quiet.set_auto_pong(false);

  // Read the quiet client in short slices so the lively one, which answers
  // its pings, can be served in between.
  const auto start = std::chrono::steady_clock::now();
  int pings = 0;
  std::string last;
  while (std::chrono::steady_clock::now() - start < 8s) {
    auto line = quiet.ReadLine(100ms);
    if (!line) {
      ASSERT_EQ(quiet.last_error(), "timed out") << "after " << pings << " pings";
      ASSERT_TRUE(lively.AnswerPingsFor(100ms));
      continue;
    }
    if (*line != "PING") {
      last = *line;
      break;
    }
    ++pings;
    ASSERT_LE(pings, 3) << "still pinging, never declared stale";
  }
  EXPECT_EQ(last, "-ERR 'Stale Connection'");
  EXPECT_GE(pings, 2);
  EXPECT_TRUE(quiet.ExpectClosed());
  // The client that answered its pings over the same period is still served.
  EXPECT_TRUE(lively.Ping());
}

TERN_INSTANTIATE_FLAVORS(LimitsTest);

}  // namespace
}  // namespace tern::testing
