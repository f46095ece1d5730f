// Publish/subscribe transcripts: PUB/SUB/MSG, replies, wildcards, UNSUB,
// auto-unsubscribe, headers, empty and large payloads.
#include <set>
#include <string>
#include <thread>

#include "server_test.h"

namespace tern::testing {
namespace {

class PubSubTest : public ServerTest {
 protected:
  // Reads messages until PONG; returns the sids that received one, each once.
  static std::multiset<std::string> SidsUntilPong(RawClient& c) {
    std::multiset<std::string> sids;
    if (!c.Send("PING\r\n")) return sids;
    for (int i = 0; i < 100; ++i) {
      auto line = c.ReadLine();
      if (!line) {
        ADD_FAILURE() << "no PONG: " << c.last_error();
        break;
      }
      if (*line == "PONG") break;
      if (*line == "PING") {
        c.Send("PONG\r\n");
        continue;
      }
      // "MSG subject sid size" then the payload line.
      auto first = line->find(' '), second = line->find(' ', first + 1), third = line->find(' ', second + 1);
      sids.insert(line->substr(second + 1, third - second - 1));
      c.ReadLine();
    }
    return sids;
  }
};

TEST_P(PubSubTest, SubscriberReceivesPublishedMessage) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\nPUB foo 5\r\nhello\r\n"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "hello"));
}

TEST_P(PubSubTest, MessageCarriesReplySubject) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\nPUB foo bar 5\r\nhello\r\n"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "bar", "hello"));
}

TEST_P(PubSubTest, EverySubscriberOnEveryConnectionReceives) {
  START_SERVER();
  RawClient a, b, pub;
  ASSERT_TRUE(Connect(a));
  ASSERT_TRUE(Connect(b));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(a.Send("SUB foo 1\r\n"));
  ASSERT_TRUE(a.Ping());
  ASSERT_TRUE(b.Send("SUB foo 22\r\n"));
  ASSERT_TRUE(b.Ping());
  ASSERT_TRUE(pub.Send(Pub("foo", "x")));
  EXPECT_TRUE(a.ExpectMsg("foo", "1", "", "x"));
  EXPECT_TRUE(b.ExpectMsg("foo", "22", "", "x"));
  EXPECT_TRUE(pub.Ping());  // the publisher, not subscribed, gets nothing
}

TEST_P(PubSubTest, NoDeliveryToOtherSubjects) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n" + Pub("foo.bar", "a") + Pub("fo", "b") + Pub("foox", "c") + Pub("FOO", "d")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, EachMatchingSubscriptionOnAConnectionGetsACopy) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\nSUB foo 2\r\nSUB foo.* 3\r\nSUB > 4\r\n" + Pub("foo", "x")));
  EXPECT_EQ(SidsUntilPong(c), (std::multiset<std::string>{"1", "2", "4"}));
}

