// Flush, drain, close, events, and reconnecting after the server is killed.
#include <signal.h>

#include <mutex>
#include <set>

#include "client_fixture.h"

namespace tern::testing {
namespace {

struct EventLog {
  std::mutex mu;
  std::vector<Event> events;
  std::function<void(const Event&)> callback() {
    return [this](const Event& e) {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(e);
    };
  }
  int Count(EventType type) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const Event& e : events) n += e.type == type;
    return n;
  }
};

TEST_F(ClientTest, FlushProvesServerSawEverything) {
  auto a = Connect();
  auto b = Connect();
  std::atomic<int> n{0};
  ASSERT_TRUE(b->Subscribe("f", [&](const Message&) { n++; }).ok());
  ASSERT_TRUE(b->Flush(2s).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(a->Publish("f", "x").ok());
  ASSERT_TRUE(a->Flush(2s).ok());
  ASSERT_TRUE(WaitFor([&] { return n == 1000; }));
}

TEST_F(ClientTest, DrainHandlesInFlightMessagesThenCloses) {
  EventLog log;
  Options o = TestOptions();
  o.on_event = log.callback();
  auto c = Connect(o);
  auto pub = Connect();
  std::atomic<int> handled{0};
  ASSERT_TRUE(c->Subscribe("drain", [&](const Message&) {
                 std::this_thread::sleep_for(2ms);
                 handled++;
               }).ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pub->Publish("drain", "x").ok());
  ASSERT_TRUE(pub->Flush(2s).ok());
  // Everything the server sent before the UNSUB is handled before Drain returns.
  Status s = c->Drain(5s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(handled, 100);
  EXPECT_EQ(c->state(), ConnState::kClosed);
  EXPECT_EQ(c->Publish("drain", "late").code(), Code::kClosed);
  EXPECT_TRUE(WaitFor([&] { return log.Count(EventType::kClosed) == 1; }));
}

TEST_F(ClientTest, DrainSendsRepliesPublishedByHandlers) {
  auto svc = Connect();
  auto client = Connect();
  std::atomic<bool> in_handler{false};
  ASSERT_TRUE(svc->Subscribe("slow.svc",
                             [&](const Message& m) {
                               in_handler = true;
                               std::this_thread::sleep_for(100ms);
                               (void)svc->Publish(m.reply, "done");
                             })
                  .ok());
  ASSERT_TRUE(svc->Flush(2s).ok());
  Result<Message> reply = Status(Code::kTimeout, "");
  std::thread requester([&] { reply = client->Request("slow.svc", "x", 3s); });
  ASSERT_TRUE(WaitFor([&] { return in_handler.load(); }));
  EXPECT_TRUE(svc->Drain(3s).ok());
  requester.join();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->data, "done");
}

TEST_F(ClientTest, SubscriptionDrainKeepsConnectionOpen) {
  auto c = Connect();
  std::atomic<int> n{0};
  auto sub = c->Subscribe("sd", [&](const Message&) {
    std::this_thread::sleep_for(1ms);
    n++;
  });
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c->Publish("sd", "x").ok());
  ASSERT_TRUE(sub->Drain(5s).ok());
  EXPECT_EQ(n, 50);
  EXPECT_FALSE(sub->active());
  ASSERT_TRUE(c->Publish("sd", "after").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(n, 50);
  EXPECT_TRUE(c->connected());
}

TEST_F(ClientTest, CloseAndDrainFromAHandlerAreRefused) {
  auto c = Connect();
  std::atomic<int> close_code{-1}, drain_code{-1};
  ASSERT_TRUE(c->Subscribe("x", [&](const Message&) {
                 close_code = static_cast<int>(c->Close().code());
                 drain_code = static_cast<int>(c->Drain(1s).code());
               }).ok());
  ASSERT_TRUE(c->Publish("x", "").ok());
  ASSERT_TRUE(WaitFor([&] { return drain_code != -1; }));
  EXPECT_EQ(close_code, static_cast<int>(Code::kInvalidArgument));
  EXPECT_EQ(drain_code, static_cast<int>(Code::kInvalidArgument));
  EXPECT_TRUE(c->connected());
}

TEST_F(ClientTest, ServerErrorsAreEvents) {
  EventLog log;
  Options o = TestOptions();
  o.on_event = log.callback();
  auto c = Connect(o);
  // A subscription the server refuses (an invalid queue is caught locally,
  // so use a subject only the server rejects: too long for its control line).
  std::string long_subject(5000, 'a');
  (void)c->Subscribe(long_subject, [](const Message&) {});
  EXPECT_TRUE(WaitFor([&] { return log.Count(EventType::kServerError) >= 1; }));
}

// The reconnect scenario: SIGKILL the server mid-stream, restart it on the same port.
TEST_F(ClientTest, ReconnectRestoresSubscriptionsAndResumesPublishing) {
  EventLog log;
  Options o = TestOptions();
  o.on_event = log.callback();
  auto sub_conn = Connect(o);
  auto pub_conn = Connect(o);
  std::mutex mu;
  std::set<int> got;
  std::atomic<int> queue_got{0};
  ASSERT_TRUE(sub_conn
                  ->Subscribe("stream",
                              [&](const Message& m) {
                                std::lock_guard<std::mutex> lock(mu);
                                got.insert(std::stoi(m.data));
                              })
                  .ok());
  ASSERT_TRUE(sub_conn->QueueSubscribe("qstream", "g", [&](const Message&) { queue_got++; }).ok());
  auto auto_sub = sub_conn->Subscribe("limited", [](const Message&) {});
  ASSERT_TRUE(auto_sub.ok());
  ASSERT_TRUE(auto_sub->AutoUnsubscribe(5).ok());
  ASSERT_TRUE(sub_conn->Flush(2s).ok());

  // sub_conn streams to itself, so its SUBs are always restored before its
  // own buffered publishes go out and every one of them must arrive.
  std::atomic<bool> stop{false};
  std::atomic<int> next{0};
  std::atomic<int> publish_errors{0};
  std::thread publisher([&] {
    while (!stop) {
      int i = next++;
      if (!sub_conn->Publish("stream", std::to_string(i)).ok()) publish_errors++;
      std::this_thread::sleep_for(1ms);
    }
  });
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return got.size() > 50;
  }));
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return log.Count(EventType::kDisconnected) >= 2; }));
  EXPECT_NE(sub_conn->state(), ConnState::kConnected);
  // From here on every publish is made while disconnected (the event comes
  // after the state change), so it is buffered.
  int first_while_down = next.load();
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(server_->Start()) << server_->LogTail();
  ASSERT_TRUE(WaitFor([&] { return log.Count(EventType::kReconnected) >= 2; }, 10s));
  ASSERT_TRUE(WaitFor([&] { return sub_conn->connected() && pub_conn->connected(); }));
  int resumed_from = next.load();
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return got.count(resumed_from + 20) == 1;
      },
      10s));
  stop = true;
  publisher.join();
  EXPECT_EQ(publish_errors, 0);
  EXPECT_GT(resumed_from - first_while_down, 20);
  {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<int> missing;
    for (int i = first_while_down; i <= resumed_from + 20; ++i) {
      if (got.count(i) == 0) missing.push_back(i);
    }
    EXPECT_TRUE(missing.empty()) << missing.size() << " buffered/resumed publishes missing, first " << missing[0];
  }
  // Queue subscriptions and auto-unsubscribe limits survived too.
  ASSERT_TRUE(pub_conn->Publish("qstream", "q").ok());
  ASSERT_TRUE(WaitFor([&] { return queue_got == 1; }));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pub_conn->Publish("limited", "l").ok());
  ASSERT_TRUE(pub_conn->Flush(2s).ok());
  ASSERT_TRUE(WaitFor([&] { return auto_sub->received() == 5; }));
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(auto_sub->received(), 5u);
  EXPECT_EQ(sub_conn->stats().reconnects, 1u);
}

