// Queue groups: each message goes to exactly one member of each group, and
// plain subscribers still get every message.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "server_test.h"

namespace tern::testing {
namespace {

class QueueTest : public ServerTest {
 protected:
  // Drains `c` until PONG and counts the messages per sid; payloads seen are
  // added to *seen (nullable).
  static std::map<std::string, int> CountUntilPong(RawClient& c, std::vector<std::string>* seen = nullptr) {
    std::map<std::string, int> counts;
    if (!c.Send("PING\r\n")) return counts;
    for (;;) {
      auto line = c.ReadLine(std::chrono::seconds(5));
      if (!line) {
        ADD_FAILURE() << "no PONG: " << c.last_error();
        return counts;
      }
      if (*line == "PONG") return counts;
      if (*line == "PING") {
        c.Send("PONG\r\n");
        continue;
      }
      // MSG <subject> <sid> <size>
      auto a = line->find(' '), b = line->find(' ', a + 1), d = line->find(' ', b + 1);
      counts[line->substr(b + 1, d - b - 1)]++;
      auto payload = c.ReadLine();
      if (seen != nullptr && payload) seen->push_back(*payload);
    }
  }

  // Publishes n messages "0".."n-1" on `subject` from `pub` and makes sure the
  // server has taken them all in.
  static void PublishN(RawClient& pub, const std::string& subject, int n) {
    std::string batch;
    for (int i = 0; i < n; ++i) batch += Pub(subject, std::to_string(i));
    ASSERT_TRUE(pub.Send(batch));
    ASSERT_TRUE(pub.Ping());
  }
};

TEST_P(QueueTest, QueueSubscriberReceives) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo workers 1\r\n" + Pub("foo", "job", "reply")));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "reply", "job"));
}

TEST_P(QueueTest, EachMessageGoesToOneMemberAndToEveryPlainSubscriber) {
  START_SERVER();
  RawClient m1, m2, plain, pub;
  ASSERT_TRUE(Connect(m1));
  ASSERT_TRUE(Connect(m2));
  ASSERT_TRUE(Connect(plain));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(m1.Send("SUB q g 1\r\n"));
  ASSERT_TRUE(m1.Ping());
  ASSERT_TRUE(m2.Send("SUB q g 2\r\n"));
  ASSERT_TRUE(m2.Ping());
  ASSERT_TRUE(plain.Send("SUB q 3\r\n"));
  ASSERT_TRUE(plain.Ping());
  PublishN(pub, "q", 200);

  std::vector<std::string> seen1, seen2, seen_plain;
  auto c1 = CountUntilPong(m1, &seen1);
  auto c2 = CountUntilPong(m2, &seen2);
  auto cp = CountUntilPong(plain, &seen_plain);
  EXPECT_EQ(c1["1"] + c2["2"], 200) << "each message must reach exactly one member";
  EXPECT_EQ(cp["3"], 200);
  std::vector<int> hits(200, 0);
  for (const auto* seen : {&seen1, &seen2}) {
    for (const auto& p : *seen) hits.at(std::stoi(p))++;
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(hits[i], 1) << "message " << i;
}

TEST_P(QueueTest, EveryGroupGetsEachMessageOnce) {
  START_SERVER();
  RawClient c, pub;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(c.Send("SUB q a 1\r\nSUB q a 2\r\nSUB q b 3\r\nSUB q b 4\r\nSUB q c 5\r\n"));
  ASSERT_TRUE(c.Ping());
  PublishN(pub, "q", 100);
  auto counts = CountUntilPong(c);
  EXPECT_EQ(counts["1"] + counts["2"], 100);
  EXPECT_EQ(counts["3"] + counts["4"], 100);
  EXPECT_EQ(counts["5"], 100);
}

TEST_P(QueueTest, WildcardQueueSubscriptions) {
  START_SERVER();
  RawClient c, pub;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(c.Send("SUB jobs.* g 1\r\nSUB jobs.> g 2\r\n"));
  ASSERT_TRUE(c.Ping());
  PublishN(pub, "jobs.x", 50);
  PublishN(pub, "jobs.x.y", 50);  // only the '>' member matches these
  auto counts = CountUntilPong(c);
  EXPECT_EQ(counts["1"] + counts["2"], 100);
  EXPECT_GE(counts["2"], 50);
}

TEST_P(QueueTest, UnsubscribedMemberGetsNoMore) {
  START_SERVER();
  RawClient m1, m2, pub;
  ASSERT_TRUE(Connect(m1));
  ASSERT_TRUE(Connect(m2));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(m1.Send("SUB q g 1\r\n"));
  ASSERT_TRUE(m1.Ping());
  ASSERT_TRUE(m2.Send("SUB q g 2\r\nUNSUB 2\r\n"));
  ASSERT_TRUE(m2.Ping());
  PublishN(pub, "q", 50);
  EXPECT_EQ(CountUntilPong(m1)["1"], 50);
  EXPECT_TRUE(CountUntilPong(m2).empty());
}

TEST_P(QueueTest, MemberOnClosedConnectionIsDropped) {
  START_SERVER();
  RawClient m1, pub;
  ASSERT_TRUE(Connect(m1));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(m1.Send("SUB q g 1\r\n"));
  ASSERT_TRUE(m1.Ping());
  {
    RawClient gone;
    ASSERT_TRUE(Connect(gone));
    ASSERT_TRUE(gone.Send("SUB q g 9\r\n"));
    ASSERT_TRUE(gone.Ping());
  }
  // The server learns of the close asynchronously; give it a moment by
  // round-tripping on another connection until nothing is lost.
  for (int attempt = 0; attempt < 50; ++attempt) {
    PublishN(pub, "q", 20);
    if (CountUntilPong(m1)["1"] == 20) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "messages still go to the member whose connection closed";
}

TEST_P(QueueTest, EchoFalseAppliesToQueueMembersToo) {
  START_SERVER();
  RawClient self, other;
  ASSERT_TRUE(Connect(self, "{\"verbose\":false,\"pedantic\":false,\"echo\":false}"));
  ASSERT_TRUE(self.Send("SUB q g 1\r\n" + Pub("q", "mine")));
  EXPECT_TRUE(self.Ping());
  ASSERT_TRUE(Connect(other));
  ASSERT_TRUE(other.Send(Pub("q", "theirs")));
  EXPECT_TRUE(self.ExpectMsg("q", "1", "", "theirs"));
}

// Default policy is random: with 3 members and 900 messages every member gets
// a fair share (binomial mean 300, sd ~14; 200 is 7 sd away).
TEST_P(QueueTest, RandomPolicySpreadsAcrossMembers) {
  START_SERVER();
  std::vector<RawClient> members(3);
  RawClient pub;
  ASSERT_TRUE(Connect(pub));
  for (size_t i = 0; i < members.size(); ++i) {
    ASSERT_TRUE(Connect(members[i]));
    ASSERT_TRUE(members[i].Send("SUB work g " + std::to_string(i) + "\r\n"));
    ASSERT_TRUE(members[i].Ping());
  }
  PublishN(pub, "work", 900);
  int total = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    int got = CountUntilPong(members[i])[std::to_string(i)];
    EXPECT_GE(got, 200) << "member " << i;
    total += got;
  }
  EXPECT_EQ(total, 900);
}

TEST_P(QueueTest, RoundRobinPolicyTakesTurns) {
  ServerLimits limits;
  limits.queue_policy = "round_robin";
  START_SERVER(limits);
  std::vector<RawClient> members(3);
  RawClient pub;
  ASSERT_TRUE(Connect(pub));
  for (size_t i = 0; i < members.size(); ++i) {
    ASSERT_TRUE(Connect(members[i]));
    ASSERT_TRUE(members[i].Send("SUB work g " + std::to_string(i) + "\r\n"));
    ASSERT_TRUE(members[i].Ping());
  }
  PublishN(pub, "work", 300);
  std::vector<std::vector<int>> got(3);
  for (size_t i = 0; i < members.size(); ++i) {
    std::vector<std::string> seen;
    EXPECT_EQ(CountUntilPong(members[i], &seen)[std::to_string(i)], 100) << "member " << i;
    for (const auto& p : seen) got[i].push_back(std::stoi(p));
  }
  // Turns: each member sees every third message, in order.
  for (size_t i = 0; i < got.size(); ++i) {
    for (size_t k = 1; k < got[i].size(); ++k) {
      EXPECT_EQ(got[i][k] - got[i][k - 1], 3) << "member " << i << " position " << k;
    }
  }
}

// UNSUB with a count while messages flow to a 2-member group: one member's
// subscriptions come and go, each limited to about what it has had so far,
// so deliveries race the UNSUB; every message must still reach exactly one
// member. A subscription whose last delivery raced its UNSUB once stayed in
// the group refusing everything, and the picks that chose it lost messages
// (the race itself is pinned down deterministically in
// src/core/router_interest_test.cc; this checks the whole path).
TEST_P(QueueTest, UnsubWithMaxWhilePublishesFlowDeliversEachMessageOnce) {
  // A race in the router; another transport only makes 100,000 messages slower.
  if (transport() != Transport::kTcp) GTEST_SKIP() << "transport-neutral: runs over tcp only";
  START_SERVER();
  constexpr int kMessages = 100000;
  constexpr int kBatch = 10;
  RawClient steady, churning, pub;
  ASSERT_TRUE(Connect(steady));
  ASSERT_TRUE(Connect(churning));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(steady.Send("SUB q g 1\r\nSUB done 99\r\n"));
  ASSERT_TRUE(steady.Ping());

  // Generous per-call bounds: a sanitizer build is several times slower.
  const Millis timeout = std::chrono::seconds(60);
  std::vector<int> hits(kMessages, 0);
  bool steady_ok = true;
  std::thread reader([&] {
    for (;;) {
      auto msg = steady.ReadMsg(timeout);
      if (!msg) {
        steady_ok = false;
        return;
      }
      if (msg->subject == "done") return;
      hits.at(std::stoi(msg->payload))++;
    }
  });
  // Each sid lives through one batch unlimited, then gets "UNSUB sid n" with
  // n around what it has had by then, so the limit often lands right at the
  // count a concurrent delivery is about to reach.
  bool sent_all = churning.Send("SUB q g 2\r\n") && churning.Ping();
  for (int sent = 0, sid = 2; sent < kMessages && sent_all; sent += kBatch, ++sid) {
    std::string batch;
    for (int i = sent; i < sent + kBatch; ++i) batch += Pub("q", std::to_string(i));
    const std::string limit = std::to_string(kBatch / 2 + sid % 3 - 1);
    sent_all = pub.Send(batch, timeout) && churning.Send("UNSUB " + std::to_string(sid) + " " + limit + "\r\nSUB q g " +
                                                             std::to_string(sid + 1) + "\r\n",
                                                         timeout);
  }
  sent_all = sent_all && pub.Send(Pub("done", ""), timeout) && pub.Ping(timeout);
  if (!sent_all) steady.ShutdownWrite();  // the server hangs up, which ends the reader
  reader.join();
  ASSERT_TRUE(sent_all) << "pub: " << pub.last_error() << " churning: " << churning.last_error();
  ASSERT_TRUE(steady_ok) << steady.last_error();
  std::vector<std::string> seen;
  CountUntilPong(churning, &seen);  // bounded: 5 s per line
  for (const auto& p : seen) hits.at(std::stoi(p))++;
  int lost = 0, doubled = 0;
  for (int h : hits) {
    lost += h == 0;
    doubled += h > 1;
  }
  EXPECT_EQ(lost, 0) << "of " << kMessages << " (" << seen.size() << " went to the churning member)";
  EXPECT_EQ(doubled, 0);
}

TERN_INSTANTIATE_TRANSPORTS(QueueTest);

}  // namespace
}  // namespace tern::testing
