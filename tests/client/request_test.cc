// Request/reply over the shared inbox: replies, no responders vs timeout,
// first answer wins, many requests in flight.
#include "client_fixture.h"

namespace tern::testing {
namespace {

TEST_F(ClientTest, RequestGetsReply) {
  auto server = Connect();
  auto client = Connect();
  ASSERT_TRUE(server
                  ->Subscribe("svc.echo",
                              [&](const Message& m) {
                                Message reply(m.reply, "echo:" + m.data);
                                reply.headers.Add("Seen", m.headers.Get("In").value_or("none").data());
                                (void)server->Publish(reply);
                              })
                  .ok());
  ASSERT_TRUE(server->Flush(2s).ok());
  auto r = client->Request("svc.echo", "hi", 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, "echo:hi");
  EXPECT_EQ(r->headers.Get("Seen"), "none");
  Message with_headers("svc.echo", "h");
  with_headers.headers.Add("In", "yes");
  auto r2 = client->Request(with_headers, 2s);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->headers.Get("Seen"), "yes");
}

TEST_F(ClientTest, NoRespondersIsDistinctFromTimeout) {
  auto client = Connect();
  auto start = std::chrono::steady_clock::now();
  auto none = client->Request("nobody.home", "x", 5s);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.code(), Code::kNoResponders) << none.status().ToString();
  EXPECT_LT(took, 2s) << "no responders must come back at once, not at the timeout";

  auto silent = Connect();
  ASSERT_TRUE(silent->Subscribe("silent", [](const Message&) {}).ok());
  ASSERT_TRUE(silent->Flush(2s).ok());
  auto timed_out = client->Request("silent", "x", 100ms);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.code(), Code::kTimeout);
}

TEST_F(ClientTest, FirstReplyWinsLaterOnesDropped) {
  auto client = Connect();
  std::vector<std::unique_ptr<Connection>> answerers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) {
    answerers.push_back(Connect());
    Connection* c = answerers.back().get();
    ASSERT_TRUE(c->Subscribe("ask", [c, i, &answered](const Message& m) {
                   std::this_thread::sleep_for(std::chrono::milliseconds(20 * i));
                   (void)c->Publish(m.reply, "answer " + std::to_string(i));
                   answered++;
                 }).ok());
    ASSERT_TRUE(c->Flush(2s).ok());
  }
  auto r = client->Request("ask", "q", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, "answer 0");
  ASSERT_TRUE(WaitFor([&] { return answered == 3; }));
  // Late answers went nowhere; the next request gets its own reply.
  auto r2 = client->Request("ask", "q2", 2s);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->data, "answer 0");
}

TEST_F(ClientTest, ManyConcurrentRequestsShareOneInbox) {
  auto server = Connect();
  auto client = Connect();
  ASSERT_TRUE(server
                  ->QueueSubscribe(
                      "svc.add", "adders",
                      [&](const Message& m) { (void)server->Publish(m.reply, std::to_string(std::stoi(m.data) + 1)); })
                  .ok());
  ASSERT_TRUE(server->Flush(2s).ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        int v = t * 1000 + i;
        auto r = client->Request("svc.add", std::to_string(v), 2s);
        if (r.ok() && r->data == std::to_string(v + 1)) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(client->stats().in_msgs, 200u);
}

TEST_F(ClientTest, RequestFromInsideAHandlerInSerialMode) {
  Options o = TestOptions();
  o.dispatch = DispatchMode::kSerial;
  auto c = Connect(o);
  ASSERT_TRUE(c->Subscribe("inner", [&](const Message& m) { (void)c->Publish(m.reply, "inner-ok"); }).ok());
  std::atomic<bool> done{false};
  std::string got;
  ASSERT_TRUE(c->Subscribe("outer", [&](const Message&) {
                 // The reply is matched on the I/O thread, so this does not
                 // need the (busy) serial thread... but the answerer does: it
                 // runs on the same serial thread, so expect a timeout here,
                 // not a deadlock.
                 auto r = c->Request("inner", "x", 200ms);
                 got = r.ok() ? r->data : std::string(CodeName(r.code()));
                 done = true;
               }).ok());
  ASSERT_TRUE(c->Publish("outer", "go").ok());
  ASSERT_TRUE(WaitFor([&] { return done.load(); }));
  EXPECT_EQ(got, "timeout");
  // From another connection's handler the same request succeeds.
  auto other = Connect(o);
  std::atomic<bool> done2{false};
  ASSERT_TRUE(other
                  ->Subscribe("outer2",
                              [&](const Message&) {
                                auto r = other->Request("inner", "x", 2s);
                                got = r.ok() ? r->data : std::string(CodeName(r.code()));
                                done2 = true;
                              })
                  .ok());
  ASSERT_TRUE(other->Flush(2s).ok());
  ASSERT_TRUE(c->Publish("outer2", "go").ok());
  ASSERT_TRUE(WaitFor([&] { return done2.load(); }));
  EXPECT_EQ(got, "inner-ok");
}

}  // namespace
}  // namespace tern::testing
