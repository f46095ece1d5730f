// Queue groups: each message goes to exactly one member of each group, and
// plain subscribers still get every message.
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

TERN_INSTANTIATE_TRANSPORTS(QueueTest);

}  // namespace
}  // namespace tern::testing