TEST_F(ClientTest, RequestsWorkAfterReconnect) {
  auto svc = Connect();
  auto client = Connect();
  ASSERT_TRUE(svc->Subscribe("r", [&](const Message& m) { (void)svc->Publish(m.reply, "pong"); }).ok());
  ASSERT_TRUE(svc->Flush(2s).ok());
  ASSERT_TRUE(client->Request("r", "1", 2s).ok());
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return !client->connected() && !svc->connected(); }));
  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(WaitFor([&] { return client->connected() && svc->connected(); }, 10s));
  ASSERT_TRUE(svc->Flush(2s).ok());
  auto r = client->Request("r", "2", 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, "pong");
}

TEST_F(ClientTest, PublishBufferBoundWhileDisconnectedIsAClearError) {
  Options o = TestOptions();
  o.reconnect.buffer_bytes = 4096;
  o.reconnect.initial_delay = 5s;  // stay disconnected for the test
  o.reconnect.max_delay = 5s;
  auto c = Connect(o);
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return c->state() == ConnState::kReconnecting; }));
  std::string payload(100, 'x');
  int accepted = 0;
  Status last;
  for (int i = 0; i < 100; ++i) {
    last = c->Publish("buffered", payload);
    if (!last.ok()) break;
    accepted++;
  }
  EXPECT_EQ(last.code(), Code::kBufferFull) << last.ToString();
  EXPECT_GT(accepted, 20);
  EXPECT_LT(accepted, 41);
  EXPECT_EQ(c->Flush(100ms).code(), Code::kDisconnected);
}

