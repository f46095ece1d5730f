// Routes that authenticate each other by a shared secret
// (cluster.authorization, nats-server's cluster { authorization {} }):
// nodes with the same secret mesh, a node with a wrong one or none is
// refused (logged with its address, counted) and not meshed, bcrypt hashes,
// credentials in route URLs, the nats-server file form, the timeout, and a
// reload that changes the secret. The refusal transcript runs against
// nats-server too (TERN_TEST_AGAINST_NATS=1): it is the reference for the
// error text. tern does not mesh with nats-server, so nothing here mixes them.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster_fixture.h"
#include "server_test.h"

namespace tern::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// "s3cret" at cost 4 (tern passwd --cost 4), so the test does not wait on bcrypt.
constexpr char kHash[] = "$2b$04$jL/V5S//8BHg3sHdwlnyuu7ilx6yjO8Z/WwCPGYIM1X/FBy/9sTGe";
const std::vector<std::string> kSecret = {"--cluster.authorization.user", "ruser", "--cluster.authorization.password",
                                          "s3cret"};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool LogSays(ServerProcess& p, const std::string& text, milliseconds within = milliseconds(5000)) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (ReadAll(p.stderr_path()).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(25));
  }
  return false;
}

std::string Port(int port) { return "127.0.0.1:" + std::to_string(port); }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tern-route-auth-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

// A node outside the fixture that seeds node 0 of `c`.
std::unique_ptr<ServerProcess> Outsider(Cluster& c, const std::string& name, std::vector<std::string> more) {
  std::vector<std::string> args = {
      "-n", name,       "--cluster",   "nats://127.0.0.1:" + std::to_string(PickFreePort()), "--cluster_name",
      "tc", "--routes", c.route_url(0)};
  args.insert(args.end(), more.begin(), more.end());
  return std::make_unique<ServerProcess>(*MakeFlavor("tern"), ServerLimits{}, args);
}

TEST(RouteAuthTest, NodesWithTheSameSecretMeshAndPassMessages) {
  ClusterSpec spec;
  spec.nodes = 3;
  spec.extra_args = kSecret;
  // Every node seeds every node, itself included: a node that dials itself
  // is no failed authentication.
  spec.seeds = ClusterSpec::Seeds::kAll;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  // WaitMeshed passes a message from every node to every other.
  ASSERT_TRUE(c.WaitMeshed());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.WaitRoutes(i, 2));
  for (int i = 0; i < 3; ++i) {
    nlohmann::json stats = c.Stats(i);
    EXPECT_EQ(stats["cluster"]["auth_failures"], 0) << stats.dump();
    EXPECT_EQ(ReadAll(c.node(i).stderr_path()).find("Authorization Violation"), std::string::npos);
  }
}

TEST(RouteAuthTest, WrongOrMissingSecretIsRefusedLoggedCountedAndNotMeshed) {
  ClusterSpec spec;
  spec.nodes = 2;
  spec.extra_args = kSecret;
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());

  auto wrong = Outsider(c, "wrong", {"--cluster.authorization.user", "ruser", "--cluster.authorization.password", "x"});
  ASSERT_TRUE(wrong->Start()) << wrong->error();
  EXPECT_TRUE(LogSays(c.node(0), "Route Authorization Violation from wrong: wrong user or password (user \"ruser\")"))
      << c.node(0).StderrTail();
  EXPECT_TRUE(LogSays(*wrong, "refused by the peer: Authorization Violation")) << wrong->StderrTail();
  EXPECT_TRUE(LogSays(c.node(0), "127.0.0.1:"));  // the log line starts with the peer's address

  auto none = Outsider(c, "none", {});
  ASSERT_TRUE(none->Start()) << none->error();
  EXPECT_TRUE(LogSays(c.node(0), "Route Authorization Violation from none: no credentials")) << c.node(0).StderrTail();
  EXPECT_TRUE(LogSays(*none, "asks for credentials and this node has none for it"));

  // Both redial with backoff and keep being refused: the count grows, the mesh stays two.
  const auto deadline = Clock::now() + milliseconds(5000);
  int failures = 0;
  while (Clock::now() < deadline && failures < 4) {
    failures = c.Stats(0)["cluster"].value("auth_failures", 0);
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_GE(failures, 4);
  EXPECT_EQ(StatsAt(wrong->port())["cluster"]["routes"], 0);
  EXPECT_EQ(StatsAt(none->port())["cluster"]["routes"], 0);
  EXPECT_TRUE(c.WaitRoutes(0, 1));
  EXPECT_TRUE(c.WaitRoutes(1, 1));
}

