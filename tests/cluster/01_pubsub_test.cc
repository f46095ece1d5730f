// Cluster-wide semantics with real nodes on loopback, each the same as on
// one node: pub/sub with wildcards, queue groups (once per message
// cluster-wide, local members first), request/reply, no responders, linger,
// the interest query. Every scenario runs against tern and, with
// TERN_TEST_AGAINST_NATS=1, against a nats-server cluster as the reference
// (where nats-server has the feature).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "cluster_fixture.h"
#include "server_test.h"

namespace tern::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class ClusterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "nats" && !NatsReferenceEnabled()) GTEST_SKIP() << "set TERN_TEST_AGAINST_NATS=1";
  }
  bool IsNats() const { return GetParam() == "nats"; }

  // A started, meshed cluster of `n` nodes.
  std::unique_ptr<Cluster> Make(int n, std::vector<std::string> extra = {},
                                ClusterSpec::Seeds seeds = ClusterSpec::Seeds::kFirst) {
    ClusterSpec spec;
    spec.nodes = n;
    spec.flavor = GetParam();
    spec.extra_args = std::move(extra);
    spec.seeds = IsNats() ? ClusterSpec::Seeds::kAll : seeds;
    auto c = std::make_unique<Cluster>(spec);
    EXPECT_TRUE(c->Start()) << c->error();
    EXPECT_TRUE(c->WaitMeshed());
    return c;
  }

  ::testing::AssertionResult Connect(Cluster& c, int node, RawClient& client) {
    return client.ConnectAndHandshake(c.port(node), kClusterConnect);
  }

  // After a client's SUBs: a probe subscription of its own behind them, and
  // once node `from` reaches that, it has everything subscribed before it.
  ::testing::AssertionResult Ready(Cluster& c, int from, RawClient& client) {
    const std::string subject = "_ready." + std::to_string(++ready_);
    if (auto r = client.Send("SUB " + subject + " 999\r\n"); !r) return r;
    return c.WaitInterest(from, client, subject);
  }
  int ready_ = 0;

  // Reads messages until `marker` arrives on `subject`... or the timeout.
  std::vector<Msg> ReadUntil(RawClient& c, std::string_view marker, milliseconds timeout = milliseconds(3000)) {
    std::vector<Msg> got;
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto m = c.ReadMsg(milliseconds(200));
      if (!m) continue;
      if (m->payload == marker) return got;
      got.push_back(*m);
    }
    ADD_FAILURE() << "marker " << marker << " never arrived";
    return got;
  }
};

TEST_P(ClusterTest, PubSubWithWildcardsReachesEveryNodeOnce) {
  auto c = Make(3);
  if (HasFailure()) return;
  RawClient sub2, sub3, pub1;
  ASSERT_TRUE(Connect(*c, 1, sub2));
  ASSERT_TRUE(Connect(*c, 2, sub3));
  ASSERT_TRUE(Connect(*c, 0, pub1));
  ASSERT_TRUE(sub2.Send("SUB orders.* 1\r\nSUB orders.> 2\r\nSUB orders.eu.new 3\r\n"));
  ASSERT_TRUE(sub3.Send("SUB orders.>  9\r\n"));
  ASSERT_TRUE(Ready(*c, 0, sub2));
  ASSERT_TRUE(Ready(*c, 0, sub3));
  ASSERT_TRUE(
      pub1.Send(Pub("orders.us", "a") + Pub("orders.eu.new", "b") + Pub("other", "x") + Pub("orders.end", "end")));
  auto got2 = ReadUntil(sub2, "end");
  std::multiset<std::string> seen2;
  for (const Msg& m : got2) seen2.insert(m.sid + ":" + m.payload);
  // The marker came on sid 1 or 2 first; whatever of it came on the other sid is read below.
  EXPECT_TRUE(seen2.contains("1:a") && seen2.contains("2:a") && seen2.contains("2:b") && seen2.contains("3:b"))
      << got2.size();
  EXPECT_EQ(seen2.count("1:a"), 1u);
  EXPECT_EQ(seen2.count("3:b"), 1u);
  auto got3 = ReadUntil(sub3, "end");
  ASSERT_EQ(got3.size(), 2u);
  EXPECT_EQ(got3[0].payload, "a");
  EXPECT_EQ(got3[1].payload, "b");
}

