// Membership from a real etcd-server (Debian's 3.4) started by the test:
// nodes find each other with no seeds, a node that leaves is forgotten at
// once (its lease revoked), one killed with SIGKILL when its lease expires;
// etcd stopped under traffic changes nothing on the data path and
// membership resumes when it is back; a duplicate name is refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cluster_fixture.h"

namespace tern::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool LogSays(ServerProcess& p, const std::string& text, milliseconds within) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (Slurp(p.stderr_path()).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(25));
  }
  return false;
}

// One etcd member on free loopback ports, its data in a temporary directory.
class Etcd {
 public:
  Etcd() : client_port_(PickFreePort()), peer_port_(PickFreePort()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("tern-etcd-" + std::to_string(getpid()) + "-" + std::to_string(client_port_));
  }
  ~Etcd() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove(dir_.string() + ".log", ec);
  }
  static std::string Binary() {
    for (const char* p : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
      if (access(p, X_OK) == 0) return p;
    }
    return {};
  }
  bool Start() {
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    const std::string log = dir_.string() + ".log";
    // Built before fork: the child may not allocate (other threads may hold
    // the allocator's lock at the fork).
    const std::string bin = Binary(), data = dir_.string(), initial = "default=" + peer;
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(bin.c_str(), bin.c_str(), "--data-dir", data.c_str(), "--listen-client-urls", client.c_str(),
            "--advertise-client-urls", client.c_str(), "--listen-peer-urls", peer.c_str(),
            "--initial-advertise-peer-urls", peer.c_str(), "--initial-cluster", initial.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when a range answers.
    const auto deadline = Clock::now() + milliseconds(10000);
    while (Clock::now() < deadline) {
      RawClient probe;
      if (probe.Connect(client_port_, {.read_info = false, .recv_buffer = 0, .timeout = milliseconds(200)})) {
        const std::string body = "{\"key\":\"AA==\"}";
        probe.Send("POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
        auto line = probe.ReadLine(milliseconds(300));
        if (line && line->find("200") != std::string::npos) return true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

 private:
  int client_port_, peer_port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

class EtcdClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Etcd::Binary().empty()) GTEST_SKIP() << "etcd-server is not installed (scripts/setup-deps.sh test)";
    ASSERT_TRUE(etcd_.Start()) << "etcd did not come up";
  }
  std::unique_ptr<Cluster> Make(int n) {
    ClusterSpec spec;
    spec.nodes = n;
    spec.seeds = ClusterSpec::Seeds::kNone;
    spec.extra_args = {"--cluster.etcd.endpoints", etcd_.endpoint(),
                       "--cluster.etcd.ttl",       "2s",
                       "--cluster.etcd.prefix",    "/tern-test/" + std::to_string(getpid()),
                       "--cluster.ping_interval",  "250ms"};
    return std::make_unique<Cluster>(spec);
  }
  Etcd etcd_;
};

TEST_F(EtcdClusterTest, NodesFindEachOtherLeaveAndExpire) {
  auto c = Make(4);
  ASSERT_TRUE(c->Start()) << c->error();
  ASSERT_TRUE(c->WaitMeshed());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(c->WaitRoutes(i, 3));
  // Leaving: the lease is revoked on the way out, peers forget it at once.
  const auto left = Clock::now();
  c->Stop(3);
  EXPECT_TRUE(
      LogSays(c->node(0), "etcd: node /tern-test/" + std::to_string(getpid()) + "/n4 left", milliseconds(2000)));
  std::printf("[ figures  ] etcd: a stopped node forgotten after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - left).count()));
  // Dying: forgotten when the 2 s lease runs out.
  const auto killed = Clock::now();
  c->Kill(2);
  EXPECT_TRUE(LogSays(c->node(0), "/n3 left", milliseconds(6000)));
  std::printf("[ figures  ] etcd: a node killed with SIGKILL forgotten after %lld ms (lease TTL 2s)\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - killed).count()));
  EXPECT_TRUE(c->WaitRoutes(0, 1));
  EXPECT_TRUE(c->WaitRoutes(1, 1));
}

TEST_F(EtcdClusterTest, EtcdDownUnderTrafficChangesNothingAndMembershipResumes) {
  auto c = Make(3);
  ASSERT_TRUE(c->StartNode(0) && c->StartNode(1)) << c->error();
  ASSERT_TRUE(c->WaitRoutes(0, 1));
  RawClient sub, pub;
  ASSERT_TRUE(sub.ConnectAndHandshake(c->port(1), kClusterConnect));
  ASSERT_TRUE(pub.ConnectAndHandshake(c->port(0), kClusterConnect));
  ASSERT_TRUE(sub.Send("SUB flow 1\r\n"));
  ASSERT_TRUE(c->WaitInterest(0, sub, "flow"));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::thread ticker([&] {
    for (uint64_t seq = 1; !stop; ++seq) {
      if (!pub.Send(Pub("flow", std::to_string(seq)))) break;
      sent = seq;
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  uint64_t expect = 0, lost = 0;
  auto read_for = [&](milliseconds d) {
    const auto until = Clock::now() + d;
    while (Clock::now() < until) {
      auto m = sub.ReadMsg(milliseconds(300));
      if (!m || m->payload.starts_with("probe")) continue;
      const uint64_t seq = std::stoull(m->payload);
      if (expect != 0 && seq != expect) lost += seq - expect;
      expect = seq + 1;
    }
  };
  read_for(milliseconds(300));
  etcd_.Stop();
  // Longer than the lease: the registrations expire while etcd is away.
  read_for(milliseconds(3000));
  // A node started while etcd is down finds nobody...
  ASSERT_TRUE(c->StartNode(2)) << c->error();
  read_for(milliseconds(500));
  EXPECT_EQ(c->Stats(2)["cluster"]["routes"], 0);
  // ...until etcd returns, when everyone registers again and meets it.
  ASSERT_TRUE(etcd_.Start());
  read_for(milliseconds(500));
  stop = true;
  ticker.join();
  EXPECT_EQ(lost, 0u) << "messages lost between nodes while etcd was down";
  EXPECT_GT(expect, 1000u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c->WaitRoutes(i, 2, milliseconds(10000)));
  EXPECT_TRUE(c->WaitMeshed());
}

TEST_F(EtcdClusterTest, DuplicateNameIsRefused) {
  auto c = Make(2);
  ASSERT_TRUE(c->Start()) << c->error();
  ASSERT_TRUE(c->WaitRoutes(0, 1));
  ServerProcess dup(*MakeFlavor("tern"), {},
                    {"-n", "n1", "--cluster", "nats://127.0.0.1:" + std::to_string(PickFreePort()), "--cluster_name",
                     "tc", "--cluster.etcd.endpoints", etcd_.endpoint(), "--cluster.etcd.ttl", "2s",
                     "--cluster.etcd.prefix", "/tern-test/" + std::to_string(getpid())});
  ASSERT_TRUE(dup.Start()) << dup.error();
  EXPECT_TRUE(LogSays(dup, "server name 'n1' is already registered by another node", milliseconds(3000)));
  EXPECT_TRUE(LogSays(dup, "duplicate server name 'n1'", milliseconds(3000)));
  EXPECT_EQ(StatsAt(dup.port())["cluster"]["routes"], 0);
  EXPECT_TRUE(c->WaitRoutes(0, 1));
  EXPECT_TRUE(c->WaitRoutes(1, 1));
}

}  // namespace
}  // namespace tern::testing
