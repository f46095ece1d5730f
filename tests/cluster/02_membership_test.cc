// Who is in the cluster and who is refused: duplicate names, a node
// restarted with its name, version and cluster-name mismatches (a peer
// speaking the route protocol by hand), mutual TLS, a slow route that must
// not hold up the node's own subscribers, and a node leaving in lame duck.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cluster_fixture.h"
#include "server_test.h"
#include "test_certs.h"

namespace tern::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool LogSays(ServerProcess& p, const std::string& text, milliseconds within = milliseconds(3000)) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (ReadAll(p.stderr_path()).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(25));
  }
  return false;
}

// A hand-written peer: connects to a node's route port and speaks INFO.
std::string PeerInfo(const std::string& id, const std::string& name, int protocol, const std::string& cluster = "tc") {
  return "INFO {\"server_id\":\"" + id + "\",\"server_name\":\"" + name + "\",\"cluster\":\"" + cluster +
         "\",\"route_protocol\":" + std::to_string(protocol) +
         ",\"route_url\":\"\",\"connect_urls\":[],\"routes\":[]}\r\n";
}

TEST(ClusterMembershipTest, DuplicateNameGetsAClearErrorAndIsNotMeshed) {
  ClusterSpec spec;
  spec.nodes = 2;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  // A third node that calls itself n2 too.
  ServerProcess dup(*MakeFlavor("tern"), {},
                    {"-n", "n2", "--cluster", "nats://127.0.0.1:" + std::to_string(PickFreePort()), "--cluster_name",
                     "tc", "--routes", c.route_url(0)});
  ASSERT_TRUE(dup.Start()) << dup.error();
  EXPECT_TRUE(LogSays(dup, "duplicate server name 'n2'")) << dup.StderrTail();
  EXPECT_TRUE(LogSays(c.node(0), "Refusing route"));
  nlohmann::json stats = StatsAt(dup.port());
  EXPECT_EQ(stats["cluster"]["routes"], 0) << stats.dump();
  EXPECT_TRUE(c.WaitRoutes(0, 1));
  EXPECT_TRUE(c.WaitRoutes(1, 1));
}

TEST(ClusterMembershipTest, NodeKilledAndRestartedWithItsNameRejoins) {
  ClusterSpec spec;
  spec.nodes = 3;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  const std::string old_id = c.Stats(1)["server_id"];
  c.Kill(1);
  EXPECT_TRUE(c.WaitRoutes(0, 1));
  EXPECT_TRUE(c.WaitRoutes(2, 1));
  ASSERT_TRUE(c.StartNode(1)) << c.error();
  EXPECT_NE(c.Stats(1)["server_id"], old_id);
  EXPECT_TRUE(c.WaitMeshed());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.WaitRoutes(i, 2));
}

TEST(ClusterMembershipTest, RouteProtocolVersionMismatchIsRefusedClearly) {
  ClusterSpec spec;
  spec.nodes = 1;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  RawClient peer;
  ASSERT_TRUE(peer.Connect(c.route_port(0)));  // reads the node's INFO
  EXPECT_TRUE(peer.InfoJson().value("route_protocol", 0) >= 1) << peer.info_line();
  ASSERT_TRUE(peer.Send(PeerInfo("NFUTURE", "future", 99)));
  EXPECT_TRUE(peer.ExpectErr("route protocol version mismatch: this node speaks 1, the peer 99"));
  EXPECT_TRUE(peer.ExpectClosed());
  EXPECT_TRUE(LogSays(c.node(0), "route protocol version mismatch"));
}

TEST(ClusterMembershipTest, RouteFromAnotherClusterIsRefused) {
  ClusterSpec spec;
  spec.nodes = 1;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  RawClient peer;
  ASSERT_TRUE(peer.Connect(c.route_port(0)));
  ASSERT_TRUE(peer.Send(PeerInfo("NOTHER", "other", 1, "elsewhere")));
  EXPECT_TRUE(peer.ExpectErr("cluster name mismatch: this node is in 'tc', the peer in 'elsewhere'"));
  EXPECT_TRUE(peer.ExpectClosed());
}

// A member's subscriptions are known where `pub` publishes once a probe
// subscribed behind them gets through.
::testing::AssertionResult KnownTo(RawClient& pub, RawClient& member) {
  if (auto r = member.Send("SUB _ready 9\r\n"); !r) return r;
  bool through = false;
  for (int i = 0; i < 200 && !through; ++i) {
    if (auto r = pub.Send(Pub("_ready", "r")); !r) return r;
    through = member.ReadMsg(milliseconds(20)).has_value();
  }
  if (!through) return ::testing::AssertionFailure() << "the member's interest never reached the publisher's node";
  if (auto r = member.Send("UNSUB 9\r\nPING\r\n"); !r) return r;
  while (member.ReadLine(milliseconds(500)).value_or("PONG") != "PONG") {
  }
  return ::testing::AssertionSuccess();
}