TEST_P(PubSubTest, StarMatchesExactlyOneToken) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo.* 1\r\n"));
  ASSERT_TRUE(c.Send(Pub("foo.bar", "1") + Pub("foo", "2") + Pub("foo.bar.baz", "3") + Pub("bar.foo", "4")));
  EXPECT_TRUE(c.ExpectMsg("foo.bar", "1", "", "1"));
  EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("SUB *.mid.* 2\r\n" + Pub("a.mid.b", "5") + Pub("a.mid", "6") + Pub("a.x.b", "7")));
  EXPECT_TRUE(c.ExpectMsg("a.mid.b", "2", "", "5"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, GreaterThanMatchesOneOrMoreTrailingTokens) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo.> 1\r\n"));
  ASSERT_TRUE(c.Send(Pub("foo", "0") + Pub("foo.bar", "1") + Pub("foo.bar.baz", "2") + Pub("bar.foo", "3")));
  EXPECT_TRUE(c.ExpectMsg("foo.bar", "1", "", "1"));
  EXPECT_TRUE(c.ExpectMsg("foo.bar.baz", "1", "", "2"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, FullWildcardMatchesEverything) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB > 9\r\n" + Pub("a", "1") + Pub("a.b.c.d", "2")));
  EXPECT_TRUE(c.ExpectMsg("a", "9", "", "1"));
  EXPECT_TRUE(c.ExpectMsg("a.b.c.d", "9", "", "2"));
}

TEST_P(PubSubTest, UnsubStopsDelivery) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n" + Pub("foo", "before")));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "before"));
  ASSERT_TRUE(c.Send("UNSUB 1\r\n" + Pub("foo", "after")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, UnsubOfUnknownSidIsIgnored) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":true}"));
  ASSERT_TRUE(c.Send("UNSUB 99\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, UnsubWithMaxAutoUnsubscribes) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 3\r\nUNSUB 3 2\r\n" + Pub("foo", "1") + Pub("foo", "2") + Pub("foo", "3")));
  EXPECT_TRUE(c.ExpectMsg("foo", "3", "", "1"));
  EXPECT_TRUE(c.ExpectMsg("foo", "3", "", "2"));
  EXPECT_TRUE(c.Ping());
  // It is gone for good, not only paused.
  ASSERT_TRUE(c.Send(Pub("foo", "4")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, UnsubMaxCountsMessagesAlreadyDelivered) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 5\r\n" + Pub("foo", "1") + Pub("foo", "2")));
  EXPECT_TRUE(c.ExpectMsg("foo", "5", "", "1"));
  EXPECT_TRUE(c.ExpectMsg("foo", "5", "", "2"));
  // Max 1 but 2 already delivered: removed at once.
  ASSERT_TRUE(c.Send("UNSUB 5 1\r\n" + Pub("foo", "3")));
  EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("SUB foo 6\r\n" + Pub("foo", "a")));
  ASSERT_TRUE(c.Send("UNSUB 6 3\r\n" + Pub("foo", "b") + Pub("foo", "c") + Pub("foo", "d")));
  EXPECT_TRUE(c.ExpectMsg("foo", "6", "", "a"));
  EXPECT_TRUE(c.ExpectMsg("foo", "6", "", "b"));
  EXPECT_TRUE(c.ExpectMsg("foo", "6", "", "c"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, SidsAreOpaqueStrings) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo abc\r\n" + Pub("foo", "x")));
  EXPECT_TRUE(c.ExpectMsg("foo", "abc", "", "x"));
  ASSERT_TRUE(c.Send("UNSUB abc\r\n" + Pub("foo", "y")));
  EXPECT_TRUE(c.Ping());
}

// A second SUB reusing a live sid is ignored: the first subscription stays.
TEST_P(PubSubTest, DuplicateSidKeepsFirstSubscription) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\nSUB bar 1\r\n" + Pub("foo", "a") + Pub("bar", "b")));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "a"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, UnsubWithMaxZeroRemovesAtOnce) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB z 9\r\nUNSUB 9 0\r\n" + Pub("z", "a")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, Utf8SubjectsMatchBytewise) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(
      c.Send("SUB f\xc3\xb6\xc3\xb6.* 10\r\n" + Pub("f\xc3\xb6\xc3\xb6.b\xc3\xa4r", "a") + Pub("foo.bar", "b")));
  EXPECT_TRUE(c.ExpectMsg("f\xc3\xb6\xc3\xb6.b\xc3\xa4r", "10", "", "a"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, DeepSubjects) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  std::string subject = "t0";
  for (int i = 1; i < 300; ++i) subject += ".t" + std::to_string(i);
  ASSERT_TRUE(c.Send("SUB " + subject + " 1\r\nSUB t0.> 2\r\n" + Pub(subject, "deep")));
  std::multiset<std::string> sids;
  for (int i = 0; i < 2; ++i) {
    auto m = c.ReadMsg();
    ASSERT_TRUE(m) << c.last_error();
    EXPECT_EQ(m->subject, subject);
    sids.insert(m->sid);
  }
  EXPECT_EQ(sids, (std::multiset<std::string>{"1", "2"}));
}

