// Request/reply over plain PUB with a reply subject, and the "no responders"
// status a client gets back when it asked for it (headers + no_responders).
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server_test.h"

namespace tern::testing {
namespace {

constexpr char kNoResponders[] = "{\"verbose\":false,\"headers\":true,\"no_responders\":true}";

class RequestTest : public ServerTest {
 protected:
  // tern's counters over the protocol, asked on one long-lived connection so
  // the asking does not change the subscription counts between two asks.
  nlohmann::json Stats(RawClient& c) {
    if (!c.connected()) {
      EXPECT_TRUE(Connect(c));
      EXPECT_TRUE(c.Send("SUB _stats.reply 1\r\n"));
    }
    EXPECT_TRUE(c.Send(Pub("_TERN.STATS", "", "_stats.reply")));
    auto msg = c.ReadMsg();
    if (!msg) {
      ADD_FAILURE() << "no stats reply: " << c.last_error();
      return {};
    }
    return nlohmann::json::parse(msg->payload);
  }
};

TEST_P(RequestTest, RequestAndReplyRoundTrip) {
  START_SERVER();
  RawClient requester, responder;
  ASSERT_TRUE(Connect(requester));
  ASSERT_TRUE(Connect(responder));
  ASSERT_TRUE(responder.Send("SUB svc.echo 1\r\n"));
  ASSERT_TRUE(responder.Ping());
  ASSERT_TRUE(requester.Send("SUB _INBOX.abc.* 9\r\n" + Pub("svc.echo", "ping", "_INBOX.abc.1")));
  auto req = responder.ReadMsg();
  ASSERT_TRUE(req) << responder.last_error();
  EXPECT_EQ(req->subject, "svc.echo");
  EXPECT_EQ(req->reply, "_INBOX.abc.1");
  EXPECT_EQ(req->payload, "ping");
  ASSERT_TRUE(responder.Send(Pub(req->reply, "pong")));
  EXPECT_TRUE(requester.ExpectMsg("_INBOX.abc.1", "9", "", "pong"));
}

TEST_P(RequestTest, RequestToQueueGroupIsAnsweredOnce) {
  START_SERVER();
  RawClient requester, r1, r2;
  ASSERT_TRUE(Connect(requester));
  ASSERT_TRUE(Connect(r1));
  ASSERT_TRUE(Connect(r2));
  ASSERT_TRUE(r1.Send("SUB svc workers 1\r\n"));
  ASSERT_TRUE(r1.Ping());
  ASSERT_TRUE(r2.Send("SUB svc workers 1\r\n"));
  ASSERT_TRUE(r2.Ping());
  ASSERT_TRUE(requester.Send("SUB inbox.1 1\r\n" + Pub("svc", "q", "inbox.1")));
  ASSERT_TRUE(requester.Ping());
  // Whichever member got it answers; the other saw nothing.
  int answered = 0;
  for (RawClient* r : {&r1, &r2}) {
    ASSERT_TRUE(r->Send("PING\r\n"));
    auto line = r->ReadLine();
    ASSERT_TRUE(line) << r->last_error();
    if (*line == "PONG") continue;
    EXPECT_EQ(*line, "MSG svc 1 inbox.1 1");
    EXPECT_TRUE(r->Expect("q"));
    EXPECT_TRUE(r->Expect("PONG"));
    ASSERT_TRUE(r->Send(Pub("inbox.1", "a")));
    ++answered;
  }
  EXPECT_EQ(answered, 1);
  EXPECT_TRUE(requester.ExpectMsg("inbox.1", "1", "", "a"));
  EXPECT_TRUE(requester.Ping());
}

TEST_P(RequestTest, NoRespondersGivesStatus503) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, kNoResponders));
  ASSERT_TRUE(c.Send("SUB inbox 1\r\nPUB req inbox 1\r\na\r\n"));
  auto m = c.ReadMsg();
  ASSERT_TRUE(m) << c.last_error();
  EXPECT_TRUE(m->has_headers);
  EXPECT_EQ(m->subject, "inbox");
  EXPECT_EQ(m->sid, "1");
  EXPECT_EQ(m->reply, "");
  EXPECT_EQ(m->payload, "");
  // nats-server sends exactly "NATS/1.0 503\r\n\r\n"; a description after the
  // code is allowed by the header grammar, so accept one.
  EXPECT_TRUE(m->headers.rfind("NATS/1.0 503", 0) == 0) << m->headers;
  EXPECT_TRUE(m->headers.size() >= 4 && m->headers.compare(m->headers.size() - 4, 4, "\r\n\r\n") == 0) << m->headers;
  EXPECT_TRUE(c.Ping());
}

TEST_P(RequestTest, NoRespondersTranscriptMatchesNats) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, kNoResponders));
  ASSERT_TRUE(c.Send("SUB inbox 1\r\nPUB req inbox 1\r\na\r\n"));
  EXPECT_TRUE(c.Expect("HMSG inbox 1 16 16"));
  EXPECT_TRUE(c.Expect("NATS/1.0 503"));
  EXPECT_TRUE(c.Expect(""));
  EXPECT_TRUE(c.Expect(""));
}

