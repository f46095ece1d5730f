// The client library on a tern cluster: its patterns with their parties on
// different nodes, the interest barrier (Flush with cluster = true), INFO
// connect_urls kept current as nodes come and go, and failover of the
// library and of the CLI when the node they use is killed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "cluster_fixture.h"
#include "tern/tern.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

class ClusterClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterSpec spec;
    spec.nodes = 3;
    cluster_ = std::make_unique<Cluster>(spec);
    ASSERT_TRUE(cluster_->Start()) << cluster_->error();
    ASSERT_TRUE(cluster_->WaitMeshed());
  }

  std::string Url(int node) const { return "nats://127.0.0.1:" + std::to_string(cluster_->port(node)); }

  // A connection to one node that asks for the interest barrier.
  std::unique_ptr<Connection> On(int node, std::function<void(Options&)> tweak = {}) {
    Options o;
    o.servers = {Url(node)};
    o.interest_barrier = true;
    o.reconnect.initial_delay = 100ms;
    o.connect_timeout = 1000ms;
    if (tweak) tweak(o);
    auto c = Connection::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c.value()) : nullptr;
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ClusterClientTest, PatternsWorkWithTheirPartiesOnDifferentNodes) {
  auto n1 = On(0), n2 = On(1), n3 = On(2);
  ASSERT_TRUE(n1 && n2 && n3);
  ASSERT_TRUE(n1->server_info().interest_barrier);

  // notify: one of the group, wherever its members are
  std::atomic<int> notified{0};
  ASSERT_TRUE(OnNotify(*n2, "jobs", "workers", [&](const Message&) { notified++; }).ok());
  ASSERT_TRUE(OnNotify(*n3, "jobs", "workers", [&](const Message&) { notified++; }).ok());
  // call: the server on node 2
  ASSERT_TRUE(
      Serve(*n2, "math.double", "math", [](const Message& m) { return std::to_string(2 * std::stoi(m.data)); }).ok());
  // broadcast: everyone
  std::atomic<int> broadcasts{0};
  for (auto* c : {n1.get(), n2.get(), n3.get()}) {
    ASSERT_TRUE(OnBroadcast(*c, "news", [&](const Message&) { broadcasts++; }).ok());
  }
  // ask-all: the fast answer from node 3 wins over the slow one on node 2
  ASSERT_TRUE(Answer(*n2, "who.has", [](const Message&) -> std::optional<std::string> {
                std::this_thread::sleep_for(100ms);
                return "n2";
              }).ok());
  ASSERT_TRUE(Answer(*n3, "who.has", [](const Message&) -> std::optional<std::string> { return "n3"; }).ok());
  // pipeline: stages on nodes 2 and 3
  ASSERT_TRUE(ServeStage(*n2, "pipe.a", "", [](PipelineStage& s) { (void)s.Next(s.data() + "+a"); }).ok());
  ASSERT_TRUE(ServeStage(*n3, "pipe.b", "", [](PipelineStage& s) { (void)s.Reply(s.data() + "+b"); }).ok());
  // direct message with an ack: bob on node 3
  std::atomic<bool> bob_got{false};
  ASSERT_TRUE(ListenDirect(*n3, [&](const Message&) { bob_got = true; }).ok());
  for (auto* c : {n1.get(), n2.get(), n3.get()}) ASSERT_TRUE(c->Flush(2s, /*cluster=*/true).ok());

  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Notify(*n1, "jobs", "x").ok());
  ASSERT_TRUE(WaitFor([&] { return notified == 20; }));
  auto called = Call(*n1, "math.double", "21", 2s);
  ASSERT_TRUE(called.ok()) << called.status().ToString();
  EXPECT_EQ(called->data, "42");
  ASSERT_TRUE(Broadcast(*n1, "news", "x").ok());
  ASSERT_TRUE(WaitFor([&] { return broadcasts == 3; }));
  auto answered = AskAll(*n1, "who.has", "x", 2s);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(answered->data, "n3");
  auto piped = RequestPipeline(*n1, {"pipe.a", "pipe.b"}, "raw", 2s);
  ASSERT_TRUE(piped.ok()) << piped.status().ToString();
  EXPECT_EQ(piped->data, "raw+a+b");
  Status sent = SendDirect(*n1, n3->id(), "hi bob", 2s);
  ASSERT_TRUE(sent.ok()) << sent.ToString();
  EXPECT_TRUE(bob_got);
  EXPECT_EQ(SendDirect(*n1, "nobody-at-all", "x", 2s).code(), Code::kNoResponders);

  // join: the joiner on node 1, the parts from nodes 2 and 3
  auto join = Join::All(*n1, {"part.a", "part.b"}, [](const std::vector<Message>&) {});
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(n1->Flush(2s, true).ok());
  ASSERT_TRUE(n2->Publish("part.a", "a").ok());
  ASSERT_TRUE(n3->Publish("part.b", "b").ok());
  EXPECT_TRUE(join->Wait(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(notified, 20);  // once each, cluster-wide
}

TEST_F(ClusterClientTest, AfterAClusterFlushEveryNodeDeliversToTheNewSubscription) {
  auto sub = On(1);
  ASSERT_TRUE(sub);
  // Publishers on the other nodes, raw so nothing in between waits.
  RawClient pub1, pub3;
  ASSERT_TRUE(pub1.ConnectAndHandshake(cluster_->port(0)));
  ASSERT_TRUE(pub3.ConnectAndHandshake(cluster_->port(2)));
  constexpr int kRounds = 100;
  int lost = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string subject = "fresh." + std::to_string(round);
    auto ch = sub->SubscribeChannel(subject, 16);
    ASSERT_TRUE(ch.ok());
    ASSERT_TRUE(sub->Flush(2s, /*cluster=*/true).ok());
    ASSERT_TRUE(pub1.Send(Pub(subject, "a")));
    ASSERT_TRUE(pub3.Send(Pub(subject, "b")));
    int got = 0;
    while (got < 2 && ch->Next(500ms).ok()) ++got;
    lost += 2 - got;
    (void)ch->Unsubscribe();
  }
  EXPECT_EQ(lost, 0) << lost << " of " << 2 * kRounds << " messages published right after the barrier were lost";
  EXPECT_EQ(Connection::Connect(Url(0)).value()->Flush(1s, /*cluster=*/true).code(), Code::kInvalidArgument);
}

