// The read role (conn_read.cc) and inline dispatch, against a real server:
// a waiting requester reads its own reply, inline handlers run on whichever
// thread reads, and nothing is lost when several threads take turns reading.
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client_fixture.h"

namespace tern::testing {
namespace {

Options Inline(Options o) {
  o.dispatch = DispatchMode::kInline;
  return o;
}

// A subscription whose handler replies with the request's data, on its own connection.
Subscription Echo(Connection& c, const std::string& subject) {
  Connection* conn = &c;
  auto sub = c.Subscribe(subject, [conn](const Message& m) { (void)conn->Publish(m.reply, m.data); });
  EXPECT_TRUE(sub.ok());
  EXPECT_TRUE(c.Flush(2s).ok());
  return sub.ok() ? *sub : Subscription();
}

TEST_F(ClientTest, InlineHandlerRunsOnTheThreadWaitingInRequest) {
  // One connection both serves and asks: the requesting thread reads the
  // socket while it waits, so the request reaches the inline handler on that
  // very thread, and the reply comes back the same way.
  auto c = Connect(Inline(TestOptions()));
  std::mutex mu;
  std::vector<std::thread::id> ran_on;
  Connection* conn = c.get();
  auto sub = c->Subscribe("svc.self", [&, conn](const Message& m) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ran_on.push_back(std::this_thread::get_id());
    }
    (void)conn->Publish(m.reply, "pong:" + m.data);
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  int here = 0;
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    // A pause between requests lets the I/O thread finish a drain it may
    // have started and let go of the role: on a loaded machine it can be
    // preempted while holding it, and a requester finding the role taken
    // leaves the reading to it, so back-to-back requests can then all be
    // read by the I/O thread (seen in CI: 0 of 20).
    std::this_thread::sleep_for(5ms);
    auto r = c->Request("svc.self", std::to_string(i), 2s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->data, "pong:" + std::to_string(i));
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(ran_on.size(), static_cast<size_t>(kRequests));
  for (auto id : ran_on) here += id == std::this_thread::get_id() ? 1 : 0;
  // The I/O thread may win a race now and then; without the read role it
  // would win every time.
  EXPECT_GE(here, kRequests / 2);
}

TEST_F(ClientTest, InlineHandlerCannotWaitOnItsOwnConnection) {
  auto c = Connect(Inline(TestOptions()));
  auto pub = Connect();
  std::atomic<int> done{0};
  std::vector<Code> codes(5, Code::kOk);
  Connection* conn = c.get();
  auto sub = c->Subscribe("inline.block", [&, conn](const Message&) {
    codes[0] = conn->Request("anything", "", 100ms).status().code();
    codes[1] = conn->Flush(100ms).code();
    codes[2] = conn->Close().code();
    codes[3] = conn->Drain(100ms).code();
    codes[4] = conn->Publish("inline.ok", "still fine").code();
    done = 1;
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(pub->Publish("inline.block", "x").ok());
  ASSERT_TRUE(WaitFor([&] { return done.load() == 1; }));
  EXPECT_EQ(codes[0], Code::kInvalidArgument);
  EXPECT_EQ(codes[1], Code::kInvalidArgument);
  EXPECT_EQ(codes[2], Code::kInvalidArgument);
  EXPECT_EQ(codes[3], Code::kInvalidArgument);
  EXPECT_EQ(codes[4], Code::kOk);
  EXPECT_TRUE(c->connected());
}

TEST_F(ClientTest, InlineResponderServesRequestersOnManyThreads) {
  auto responder = Connect(Inline(TestOptions()));
  auto sub = Echo(*responder, "svc.many");
  auto requester = Connect();
  constexpr int kThreads = 4, kEach = 150;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string body = std::to_string(t) + "/" + std::to_string(i);
        auto r = requester->Request("svc.many", body, 5s);
        if (r.ok() && r->data == body) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
}

TEST_F(ClientTest, RequesterReadingForItselfStillDeliversOtherMessages) {
  // While the requester holds the read role it parses everything that
  // arrives, including a stream for another subscription of its connection,
  // and what it leaves unread goes back to the I/O thread.
  auto responder = Connect();
  auto echo = Echo(*responder, "svc.mixed");
  Options o = TestOptions();
  o.sub_pending_msgs = 1 << 20;
  auto c = Connect(o);
  std::atomic<int> streamed{0};
  auto sub = c->Subscribe("stream.mixed", [&](const Message&) { streamed++; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  auto pub = Connect();
  constexpr int kStream = 50000;
  std::thread flood([&] {
    for (int i = 0; i < kStream; ++i) (void)pub->Publish("stream.mixed", "0123456789abcdef");
    (void)pub->Flush(10s);
  });
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = c->Request("svc.mixed", std::to_string(i), 5s);
    if (r.ok() && r->data == std::to_string(i)) answered++;
  }
  flood.join();
  EXPECT_EQ(answered, 200);
  EXPECT_TRUE(WaitFor([&] { return streamed.load() == kStream; }, 10s)) << streamed.load();
  EXPECT_EQ(sub->dropped(), 0u);
}

TEST_F(ClientTest, FlushesFromManyThreadsAllSeeTheirPong) {
  auto c = Connect();
  constexpr int kThreads = 6, kEach = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) ok += c->Flush(5s).ok() ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
}

TEST_F(ClientTest, ServerDyingUnderAWaitingRequesterEndsTheWaitAndReconnects) {
  auto responder = Connect();
  auto echo = Echo(*responder, "svc.dies");
  auto c = Connect();
  ASSERT_TRUE(c->Request("svc.dies", "warm", 2s).ok());
  // Nobody answers "svc.silent": the requester sits reading the socket when
  // the server goes away.
  auto silent = responder->Subscribe("svc.silent", [](const Message&) {});
  ASSERT_TRUE(silent.ok());
  ASSERT_TRUE(responder->Flush(2s).ok());
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    server_->Kill();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->Request("svc.silent", "x", 1500ms);
  auto waited = std::chrono::steady_clock::now() - t0;
  killer.join();
  EXPECT_FALSE(r.ok());
  EXPECT_LT(waited, 3s);
  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(WaitFor([&] { return c->connected() && responder->connected(); }, 10s));
  // The responder's subscription comes back with it (its SUB may reach the
  // restarted server a moment after our reconnect).
  EXPECT_TRUE(WaitFor(
      [&] {
        auto again = c->Request("svc.dies", "back", 500ms);
        return again.ok() && again->data == "back";
      },
      10s));
}

}  // namespace
}  // namespace tern::testing