TEST_P(PubSubTest, HpubDeliversHmsgWithHeaders) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  const std::string hdr = "NATS/1.0\r\nA: b\r\nTrace-Id: 42\r\n\r\n";
  ASSERT_TRUE(c.Send("SUB h 2\r\n" + Hpub("h", hdr, "abc")));
  EXPECT_TRUE(c.ExpectHmsg("h", "2", "", hdr, "abc"));
  ASSERT_TRUE(c.Send(Hpub("h", hdr, "xyz", "reply.to")));
  EXPECT_TRUE(c.ExpectHmsg("h", "2", "reply.to", hdr, "xyz"));
}

TEST_P(PubSubTest, HpubLiteralTranscript) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(c.Send("SUB h 2\r\nHPUB h 18 21\r\nNATS/1.0\r\nA: b\r\n\r\nabc\r\n"));
  EXPECT_TRUE(c.Expect("HMSG h 2 18 21"));
  EXPECT_TRUE(c.Expect("NATS/1.0"));
  EXPECT_TRUE(c.Expect("A: b"));
  EXPECT_TRUE(c.Expect(""));
  EXPECT_TRUE(c.Expect("abc"));
}

TEST_P(PubSubTest, HpubWithEmptyPayload) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(c.Send("SUB h 2\r\nHPUB h 12 12\r\nNATS/1.0\r\n\r\n\r\n"));
  EXPECT_TRUE(c.ExpectHmsg("h", "2", "", "NATS/1.0\r\n\r\n", ""));
}

// A subscriber that did not announce headers support gets a plain MSG with
// the header block stripped (what nats-server does).
TEST_P(PubSubTest, HeadersAreStrippedForClientsWithoutHeaderSupport) {
  START_SERVER();
  RawClient plain, pub;
  ASSERT_TRUE(Connect(plain, "{\"verbose\":false,\"headers\":false}"));
  ASSERT_TRUE(Connect(pub, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(plain.Send("SUB h 2\r\n"));
  ASSERT_TRUE(plain.Ping());
  ASSERT_TRUE(pub.Send(Hpub("h", "NATS/1.0\r\nA: b\r\n\r\n", "abc")));
  EXPECT_TRUE(plain.ExpectMsg("h", "2", "", "abc"));
}

TEST_P(PubSubTest, PlainPubReachesHeaderClientAsMsg) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n" + Pub("foo", "plain")));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "plain"));
}

TEST_P(PubSubTest, ZeroLengthPayload) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\nPUB foo 0\r\n\r\n"));
  EXPECT_TRUE(c.Expect("MSG foo 1 0"));
  EXPECT_TRUE(c.Expect(""));
  EXPECT_TRUE(c.Ping());
}

TEST_P(PubSubTest, PayloadBytesAreOpaque) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += "\r\nPUB x 1\r\n";  // protocol text inside a payload is just data
  ASSERT_TRUE(c.Send("SUB foo 1\r\n" + Pub("foo", binary)));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", binary));
}