TEST_P(ClusterTest, QueueGroupGetsEachMessageOnceClusterWideAndPrefersLocalMembers) {
  auto c = Make(3);
  if (HasFailure()) return;
  RawClient m2a, m2b, m3, pub1, watch1;
  for (auto [client, node] : {std::pair{&m2a, 1}, {&m2b, 1}, {&m3, 2}, {&pub1, 0}, {&watch1, 0}}) {
    ASSERT_TRUE(Connect(*c, node, *client));
  }
  for (RawClient* m : {&m2a, &m2b, &m3}) {
    ASSERT_TRUE(m->Send("SUB jobs workers 1\r\nSUB jobs.end 2\r\n"));
    ASSERT_TRUE(m->Ping());
  }
  // A plain subscriber beside the group sees every message too.
  ASSERT_TRUE(watch1.Send("SUB jobs 5\r\n"));
  ASSERT_TRUE(watch1.Ping());
  for (RawClient* m : {&m2a, &m2b, &m3}) ASSERT_TRUE(Ready(*c, 0, *m));
  constexpr int kCount = 300;
  std::string batch;
  for (int i = 0; i < kCount; ++i) batch += Pub("jobs", std::to_string(i));
  batch += Pub("jobs.end", "end");
  ASSERT_TRUE(pub1.Send(batch));
  std::map<std::string, int> times;
  std::map<RawClient*, int> per_member;
  for (RawClient* m : {&m2a, &m2b, &m3}) {
    for (const Msg& msg : ReadUntil(*m, "end")) {
      ++times[msg.payload];
      ++per_member[m];
    }
  }
  EXPECT_EQ(times.size(), static_cast<size_t>(kCount));
  for (const auto& [payload, n] : times) EXPECT_EQ(n, 1) << payload << " delivered " << n << " times";
  // Both nodes got work (node 2 has two members, node 3 one).
  EXPECT_GT(per_member[&m2a] + per_member[&m2b], 0);
  EXPECT_GT(per_member[&m3], 0);

  // A member on the publishing node takes everything. (nats-server 2.9
  // spreads them over the members of every node: measured ~40% local with
  // one local and three remote members, so it has no reference here.)
  if (IsNats()) return;
  RawClient m1;
  ASSERT_TRUE(Connect(*c, 0, m1));
  ASSERT_TRUE(m1.Send("SUB jobs workers 1\r\nSUB jobs.end 2\r\n"));
  ASSERT_TRUE(m1.Ping());
  batch.clear();
  for (int i = 0; i < 50; ++i) batch += Pub("jobs", "local" + std::to_string(i));
  batch += Pub("jobs.end", "end");
  ASSERT_TRUE(pub1.Send(batch));
  EXPECT_EQ(ReadUntil(m1, "end").size(), 50u);
  for (RawClient* m : {&m2a, &m2b, &m3}) EXPECT_EQ(ReadUntil(*m, "end").size(), 0u);
}

TEST_P(ClusterTest, RequestReplyAcrossNodes) {
  auto c = Make(3);
  if (HasFailure()) return;
  RawClient responder, requester;
  ASSERT_TRUE(Connect(*c, 1, responder));
  ASSERT_TRUE(Connect(*c, 0, requester));
  ASSERT_TRUE(responder.Send("SUB svc.echo 1\r\n"));
  ASSERT_TRUE(Ready(*c, 0, responder));
  // The inbox subscription travels ahead of the request on the same route,
  // so the reply finds its way back without any wait in between.
  for (int i = 0; i < 20; ++i) {
    const std::string inbox = "_INBOX.r" + std::to_string(i);
    ASSERT_TRUE(requester.Send("SUB " + inbox + " 9" + std::to_string(i) + "\r\n" + Pub("svc.echo", "q", inbox)));
    auto req = responder.ReadMsg();
    ASSERT_TRUE(req) << responder.last_error();
    ASSERT_EQ(req->reply, inbox);
    ASSERT_TRUE(responder.Send(Pub(req->reply, "answer" + std::to_string(i))));
    auto answer = requester.ReadMsg();
    ASSERT_TRUE(answer) << requester.last_error() << " round " << i;
    EXPECT_EQ(answer->payload, "answer" + std::to_string(i));
    ASSERT_TRUE(requester.Send("UNSUB 9" + std::to_string(i) + "\r\n"));
  }
}