TEST_F(ClusterClientTest, InfoCarriesTheOtherNodesAndIsUpdatedWhenOneJoins) {
  RawClient raw;
  ASSERT_TRUE(raw.ConnectAndHandshake(cluster_->port(0), kClusterConnectAsyncInfo));
  auto urls = raw.InfoJson()["connect_urls"];
  ASSERT_TRUE(urls.is_array()) << raw.info_line();
  EXPECT_EQ(urls.size(), 2u) << raw.info_line();
  for (int i : {1, 2}) {
    EXPECT_NE(raw.info_line().find("127.0.0.1:" + std::to_string(cluster_->port(i))), std::string::npos);
  }
  // A node going away: clients get an INFO without it.
  cluster_->Stop(2);
  auto line = raw.ReadLine(3000ms);
  ASSERT_TRUE(line && line->starts_with("INFO ")) << raw.last_error();
  EXPECT_EQ(line->find("127.0.0.1:" + std::to_string(cluster_->port(2))), std::string::npos) << *line;
  // And coming back: one with it.
  ASSERT_TRUE(cluster_->StartNode(2));
  line = raw.ReadLine(5000ms);
  ASSERT_TRUE(line && line->starts_with("INFO ")) << raw.last_error();
  EXPECT_NE(line->find("127.0.0.1:" + std::to_string(cluster_->port(2))), std::string::npos) << *line;
}

TEST_F(ClusterClientTest, ClientOfAKilledNodeFailsOverWithinTwoSecondsAndItsSubscriptionWorks) {
  std::atomic<int64_t> reconnected_at{0};
  auto c = On(2, [&](Options& o) {
    o.on_event = [&](const Event& e) {
      if (e.type == EventType::kReconnected) {
        reconnected_at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
      }
    };
  });
  ASSERT_TRUE(c);
  ASSERT_TRUE(WaitFor([&] { return c->server_info().connect_urls.size() == 2; }));
  auto ch = c->SubscribeChannel("after.failover", 16);
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(c->Flush(2s, true).ok());
  const auto killed = Clock::now();
  cluster_->Kill(2);
  ASSERT_TRUE(WaitFor([&] { return reconnected_at.load() != 0; }, 3s)) << "no reconnect";
  const auto took = std::chrono::milliseconds(reconnected_at.load()) -
                    std::chrono::duration_cast<std::chrono::milliseconds>(killed.time_since_epoch());
  std::printf("[ figures  ] client of a killed node served again after %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took, 2000ms);
  ASSERT_TRUE(c->Flush(2s, true).ok());
  RawClient pub;
  ASSERT_TRUE(pub.ConnectAndHandshake(cluster_->port(0)));
  ASSERT_TRUE(pub.Send(Pub("after.failover", "still here")));
  auto m = ch->Next(2s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "still here");
}

TEST_F(ClusterClientTest, CliSubscriberFailsOverToAnotherNode) {
  const std::string cli = TERN_CLI_BIN;
  // Per process: runs side by side must not share it.
  const std::string out = ::testing::TempDir() + "/cli-failover-" + std::to_string(::getpid()) + ".out";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(cli.c_str(), cli.c_str(), "sub", "-s", Url(2).c_str(), "cli.failover", static_cast<char*>(nullptr));
    _exit(127);
  }
  RawClient pub;
  ASSERT_TRUE(pub.ConnectAndHandshake(cluster_->port(0)));
  auto output = [&] {
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  auto printed = [&](const std::string& text) { return output().find(text) != std::string::npos; };
  // Until the CLI's subscription is known on node 1.
  EXPECT_TRUE(WaitFor([&] { return pub.Send(Pub("cli.failover", "before")) && printed("before"); }, 5s)) << output();
  cluster_->Kill(2);
  // The CLI says when it lost and regained a server ("tern: reconnected to ...").
  EXPECT_TRUE(WaitFor([&] { return pub.Send(Pub("cli.failover", "after")) && printed("after"); }, 5s))
      << "CLI output:\n"
      << output();
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::remove(out.c_str());
}

}  // namespace
}  // namespace tern::testing
