// Who is in the cluster and who is refused: duplicate names, a node
// restarted with its name, version and cluster-name mismatches (a peer
// speaking the route protocol by hand), mutual TLS, and a slow route that
// must not hold up the node's own subscribers.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
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
         "\",\"route_protocol\":" + std::to_string(protocol) + ",\"route_url\":\"\",\"connect_urls\":[],\"routes\":[]}\r\n";
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
  spec.extra_args = {"--cluster.tls.cert_file", certs->server_cert, "--cluster.tls.key_file", certs->server_key,
                     "--cluster.tls.ca_file", certs->ca_cert};
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