TEST_P(ClusterTest, NoRespondersOnlyWhenNoNodeHasInterestAndAtOnce) {
  auto c = Make(3);
  if (HasFailure()) return;
  RawClient requester, responder;
  ASSERT_TRUE(Connect(*c, 0, requester));
  ASSERT_TRUE(requester.Send("SUB inbox.* 1\r\n"));
  ASSERT_TRUE(requester.Ping());
  const auto start = Clock::now();
  ASSERT_TRUE(requester.Send(Pub("nobody.home", "x", "inbox.1")));
  auto status = requester.ReadMsg();
  ASSERT_TRUE(status) << requester.last_error();
  EXPECT_TRUE(status->has_headers);
  EXPECT_TRUE(status->headers.starts_with("NATS/1.0 503")) << status->headers;
  EXPECT_LT(Clock::now() - start, milliseconds(500));

  ASSERT_TRUE(Connect(*c, 2, responder));
  ASSERT_TRUE(responder.Send("SUB somebody 1\r\n"));
  ASSERT_TRUE(Ready(*c, 0, responder));
  ASSERT_TRUE(requester.Send(Pub("somebody", "x", "inbox.2")));
  auto req = responder.ReadMsg();
  ASSERT_TRUE(req) << responder.last_error();
  ASSERT_TRUE(responder.Send(Pub(req->reply, "here")));
  auto answer = requester.ReadMsg();
  ASSERT_TRUE(answer) << requester.last_error();
  EXPECT_FALSE(answer->has_headers) << "a 503 although node 3 has a subscriber";
  EXPECT_EQ(answer->payload, "here");
}

TEST_P(ClusterTest, LingeringMessageIsDeliveredToASubscriberOnAnotherNodeOnce) {
  if (IsNats()) GTEST_SKIP() << "nats-server has no linger";
  auto c = Make(3, {"--linger", "held.>=3s"});
  if (HasFailure()) return;
  RawClient pub, sub2, sub3;
  ASSERT_TRUE(Connect(*c, 0, pub));
  ASSERT_TRUE(pub.Send(Pub("held.a", "kept")));
  ASSERT_TRUE(pub.Ping());
  ASSERT_TRUE(Connect(*c, 1, sub2));
  ASSERT_TRUE(sub2.Send("SUB held.> 1\r\n"));
  auto m = sub2.ReadMsg(milliseconds(2000));
  ASSERT_TRUE(m) << "the held message did not reach the subscriber on node 2: " << sub2.last_error();
  EXPECT_EQ(m->payload, "kept");
  // Taken once: a subscriber appearing later on node 3 does not get it again.
  ASSERT_TRUE(Connect(*c, 2, sub3));
  ASSERT_TRUE(sub3.Send("SUB held.> 1\r\n"));
  EXPECT_FALSE(sub3.ReadMsg(milliseconds(500)));
  // And while node 2 listens, a new message does not linger but crosses at once.
  ASSERT_TRUE(pub.Send(Pub("held.b", "now")));
  auto now = sub2.ReadMsg();
  ASSERT_TRUE(now) << sub2.last_error();
  EXPECT_EQ(now->payload, "now");
}

TEST_P(ClusterTest, InterestQueryAnswersForTheWholeCluster) {
  if (IsNats()) GTEST_SKIP() << "_TERN.INTEREST is tern's";
  auto c = Make(3);
  if (HasFailure()) return;
  RawClient asker, sub3;
  ASSERT_TRUE(Connect(*c, 2, sub3));
  ASSERT_TRUE(sub3.Send("SUB far.* 1\r\n"));
  ASSERT_TRUE(Ready(*c, 0, sub3));
  ASSERT_TRUE(Connect(*c, 0, asker));
  ASSERT_TRUE(asker.Send("SUB answer 1\r\n" + Pub("_TERN.INTEREST", R"(["far.away","near.by"])", "answer")));
  auto m = asker.ReadMsg();
  ASSERT_TRUE(m) << asker.last_error();
  EXPECT_EQ(m->payload, R"(["far.away"])");
  // One answer, from the asker's node: the service is not propagated.
  EXPECT_FALSE(asker.ReadMsg(milliseconds(300)));
}

TEST_P(ClusterTest, FiveNodesJoinedThroughOneSeedMeshAndDeliverEverywhere) {
  auto c = Make(5);
  if (HasFailure()) return;
  // Make() waited for a subscription on every node to be reached from every
  // other: that is the mesh. Publish once more from each to each.
  std::vector<RawClient> subs(5);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Connect(*c, i, subs[i]));
    ASSERT_TRUE(subs[i].Send("SUB five." + std::to_string(i) + " 1\r\n"));
    ASSERT_TRUE(subs[i].Ping());
  }
  for (int from = 0; from < 5; ++from) {
    for (int to = 0; to < 5; ++to) {
      ASSERT_TRUE(c->WaitInterest(from, subs[to], "five." + std::to_string(to))) << from << " -> " << to;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, ClusterTest, ::testing::Values(std::string("tern"), std::string("nats")),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace tern::testing