// bcrypt in the file of every node; the plain secret travels in the route
// URLs, and a peer learned by gossip is dialled with the seed's secret.
TEST(RouteAuthTest, BcryptHashWithCredentialsInRouteUrls) {
  ClusterSpec spec;
  spec.nodes = 3;
  spec.seeds = ClusterSpec::Seeds::kNone;
  spec.extra_args = {"--cluster.authorization.user", "ruser", "--cluster.authorization.password", kHash};
  Cluster c(spec);
  const std::string seed = "nats-route://ruser:s3cret@" + Port(c.route_port(0));
  ASSERT_TRUE(c.StartNode(0)) << c.error();
  ASSERT_TRUE(c.StartNode(1, {"--routes", seed})) << c.error();
  ASSERT_TRUE(c.StartNode(2, {"--routes", seed})) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.WaitRoutes(i, 2));
  EXPECT_EQ(c.Stats(0)["cluster"]["auth_failures"], 0);
  // The secret never shows in a log.
  // The secret never shows in what the node logs (the harness's exec line before it does).
  for (int i = 0; i < 3; ++i) {
    const std::string log = ReadAll(c.node(i).stderr_path());
    EXPECT_EQ(log.find("s3cret", log.find("Starting tern-server")), std::string::npos) << log;
  }
}

// A node with no secret of its own dials with the URL's credentials;
// nats-server's --cluster nats://user:pass@host:port sets the secret.
TEST(RouteAuthTest, CredentialsFromTheRouteUrlAndTheClusterFlag) {
  const int route0 = PickFreePort();
  ServerProcess n0(*MakeFlavor("tern"), {},
                   {"-n", "n1", "--cluster", "nats://ruser:s3cret@" + Port(route0), "--cluster_name", "tc"});
  ASSERT_TRUE(n0.Start()) << n0.error();
  ServerProcess n1(*MakeFlavor("tern"), {},
                   {"-n", "n2", "--cluster", "nats://" + Port(PickFreePort()), "--cluster_name", "tc", "--routes",
                    "nats-route://ruser:s3cret@" + Port(route0)});
  ASSERT_TRUE(n1.Start()) << n1.error();
  const auto deadline = Clock::now() + milliseconds(5000);
  while (Clock::now() < deadline && StatsAt(n0.port())["cluster"].value("routes", 0) != 1) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(StatsAt(n0.port())["cluster"]["routes"], 1);
  EXPECT_EQ(StatsAt(n1.port())["cluster"]["routes"], 1);
  EXPECT_TRUE(LogSays(n0, "routes authenticate as user ruser"));
}

TEST(RouteAuthTest, NatsServerConfigurationFileForm) {
  TempDir dir;
  const int r0 = PickFreePort(), r1 = PickFreePort();
  auto conf = [&](int own, int other) {
    return "cluster {\n  name: tc\n  listen: " + Port(own) +
           "\n  authorization {\n    user: ruser\n    password: s3cret\n    timeout: 2\n  }\n"
           "  routes = [\n    nats-route://ruser:s3cret@" +
           Port(other) + "\n  ]\n}\n";
  };
  ServerLimits l0, l1;
  l0.config_file = dir.Write("n1.conf", conf(r0, r1));
  l1.config_file = dir.Write("n2.conf", conf(r1, r0));
  ServerProcess n0(*MakeFlavor("tern"), l0, {"-n", "n1"});
  ServerProcess n1(*MakeFlavor("tern"), l1, {"-n", "n2"});
  ASSERT_TRUE(n0.Start()) << n0.error();
  ASSERT_TRUE(n1.Start()) << n1.error();
  const auto deadline = Clock::now() + milliseconds(5000);
  while (Clock::now() < deadline && StatsAt(n0.port())["cluster"].value("routes", 0) != 1) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(StatsAt(n0.port())["cluster"]["routes"], 1) << n0.StderrTail();
  EXPECT_EQ(StatsAt(n1.port())["cluster"]["routes"], 1) << n1.StderrTail();
}

// A peer speaking the route protocol by hand: the INFO asks for
// credentials; a wrong CONNECT gets nats-server's text and a close.
class RouteAuthRefusalTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "nats" && !NatsReferenceEnabled()) GTEST_SKIP() << "set TERN_TEST_AGAINST_NATS=1";
  }
  bool IsNats() const { return GetParam() == "nats"; }
};