TEST_P(RequestTest, NoRespondersForHpubRequest) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, kNoResponders));
  ASSERT_TRUE(c.Send("SUB inbox.* 4\r\n" + Hpub("req", "NATS/1.0\r\nX: y\r\n\r\n", "body", "inbox.7")));
  auto m = c.ReadMsg();
  ASSERT_TRUE(m) << c.last_error();
  EXPECT_TRUE(m->has_headers);
  EXPECT_EQ(m->subject, "inbox.7");
  EXPECT_EQ(m->sid, "4");
  EXPECT_TRUE(m->headers.rfind("NATS/1.0 503", 0) == 0) << m->headers;
}

TEST_P(RequestTest, NoStatusWithoutNoRespondersOption) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":false,\"headers\":true}"));
  ASSERT_TRUE(c.Send("SUB inbox 1\r\nPUB req inbox 1\r\na\r\n"));
  EXPECT_TRUE(c.Ping());
}

TEST_P(RequestTest, NoStatusWithoutReplySubject) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, kNoResponders));
  ASSERT_TRUE(c.Send("SUB inbox 1\r\n" + Pub("req", "a")));
  EXPECT_TRUE(c.Ping());
}

TEST_P(RequestTest, NoStatusWhenSomeoneListens) {
  START_SERVER();
  RawClient requester, responder;
  ASSERT_TRUE(Connect(requester, kNoResponders));
  ASSERT_TRUE(Connect(responder));
  ASSERT_TRUE(responder.Send("SUB req 1\r\n"));
  ASSERT_TRUE(responder.Ping());
  ASSERT_TRUE(requester.Send("SUB inbox 1\r\n" + Pub("req", "a", "inbox")));
  EXPECT_TRUE(requester.Ping());
  EXPECT_TRUE(responder.ExpectMsg("req", "1", "inbox", "a"));
}

TEST_P(RequestTest, NoStatusWhenOnlyAQueueGroupListens) {
  START_SERVER();
  RawClient requester, responder;
  ASSERT_TRUE(Connect(requester, kNoResponders));
  ASSERT_TRUE(Connect(responder));
  ASSERT_TRUE(responder.Send("SUB req g 1\r\n"));
  ASSERT_TRUE(responder.Ping());
  ASSERT_TRUE(requester.Send("SUB inbox 1\r\n" + Pub("req", "a", "inbox")));
  EXPECT_TRUE(requester.Ping());
  EXPECT_TRUE(responder.ExpectMsg("req", "1", "inbox", "a"));
}

// The old request style: SUB inbox, UNSUB sid 1, PUB with that reply. The
// reply ends the subscription on the responder's worker; the requester's
// session must forget it too, not keep one entry per request until it
// disconnects.
TEST_P(RequestTest, OldStyleRequestsLeaveNoSubscriptionsBehind) {
  if (IsNats()) GTEST_SKIP() << "_TERN.STATS is tern's";
  START_SERVER();
  constexpr int kRequests = 500;
  RawClient requester, responder, stats;
  ASSERT_TRUE(Connect(requester));
  ASSERT_TRUE(Connect(responder));
  ASSERT_TRUE(responder.Send("SUB svc 1\r\n"));
  ASSERT_TRUE(responder.Ping());
  nlohmann::json before = Stats(stats);

  std::string requests;
  for (int i = 0; i < kRequests; ++i) {
    const std::string sid = std::to_string(i + 1);
    requests += "SUB inbox." + sid + " " + sid + "\r\nUNSUB " + sid + " 1\r\n" + Pub("svc", "q", "inbox." + sid);
  }
  ASSERT_TRUE(requester.Send(requests));
  std::string replies;
  for (int i = 0; i < kRequests; ++i) {
    auto req = responder.ReadMsg();
    ASSERT_TRUE(req) << responder.last_error();
    replies += Pub(req->reply, "a");
  }
  ASSERT_TRUE(responder.Send(replies));
  for (int i = 0; i < kRequests; ++i)
    ASSERT_TRUE(requester.ReadMsg()) << "reply " << i << ": " << requester.last_error();

  // The sweep runs on the requester's own thread, at its next input or tick.
  ASSERT_TRUE(requester.Ping());
  nlohmann::json after;
  for (int attempt = 0; attempt < 40; ++attempt) {
    after = Stats(stats);
    if (after["session_subscriptions"] == before["session_subscriptions"]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(after["subscriptions"], before["subscriptions"]);
  EXPECT_EQ(after["session_subscriptions"], before["session_subscriptions"]);
  EXPECT_EQ(before["session_subscriptions"], 2) << "the responder's and the stats reader's";
}

TERN_INSTANTIATE_TRANSPORTS(RequestTest);

}  // namespace
}  // namespace tern::testing
