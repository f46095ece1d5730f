// Failures: a node killed with SIGKILL under load (survivors keep
// delivering without a gap, the dead node's interest goes, it is redialled
// and rejoins), and a route cut or blackholed by a proxy and then healed
// (interest converges to what changed meanwhile on both sides).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "cluster_fixture.h"
#include "tcp_proxy.h"

namespace tern::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Publishes "<seq>" on `subject` every ~`every` until stopped.
class Ticker {
 public:
  Ticker(int port, std::string subject, milliseconds every) : subject_(std::move(subject)) {
    EXPECT_TRUE(pub_.ConnectAndHandshake(port));
    thread_ = std::thread([this, every] {
      for (uint64_t seq = 1; !stop_; ++seq) {
        if (!pub_.Send(Pub(subject_, std::to_string(seq)))) break;
        sent_ = seq;
        std::this_thread::sleep_for(every);
      }
    });
  }
  ~Ticker() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t sent() const { return sent_; }

 private:
  RawClient pub_;
  std::string subject_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

TEST(ClusterFaultTest, KillNineUnderLoadLeavesNoGapOnSurvivorsAndTheNodeRejoins) {
  ClusterSpec spec;
  spec.nodes = 3;
  spec.extra_args = {"--cluster.ping_interval", "250ms"};
  Cluster c(spec);
  ASSERT_TRUE(c.Start()) << c.error();
  ASSERT_TRUE(c.WaitMeshed());
  RawClient sub1, sub3;
  ASSERT_TRUE(sub1.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(sub3.ConnectAndHandshake(c.port(2), kClusterConnect));
  ASSERT_TRUE(sub1.Send("SUB load.* 1\r\n"));
  ASSERT_TRUE(sub3.Send("SUB load.* 1\r\nSUB only.on.three 2\r\nSUB ready.3 3\r\n"));
  ASSERT_TRUE(sub1.Send("SUB ready.1 3\r\n"));
  ASSERT_TRUE(c.WaitInterest(1, sub1, "ready.1"));
  ASSERT_TRUE(c.WaitInterest(0, sub3, "ready.3"));
  ASSERT_TRUE(c.WaitInterest(1, sub3, "ready.3"));

  // Two streams into node 1's subscriber: one local, one across a route;
  // both also go to node 3, which dies in the middle.
  Ticker local(c.port(0), "load.local", milliseconds(1));
  Ticker remote(c.port(1), "load.remote", milliseconds(1));
  std::map<std::string, uint64_t> last;
  std::map<std::string, uint64_t> gaps;
  milliseconds longest_pause{0};
  auto read_for = [&](milliseconds d) {
    const auto until = Clock::now() + d;
    auto previous = Clock::now();
    while (Clock::now() < until) {
      auto m = sub1.ReadMsg(milliseconds(500));
      if (!m) continue;
      const auto now = Clock::now();
      longest_pause = std::max(longest_pause, std::chrono::duration_cast<milliseconds>(now - previous));
      previous = now;
      const uint64_t seq = std::stoull(m->payload);
      uint64_t& l = last[m->subject];
      if (l != 0 && seq != l + 1) gaps[m->subject] += seq - l - 1;
      l = seq;
    }
  };
  read_for(milliseconds(300));
  const milliseconds before = longest_pause;
  longest_pause = milliseconds(0);
  c.Kill(2);
  read_for(milliseconds(1000));
  local.Stop();
  remote.Stop();
  std::printf(
      "[ figures  ] kill -9 of node 3: longest pause between messages at node 1's subscriber %lld ms "
      "(before the kill %lld ms); lost local %llu, lost via node 2 %llu\n",
      static_cast<long long>(longest_pause.count()), static_cast<long long>(before.count()),
      static_cast<unsigned long long>(gaps["load.local"]), static_cast<unsigned long long>(gaps["load.remote"]));
  EXPECT_EQ(gaps["load.local"], 0u);
  EXPECT_EQ(gaps["load.remote"], 0u);
  EXPECT_GT(last["load.local"], 500u);
  EXPECT_GT(last["load.remote"], 500u);

  // The dead node's interest is gone: a request to it gets no responders.
  RawClient requester;
  ASSERT_TRUE(requester.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(requester.Send("SUB inbox 1\r\n"));
  bool no_responders = false;
  const auto deadline = Clock::now() + milliseconds(3000);
  while (!no_responders && Clock::now() < deadline) {
    ASSERT_TRUE(requester.Send(Pub("only.on.three", "x", "inbox")));
    auto m = requester.ReadMsg(milliseconds(200));
    no_responders = m && m->has_headers && m->headers.starts_with("NATS/1.0 503");
  }
  EXPECT_TRUE(no_responders);

  // Redialled and rejoined once it is back.
  ASSERT_TRUE(c.StartNode(2)) << c.error();
  EXPECT_TRUE(c.WaitMeshed());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.WaitRoutes(i, 2));
}

class RouteCutTest : public ::testing::TestWithParam<TcpProxy::Mode> {};

// Two nodes whose every route goes through a proxy: each advertises its
// proxy, so whichever dials the other passes through one.
TEST_P(RouteCutTest, InterestConvergesAfterTheLinkHeals) {
  ClusterSpec spec;
  spec.nodes = 2;
  spec.seeds = ClusterSpec::Seeds::kNone;
  spec.extra_args = {"--cluster.ping_interval", "200ms"};
  Cluster c(spec);
  TcpProxy p1(c.route_port(0)), p2(c.route_port(1));
  ASSERT_TRUE(c.StartNode(0, {"--cluster.advertise", "127.0.0.1:" + std::to_string(p1.port())}));
  ASSERT_TRUE(c.StartNode(1, {"--cluster.advertise", "127.0.0.1:" + std::to_string(p2.port()), "--routes",
                              "nats://127.0.0.1:" + std::to_string(p1.port())}));
  ASSERT_TRUE(c.WaitMeshed());
  RawClient s1, s2;
  ASSERT_TRUE(s1.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(s2.ConnectAndHandshake(c.port(1), kClusterConnect));
  ASSERT_TRUE(s2.Send("SUB before.cut 1\r\n"));
  ASSERT_TRUE(c.WaitInterest(0, s2, "before.cut"));

  p1.set_mode(GetParam());
  p2.set_mode(GetParam());
  const auto cut = Clock::now();
  ASSERT_TRUE(c.WaitRoutes(0, 0));
  ASSERT_TRUE(c.WaitRoutes(1, 0));
  std::printf("[ figures  ] route %s detected by both nodes after %lld ms\n",
              GetParam() == TcpProxy::Mode::kCut ? "cut" : "blackhole",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - cut).count()));
  // Meanwhile, on both sides of the cut, interest changes.
  ASSERT_TRUE(s2.Send("UNSUB 1\r\nSUB during.cut.2 2\r\n"));
  ASSERT_TRUE(s1.Send("SUB during.cut.1 3\r\n"));
  ASSERT_TRUE(s1.Ping());
  ASSERT_TRUE(s2.Ping());

  p1.set_mode(TcpProxy::Mode::kForward);
  p2.set_mode(TcpProxy::Mode::kForward);
  const auto healed = Clock::now();
  ASSERT_TRUE(c.WaitRoutes(0, 1));
  ASSERT_TRUE(c.WaitInterest(0, s2, "during.cut.2"));
  ASSERT_TRUE(c.WaitInterest(1, s1, "during.cut.1"));
  std::printf("[ figures  ] after the heal: route up and interest converged in %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(Clock::now() - healed).count()));
  // The subscription removed during the cut is gone on the other side too.
  RawClient requester;
  ASSERT_TRUE(requester.ConnectAndHandshake(c.port(0), kClusterConnect));
  ASSERT_TRUE(requester.Send("SUB inbox 1\r\n" + Pub("before.cut", "x", "inbox")));
  auto m = requester.ReadMsg();
  ASSERT_TRUE(m) << requester.last_error();
  EXPECT_TRUE(m->has_headers && m->headers.starts_with("NATS/1.0 503")) << m->payload;
}

INSTANTIATE_TEST_SUITE_P(Modes, RouteCutTest, ::testing::Values(TcpProxy::Mode::kCut, TcpProxy::Mode::kBlackhole),
                         [](const auto& info) { return info.param == TcpProxy::Mode::kCut ? "Cut" : "Blackhole"; });

}  // namespace
}  // namespace tern::testing