// Queue messages published on n1 until `marker` arrives on jobs.end, per member.
std::map<RawClient*, int> CountWork(RawClient& pub, std::initializer_list<RawClient*> members, int count,
                                    const std::string& marker) {
  std::string batch;
  for (int i = 0; i < count; ++i) batch += Pub("jobs", std::to_string(i));
  batch += Pub("jobs.end", marker);
  EXPECT_TRUE(pub.Send(batch));
  std::map<RawClient*, int> got;
  for (RawClient* m : members) {
    got[m] = 0;
    for (;;) {
      auto msg = m->ReadMsg(milliseconds(3000));
      if (!msg) {
        ADD_FAILURE() << "marker " << marker << " never arrived";
        break;
      }
      if (msg->payload == marker) break;
      ++got[m];
    }
  }
  return got;
}

// SIGUSR2: the node stops accepting, tells its clients (INFO ldm) and its
// peers, which send its queue members no more work while another node has
// members; its clients are closed within lame_duck_duration and it exits.
TEST(ClusterMembershipTest, LameDuckNodeLosesQueueWorkFirstThenClosesItsClientsAndExits) {
  ClusterSpec spec;
  spec.nodes = 2;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ServerProcess duck(
      *MakeFlavor("tern"), {},
      {"-n", "n3", "--cluster", "nats://127.0.0.1:" + std::to_string(PickFreePort()), "--cluster_name", "tc",
       "--routes", c.route_url(0), "--lame_duck_duration", "4s", "--lame_duck_grace_period", "3s"});
  ASSERT_TRUE(duck.Start()) << duck.error();
  duck.set_check_exit(false);  // it exits on its own
  ASSERT_TRUE(c.WaitRoutes(0, 2));
  ASSERT_TRUE(c.WaitRoutes(1, 2));

  RawClient pub, m2, m3, watcher;
  ASSERT_TRUE(pub.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(m2.ConnectAndHandshake(c.port(1), kClusterConnect));
  ASSERT_TRUE(m3.ConnectAndHandshake(duck.port(), kClusterConnect));
  ASSERT_TRUE(watcher.ConnectAndHandshake(duck.port(), kClusterConnectAsyncInfo));
  for (RawClient* m : {&m2, &m3}) ASSERT_TRUE(m->Send("SUB jobs workers 1\r\nSUB jobs.end 2\r\nPING\r\n"));
  ASSERT_TRUE(m2.Expect("PONG"));
  ASSERT_TRUE(m3.Expect("PONG"));
  ASSERT_TRUE(KnownTo(pub, m2));
  ASSERT_TRUE(KnownTo(pub, m3));
  auto before = CountWork(pub, {&m2, &m3}, 200, "before");
  EXPECT_EQ(before[&m2] + before[&m3], 200);
  EXPECT_GT(before[&m3], 0) << "the node about to leave got no queue work even before";

  duck.Signal(SIGUSR2);
  bool told = false;
  for (auto line = watcher.ReadLine(milliseconds(2000)); line && !told; line = watcher.ReadLine(milliseconds(2000))) {
    told = line->starts_with("INFO ") && line->find("\"ldm\":true") != std::string::npos;
  }
  EXPECT_TRUE(told) << "no INFO with ldm";
  EXPECT_TRUE(LogSays(c.node(0), "Route n3 is draining"));
  RawClient late;
  EXPECT_FALSE(late.Connect(duck.port(), {.read_info = true, .timeout = milliseconds(500)}))
      << "a node in lame duck still accepts clients";

  // Within the grace period its members are still connected, and get nothing.
  auto during = CountWork(pub, {&m2, &m3}, 200, "during");
  EXPECT_EQ(during[&m2], 200);
  EXPECT_EQ(during[&m3], 0);

  EXPECT_TRUE(m3.ExpectClosed(milliseconds(5000)));
  const auto deadline = Clock::now() + milliseconds(4000);
  while (duck.IsRunning() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(duck.IsRunning()) << "still running after lame_duck_duration";
  EXPECT_TRUE(LogSays(duck, "Entering lame duck mode"));
  EXPECT_TRUE(c.WaitRoutes(0, 1));
  auto after = CountWork(pub, {&m2}, 50, "after");
  EXPECT_EQ(after[&m2], 50);
}

// _TERN.ADMIN.PAUSE on a node: its peers send it no queue work, its
// clients stay connected; _TERN.ADMIN.RESUME gives it work again.
TEST(ClusterMembershipTest, PausedNodeGetsNoQueueWorkUntilResumed) {
  ClusterSpec spec;
  spec.nodes = 3;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  RawClient pub, m2, m3, admin;
  ASSERT_TRUE(pub.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(m2.ConnectAndHandshake(c.port(1), kClusterConnect));
  ASSERT_TRUE(m3.ConnectAndHandshake(c.port(2), kClusterConnect));
  ASSERT_TRUE(admin.ConnectAndHandshake(c.port(2), kClusterConnect));
  for (RawClient* m : {&m2, &m3}) ASSERT_TRUE(m->Send("SUB jobs workers 1\r\nSUB jobs.end 2\r\n"));
  ASSERT_TRUE(KnownTo(pub, m2));
  ASSERT_TRUE(KnownTo(pub, m3));
  EXPECT_GT(CountWork(pub, {&m2, &m3}, 200, "before")[&m3], 0);

  ASSERT_TRUE(admin.Send("SUB admin 1\r\n" + Pub("_TERN.ADMIN.PAUSE", "", "admin")));
  auto answer = admin.ReadMsg();
  ASSERT_TRUE(answer);
  EXPECT_EQ(nlohmann::json::parse(answer->payload), nlohmann::json::parse(R"({"paused":true,"changed":true})"));
  EXPECT_TRUE(LogSays(c.node(0), "Route n3 is draining"));
  auto paused = CountWork(pub, {&m2, &m3}, 200, "paused");
  EXPECT_EQ(paused[&m2], 200);
  EXPECT_EQ(paused[&m3], 0);
  EXPECT_EQ(c.Stats(2)["cluster"]["paused"], true);

  ASSERT_TRUE(admin.Send(Pub("_TERN.ADMIN.RESUME", "", "admin")));
  answer = admin.ReadMsg();
  ASSERT_TRUE(answer);
  EXPECT_EQ(nlohmann::json::parse(answer->payload), nlohmann::json::parse(R"({"paused":false,"changed":true})"));
  EXPECT_TRUE(LogSays(c.node(0), "Route n3 takes queue work again"));
  // The weights come back in the RS+ lines right behind that INFO.
  int resumed = 0;
  for (int round = 0; round < 10 && resumed == 0; ++round) {
    resumed = CountWork(pub, {&m2, &m3}, 100, "resumed" + std::to_string(round))[&m3];
  }
  EXPECT_GT(resumed, 0);
}

TEST(ClusterMembershipTest, SlowRouteDropsAndIsReportedWhileLocalSubscribersGetEverything) {
  ClusterSpec spec;
  spec.nodes = 1;
  spec.extra_args = {"--cluster.max_pending", "256KiB", "--cluster.ping_interval", "300ms"};
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  // A peer that takes interest in everything and then stops reading.
  RawClient peer;
  ASSERT_TRUE(peer.Connect(c.route_port(0), {.read_info = true, .recv_buffer = 4096}));
  ASSERT_TRUE(peer.Send(PeerInfo("NSLOWPEER", "slow", 1) + "RS+ load\r\nRSYNC 1\r\n"));
  RawClient local, pub;
  ASSERT_TRUE(local.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(pub.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(local.Send("SUB load 1\r\n"));
  ASSERT_TRUE(local.Ping());
  std::this_thread::sleep_for(milliseconds(100));  // the peer's RS+ is in
  constexpr int kCount = 4000;
  const std::string payload(1024, 'x');
  const auto start = Clock::now();
  std::thread reader([&] {
    int got = 0;
    while (got < kCount) {
      auto m = local.ReadMsg(milliseconds(3000));
      if (!m) break;
      ++got;
    }
    EXPECT_EQ(got, kCount) << "the local subscriber lost messages to the slow route";
  });
  std::string batch;
  for (int i = 0; i < kCount; ++i) {
    batch += Pub("load", payload);
    if (batch.size() > 256 * 1024) {
      ASSERT_TRUE(pub.Send(batch));
      batch.clear();
    }
  }
  ASSERT_TRUE(pub.Send(batch));
  reader.join();
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
  EXPECT_TRUE(LogSays(c.node(0), "Route to slow is slow"));
  const auto deadline = Clock::now() + milliseconds(3000);
  uint64_t dropped = 0;
  while (Clock::now() < deadline && dropped == 0) {
    dropped = c.Stats(0)["cluster"].value("dropped_to_slow_routes", 0ull);
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_GT(dropped, 0u);
}

TEST(ClusterMembershipTest, MutualTlsRoutesMeshAndAPlainNodeCannotJoin) {
  std::string why;
  const TestCerts* certs = GetTestCerts(&why);
  if (certs == nullptr) GTEST_SKIP() << why;
  ClusterSpec spec;
  spec.nodes = 2;
  spec.extra_args = {"--cluster.tls.cert_file", certs->server_cert,      "--cluster.tls.key_file",
                     certs->server_key,         "--cluster.tls.ca_file", certs->ca_cert};
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  ServerProcess plain(*MakeFlavor("tern"), {},
                      {"-n", "plain", "--cluster", "nats://127.0.0.1:" + std::to_string(PickFreePort()),
                       "--cluster_name", "tc", "--routes", c.route_url(0)});
  ASSERT_TRUE(plain.Start()) << plain.error();
  std::this_thread::sleep_for(milliseconds(800));
  EXPECT_EQ(StatsAt(plain.port())["cluster"]["routes"], 0);
  EXPECT_TRUE(c.WaitRoutes(0, 1));
}

}  // namespace
}  // namespace tern::testing