TEST_F(ClientTest, BufferedPublishesAreDeliveredAfterReconnect) {
  Options o = TestOptions();
  auto c = Connect(o);
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return c->state() == ConnState::kReconnecting; }));
  // The subscription is made while disconnected too; it must be in place
  // before the buffered publishes go out.
  auto ch = c->SubscribeChannel("buf", 100);
  ASSERT_TRUE(ch.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->Publish("buf", std::to_string(i)).ok());
  ASSERT_TRUE(server_->Start());
  for (int i = 0; i < 10; ++i) {
    auto m = ch->Next(10s);
    ASSERT_TRUE(m.ok()) << i << ": " << m.status().ToString();
    EXPECT_EQ(m->data, std::to_string(i));
  }
}

TEST_F(ClientTest, GivingUpReconnectingClosesWithEvent) {
  EventLog log;
  Options o = TestOptions();
  o.on_event = log.callback();
  o.reconnect.max_attempts = 2;
  o.reconnect.initial_delay = 10ms;
  auto c = Connect(o);
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return c->state() == ConnState::kClosed; }));
  EXPECT_TRUE(WaitFor([&] { return log.Count(EventType::kClosed) == 1; }));
  EXPECT_EQ(log.Count(EventType::kDisconnected), 1);
  EXPECT_EQ(c->Publish("x", "y").code(), Code::kClosed);
}

TEST_F(ClientTest, NoReconnectClosesOnDisconnect) {
  Options o = TestOptions();
  o.reconnect.enabled = false;
  auto c = Connect(o);
  auto ch = c->SubscribeChannel("never", 4);
  ASSERT_TRUE(ch.ok());
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return c->state() == ConnState::kClosed; }));
  EXPECT_EQ(ch->Next(1s).code(), Code::kClosed);
}

TEST_F(ClientTest, StaleConnectionIsDetectedByPings) {
  // A server that stops answering (SIGSTOP) is dropped after max_pings_out.
  EventLog log;
  Options o = TestOptions();
  o.on_event = log.callback();
  o.ping_interval = 50ms;
  o.max_pings_out = 2;
  o.reconnect.max_attempts = 1;
  o.connect_timeout = 200ms;
  auto c = Connect(o);
  ::kill(server_->pid(), SIGSTOP);
  bool dropped = WaitFor([&] { return log.Count(EventType::kDisconnected) >= 1; }, 3s);
  ::kill(server_->pid(), SIGCONT);
  EXPECT_TRUE(dropped);
}

}  // namespace
}  // namespace tern::testing