TEST_P(RouteAuthRefusalTest, WrongCredentialsGetAuthorizationViolation) {
  const int route = PickFreePort();
  ServerProcess node(*MakeFlavor(GetParam()), {},
                     {"-n", "n1", "--cluster", "nats://ruser:s3cret@" + Port(route), "--cluster_name", "tc"});
  ASSERT_TRUE(node.Start()) << node.error();
  RawClient peer;
  ASSERT_TRUE(peer.Connect(route));
  EXPECT_TRUE(peer.InfoJson().value("auth_required", false)) << peer.info_line();
  // nats-server's dialler sends CONNECT first; tern's route protocol wants INFO first.
  const std::string connect = "CONNECT {\"user\":\"ruser\",\"pass\":\"wrong\",\"name\":\"x\"}\r\n";
  if (IsNats()) {
    ASSERT_TRUE(peer.Send(connect));
  } else {
    ASSERT_TRUE(peer.Send(
        "INFO {\"server_id\":\"NX\",\"server_name\":\"x\",\"cluster\":\"tc\",\"route_protocol\":1}\r\n" + connect));
  }
  EXPECT_TRUE(peer.ExpectErr("Authorization Violation"));
  EXPECT_TRUE(peer.ExpectClosed());
}

INSTANTIATE_TEST_SUITE_P(Servers, RouteAuthRefusalTest, ::testing::Values("tern", "nats"));

TEST(RouteAuthTest, RouteThatDoesNotAuthenticateInTimeIsClosed) {
  ClusterSpec spec;
  spec.nodes = 1;
  spec.extra_args = kSecret;
  spec.extra_args.insert(spec.extra_args.end(), {"--cluster.authorization.timeout", "500ms"});
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  RawClient silent, eager;
  ASSERT_TRUE(silent.Connect(c.route_port(0)));
  ASSERT_TRUE(
      silent.Send("INFO {\"server_id\":\"NS\",\"server_name\":\"s\",\"cluster\":\"tc\",\"route_protocol\":1}\r\n"));
  const auto start = Clock::now();
  EXPECT_TRUE(silent.ExpectErr("Authentication Timeout", milliseconds(3000)));
  EXPECT_GE(Clock::now() - start, milliseconds(400));
  EXPECT_TRUE(silent.ExpectClosed());
  // Interest before CONNECT is refused at once, as nats-server refuses a
  // client's SUB before CONNECT.
  ASSERT_TRUE(eager.Connect(c.route_port(0)));
  ASSERT_TRUE(
      eager.Send("INFO {\"server_id\":\"NE\",\"server_name\":\"e\",\"cluster\":\"tc\",\"route_protocol\":1}\r\n"
                 "RS+ foo\r\n"));
  EXPECT_TRUE(eager.ExpectErr("Authorization Violation"));
  nlohmann::json stats = c.Stats(0);
  EXPECT_EQ(stats["cluster"]["auth_timeouts"], 1) << stats.dump();
  EXPECT_EQ(stats["cluster"]["auth_failures"], 1) << stats.dump();
}

// SIGHUP with a new secret: the route accepted under the old one is closed
// and its node, still on the old secret, is refused from then on.
TEST(RouteAuthTest, ReloadWithANewSecretClosesRoutesThatNoLongerPass) {
  TempDir dir;
  const int r0 = PickFreePort();
  auto yaml = [&](const std::string& password) {
    return "cluster:\n  name: tc\n  listen: " + Port(r0) +
           "\n  authorization:\n    user: ruser\n    password: " + password + "\n";
  };
  ServerLimits l0;
  l0.config_file = dir.Write("n1.yaml", yaml("s3cret"));
  ServerProcess n0(*MakeFlavor("tern"), l0, {"-n", "n1"});
  ASSERT_TRUE(n0.Start()) << n0.error();
  ServerProcess n1(*MakeFlavor("tern"), {},
                   {"-n", "n2", "--cluster", "nats://" + Port(PickFreePort()), "--cluster_name", "tc", "--routes",
                    "nats-route://ruser:s3cret@" + Port(r0)});
  ASSERT_TRUE(n1.Start()) << n1.error();
  auto routes = [](ServerProcess& p) { return StatsAt(p.port())["cluster"].value("routes", -1); };
  auto deadline = Clock::now() + milliseconds(5000);
  while (Clock::now() < deadline && routes(n0) != 1) std::this_thread::sleep_for(milliseconds(50));
  ASSERT_EQ(routes(n0), 1);

  dir.Write("n1.yaml", yaml("n3w"));
  n0.Signal(SIGHUP);
  EXPECT_TRUE(LogSays(n0, "its credentials are no longer valid after a reload")) << n0.StderrTail();
  deadline = Clock::now() + milliseconds(5000);
  while (Clock::now() < deadline && routes(n0) != 0) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(routes(n0), 0);
  EXPECT_TRUE(LogSays(n1, "refused by the peer: Authorization Violation"));
  EXPECT_EQ(routes(n1), 0);
}

}  // namespace
}  // namespace tern::testing