TEST_P(PubSubTest, LargePayloadArrivesIntact) {
  START_SERVER();
  RawClient sub, pub;
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(sub.Send("SUB big 1\r\n"));
  ASSERT_TRUE(sub.Ping());
  std::string payload(1024 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(pub.Send(Pub("big", payload)));
  EXPECT_TRUE(sub.ExpectMsg("big", "1", "", payload));
}

TEST_P(PubSubTest, LargeAndSmallMessagesFannedOutStayInOrder) {
  // Large payloads go to each subscriber by reference (spliced into its
  // output between the small messages around them); every subscriber must
  // still see every byte, in publish order, with and without headers.
  START_SERVER();
  const std::string connect = "{\"verbose\":false,\"headers\":true}";
  RawClient subs[3], pub;
  for (auto& s : subs) {
    ASSERT_TRUE(Connect(s, connect));
    ASSERT_TRUE(s.Send("SUB fan 1\r\n"));
    ASSERT_TRUE(s.Ping());
  }
  ASSERT_TRUE(Connect(pub, connect));
  std::string big(200 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('A' + i % 23);
  const std::string headers = "NATS/1.0\r\nK: v\r\n\r\n";
  std::string batch;
  for (int i = 0; i < 4; ++i) {
    batch += Pub("fan", "small" + std::to_string(i));
    batch += i % 2 == 0 ? Pub("fan", big) : Hpub("fan", headers, big);
  }
  ASSERT_TRUE(pub.Send(batch));
  for (auto& s : subs) {
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(s.ExpectMsg("fan", "1", "", "small" + std::to_string(i)));
      if (i % 2 == 0) {
        ASSERT_TRUE(s.ExpectMsg("fan", "1", "", big));
      } else {
        ASSERT_TRUE(s.ExpectHmsg("fan", "1", "", headers, big));
      }
    }
  }
}

TEST_P(PubSubTest, MessagesFromOnePublisherArriveInOrder) {
  START_SERVER();
  RawClient sub, pub;
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(sub.Send("SUB seq 1\r\n"));
  ASSERT_TRUE(sub.Ping());
  std::string batch;
  for (int i = 0; i < 2000; ++i) batch += Pub("seq", std::to_string(i));
  ASSERT_TRUE(pub.Send(batch));
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(sub.ExpectMsg("seq", "1", "", std::to_string(i))) << "message " << i;
  }
}

TEST_P(PubSubTest, ProtocolSplitAcrossManyWrites) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  const std::string text = "SUB foo 1\r\nPUB foo bar 5\r\nhello\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n";
  for (char ch : text) {
    ASSERT_TRUE(c.Send(std::string(1, ch)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "bar", "hello"));
  EXPECT_TRUE(c.ExpectHmsg("foo", "1", "", "NATS/1.0\r\n\r\n", "hi"));
}

TEST_P(PubSubTest, ArgumentsMaySeparateWithTabsAndRepeatedSpaces) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB\tfoo  \t 1\r\nPUB  foo\t\tbar   2\r\nhi\r\n"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "bar", "hi"));
}

TEST_P(PubSubTest, ManySubscriptionsOnOneConnection) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  std::string subs;
  for (int i = 0; i < 5000; ++i) subs += "SUB s." + std::to_string(i) + " " + std::to_string(i) + "\r\n";
  ASSERT_TRUE(c.Send(subs));
  ASSERT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send(Pub("s.0", "a") + Pub("s.2500", "b") + Pub("s.4999", "c")));
  EXPECT_TRUE(c.ExpectMsg("s.0", "0", "", "a"));
  EXPECT_TRUE(c.ExpectMsg("s.2500", "2500", "", "b"));
  EXPECT_TRUE(c.ExpectMsg("s.4999", "4999", "", "c"));
}

TEST_P(PubSubTest, ClosedSubscriberConnectionIsForgotten) {
  START_SERVER();
  RawClient pub;
  ASSERT_TRUE(Connect(pub));
  {
    RawClient gone;
    ASSERT_TRUE(Connect(gone));
    ASSERT_TRUE(gone.Send("SUB foo 1\r\n"));
    ASSERT_TRUE(gone.Ping());
  }
  RawClient sub;
  ASSERT_TRUE(Connect(sub));
  ASSERT_TRUE(sub.Send("SUB foo 1\r\n"));
  ASSERT_TRUE(sub.Ping());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pub.Send(Pub("foo", std::to_string(i))));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sub.ExpectMsg("foo", "1", "", std::to_string(i)));
  EXPECT_TRUE(pub.Ping());
}

TERN_INSTANTIATE_TRANSPORTS(PubSubTest);

}  // namespace
}  // namespace tern::testing
