// Publish and subscribe: plain, reply subject, headers, batches, queue groups,
// channels, unsubscribe and auto-unsubscribe.
#include <map>
#include <mutex>
#include <set>

#include "client_fixture.h"

namespace tern::testing {
namespace {

// Collects messages from a handler, thread-safely.
struct Inbox {
  std::mutex mu;
  std::vector<Message> msgs;
  Handler handler() {
    return [this](const Message& m) {
      std::lock_guard<std::mutex> lock(mu);
      msgs.push_back(m);
    };
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return msgs.size();
  }
  Message at(size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    return msgs.at(i);
  }
};

TEST_F(ClientTest, PublishSubscribeWithReplyAndHeaders) {
  auto sub_conn = Connect();
  auto pub_conn = Connect();
  Inbox inbox;
  auto sub = sub_conn->Subscribe("greet.*", inbox.handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub_conn->Flush(2s).ok());

  ASSERT_TRUE(pub_conn->Publish("greet.plain", "hello").ok());
  ASSERT_TRUE(pub_conn->Publish("greet.reply", "reply.here", "with reply").ok());
  Message m("greet.headers", "with headers");
  m.headers.Add("Trace-Id", "abc123");
  m.headers.Add("Multi", "1");
  m.headers.Add("Multi", "2");
  ASSERT_TRUE(pub_conn->Publish(m).ok());
  ASSERT_TRUE(pub_conn->Publish("greet.empty", "").ok());

  ASSERT_TRUE(WaitFor([&] { return inbox.size() == 4; }));
  EXPECT_EQ(inbox.at(0).subject, "greet.plain");
  EXPECT_EQ(inbox.at(0).data, "hello");
  EXPECT_TRUE(inbox.at(0).reply.empty());
  EXPECT_EQ(inbox.at(1).reply, "reply.here");
  EXPECT_EQ(inbox.at(2).headers.Get("Trace-Id"), "abc123");
  EXPECT_EQ(inbox.at(2).headers.GetAll("Multi").size(), 2u);
  EXPECT_EQ(inbox.at(2).data, "with headers");
  EXPECT_EQ(inbox.at(3).data, "");
  EXPECT_EQ(sub->received(), 4u);
  EXPECT_TRUE(WaitFor([&] { return sub->delivered() == 4; }));
  ConnectionStats ps = pub_conn->stats();
  EXPECT_EQ(ps.out_msgs, 4u);
  EXPECT_GE(sub_conn->stats().in_msgs, 4u);
}

TEST_F(ClientTest, InvalidSubjectsAndPayloadTooLarge) {
  auto c = Connect();
  EXPECT_EQ(c->Publish("", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Publish("a b", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Publish("a.*", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Publish("a", "bad reply", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Subscribe("a..b", [](const Message&) {}).code(), Code::kInvalidArgument);
  EXPECT_EQ(c->Subscribe("a", nullptr).code(), Code::kInvalidArgument);
  EXPECT_EQ(c->QueueSubscribe("a", "bad q", [](const Message&) {}).code(), Code::kInvalidArgument);
  std::string big(static_cast<size_t>(c->server_info().max_payload) + 1, 'x');
  EXPECT_EQ(c->Publish("a", big).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, PublishBatchArrivesInOrder) {
  auto c = Connect();
  Inbox inbox;
  auto sub = c->Subscribe("batch.>", inbox.handler());
  ASSERT_TRUE(sub.ok());
  std::vector<Message> batch;
  for (int i = 0; i < 100; ++i) {
    Message m("batch." + std::to_string(i % 3), std::to_string(i));
    if (i % 10 == 0) m.headers.Add("N", std::to_string(i));
    batch.push_back(std::move(m));
  }
  ASSERT_TRUE(c->PublishBatch(batch).ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.size() == 100; }));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(inbox.at(static_cast<size_t>(i)).data, std::to_string(i));
    if (i % 10 == 0) {
      EXPECT_EQ(inbox.at(static_cast<size_t>(i)).headers.Get("N"), std::to_string(i));
    }
  }
  // All or nothing: one bad subject rejects the whole batch.
  std::vector<Message> bad = {Message("ok", "1"), Message("", "2")};
  EXPECT_EQ(c->PublishBatch(bad).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, SubscribeBatch) {
  auto c = Connect();
  Inbox a, b, q;
  std::vector<SubscribeSpec> specs = {
      {"sb.a", "", a.handler()}, {"sb.b", "", b.handler()}, {"sb.q", "grp", q.handler()}};
  auto subs = c->SubscribeBatch(specs);
  ASSERT_TRUE(subs.ok());
  ASSERT_EQ(subs->size(), 3u);
  EXPECT_EQ((*subs)[2].queue(), "grp");
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(c->Publish("sb.a", "1").ok());
  ASSERT_TRUE(c->Publish("sb.b", "2").ok());
  ASSERT_TRUE(c->Publish("sb.q", "3").ok());
  ASSERT_TRUE(WaitFor([&] { return a.size() == 1 && b.size() == 1 && q.size() == 1; }));
  std::vector<SubscribeSpec> bad = {{"ok", "", a.handler()}, {"", "", a.handler()}};
  EXPECT_EQ(c->SubscribeBatch(bad).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, QueueGroupDeliversEachMessageToOneMember) {
  auto pub = Connect();
  constexpr int kMembers = 3;
  std::vector<std::unique_ptr<Connection>> conns;
  std::atomic<int> total{0};
  std::vector<std::atomic<int>> per(kMembers);
  for (int i = 0; i < kMembers; ++i) {
    conns.push_back(Connect());
    auto s = conns.back()->QueueSubscribe("work", "workers", [&, i](const Message&) {
      per[static_cast<size_t>(i)]++;
      total++;
    });
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(conns.back()->Flush(2s).ok());
  }
  constexpr int kMsgs = 300;
  for (int i = 0; i < kMsgs; ++i) ASSERT_TRUE(pub->Publish("work", "job").ok());
  ASSERT_TRUE(WaitFor([&] { return total == kMsgs; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(total, kMsgs);  // no duplicates
  for (int i = 0; i < kMembers; ++i) EXPECT_GT(per[static_cast<size_t>(i)], 0) << "member " << i;
}

TEST_F(ClientTest, UnsubscribeStopsDelivery) {
  auto c = Connect();
  std::atomic<int> n{0};
  auto sub = c->Subscribe("u", [&](const Message&) { n++; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(c->Publish("u", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return n == 1; }));
  ASSERT_TRUE(sub->Unsubscribe().ok());
  EXPECT_FALSE(sub->active());
  ASSERT_TRUE(c->Publish("u", "2").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(sub->Unsubscribe().code(), Code::kClosed);
}

TEST_F(ClientTest, AutoUnsubscribeAfterN) {
  auto c = Connect();
  std::atomic<int> n{0};
  auto sub = c->Subscribe("auto", [&](const Message&) { n++; });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub->AutoUnsubscribe(3).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->Publish("auto", "x").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(WaitFor([&] { return n == 3; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(WaitFor([&] { return !sub->active(); }));
  EXPECT_EQ(sub->AutoUnsubscribe(0).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, UnsubscribeFromInsideItsHandler) {
  auto c = Connect();
  std::atomic<int> n{0};
  Subscription self;
  std::mutex mu;
  auto sub = c->Subscribe("selfstop", [&](const Message&) {
    n++;
    std::lock_guard<std::mutex> lock(mu);
    (void)self.Unsubscribe();
  });
  ASSERT_TRUE(sub.ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    self = *sub;
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Publish("selfstop", "x").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(WaitFor([&] { return n >= 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n, 1);
}

TEST_F(ClientTest, ChannelSubscriptionIsPollable) {
  auto c = Connect();
  auto ch = c->SubscribeChannel("chan", 16);
  ASSERT_TRUE(ch.ok());
  EXPECT_TRUE(ch->is_channel());
  EXPECT_EQ(ch->Next(20ms).code(), Code::kTimeout);
  EXPECT_FALSE(ch->TryNext().has_value());
  ASSERT_TRUE(c->Publish("chan", "one").ok());
  ASSERT_TRUE(c->Publish("chan", "two").ok());
  auto m1 = ch->Next(2s);
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->data, "one");
  ASSERT_TRUE(WaitFor([&] { return ch->pending() == 1; }));
  auto m2 = ch->TryNext();
  ASSERT_TRUE(m2.has_value());
  EXPECT_EQ(m2->data, "two");
  EXPECT_EQ(ch->delivered(), 2u);
  ASSERT_TRUE(ch->Unsubscribe().ok());
  EXPECT_EQ(ch->Next(20ms).code(), Code::kClosed);
  EXPECT_EQ(c->SubscribeChannel("chan", 0).code(), Code::kInvalidArgument);
  auto handler_sub = c->Subscribe("h", [](const Message&) {});
  EXPECT_EQ(handler_sub->Next(1ms).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, ChannelOverflowDropsAndCountsWithoutBlocking) {
  std::mutex mu;
  std::vector<Event> events;
  Options o = TestOptions();
  o.on_event = [&](const Event& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  };
  auto c = Connect(o);
  auto ch = c->SubscribeChannel("flood", 10);
  ASSERT_TRUE(ch.ok());
  // A second, normal subscription proves the connection kept reading.
  std::atomic<int> other{0};
  ASSERT_TRUE(c->Subscribe("other", [&](const Message&) { other++; }).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c->Publish("flood", std::to_string(i)).ok());
  ASSERT_TRUE(c->Publish("other", "still alive").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(WaitFor([&] { return other == 1; }));
  EXPECT_EQ(ch->pending(), 10u);
  EXPECT_EQ(ch->dropped(), 90u);
  EXPECT_EQ(ch->received(), 100u);
  EXPECT_EQ(c->stats().dropped, 90u);
  // The first ten are kept, in order.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ch->Next(1s)->data, std::to_string(i));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !events.empty();
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(events[0].type, EventType::kSlowConsumer);
  EXPECT_EQ(events[0].subject, "flood");
}

TEST_F(ClientTest, SlowHandlerDoesNotStallAnotherSubscription) {
  auto c = Connect();
  std::atomic<bool> release{false};
  std::atomic<int> slow_started{0};
  std::atomic<int> fast{0};
  ASSERT_TRUE(c->Subscribe("slow", [&](const Message&) {
                 slow_started++;
                 while (!release) std::this_thread::sleep_for(1ms);
               }).ok());
  ASSERT_TRUE(c->Subscribe("fast", [&](const Message&) { fast++; }).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c->Publish("slow", "x").ok());
  ASSERT_TRUE(WaitFor([&] { return slow_started == 1; }));
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(c->Publish("fast", "y").ok());
  EXPECT_TRUE(WaitFor([&] { return fast == 200; }, 3s)) << "fast handled " << fast;
  EXPECT_EQ(slow_started, 1);  // one subscription's messages never run concurrently
  release = true;
  EXPECT_TRUE(WaitFor([&] { return slow_started == 5; }));
}

TEST_F(ClientTest, SerialModeRunsAllHandlersInArrivalOrderOnOneThread) {
  Options o = TestOptions();
  o.dispatch = DispatchMode::kSerial;
  auto c = Connect(o);
  auto pub = Connect();
  std::vector<std::string> order;  // no lock: serial mode promises one thread
  std::set<std::thread::id> threads;
  std::atomic<int> n{0};
  auto record = [&](const Message& m) {
    order.push_back(m.subject + ":" + m.data);
    threads.insert(std::this_thread::get_id());
    n++;
  };
  for (const char* s : {"s.a", "s.b", "s.c"}) ASSERT_TRUE(c->Subscribe(s, record).ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    std::string subj = std::string("s.") + "abc"[i % 3];
    ASSERT_TRUE(pub->Publish(subj, std::to_string(i)).ok());
    want.push_back(subj + ":" + std::to_string(i));
  }
  ASSERT_TRUE(WaitFor([&] { return n == 300; }));
  EXPECT_EQ(order, want);
  EXPECT_EQ(threads.size(), 1u);
}

TEST_F(ClientTest, PoolModeKeepsPerSubscriptionOrder) {
  auto c = Connect();
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  std::atomic<int> n{0};
  for (const char* s : {"p.a", "p.b"}) {
    ASSERT_TRUE(c->Subscribe(s, [&](const Message& m) {
                   std::lock_guard<std::mutex> lock(mu);
                   seen[m.subject].push_back(std::stoi(m.data));
                   n++;
                 }).ok());
  }
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(c->Publish(i % 2 ? "p.a" : "p.b", std::to_string(i)).ok());
  ASSERT_TRUE(WaitFor([&] { return n == 1000; }));
  for (auto& [subject, values] : seen) EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << subject;
}

TEST_F(ClientTest, ConcurrentPublishersNeverInterleaveBytes) {
  // Writes from the writer thread and from callers (send_asap) must never
  // overlap on the socket: a torn PUB would make the server drop us.
  for (bool asap : {false, true}) {
    Options o = TestOptions();
    o.send_asap = asap;
    auto pub = Connect(o);
    auto sub = Connect();
    std::mutex mu;
    std::map<std::string, std::vector<int>> seen;
    std::atomic<int> n{0};
    ASSERT_TRUE(sub->Subscribe("conc.>",
                               [&](const Message& m) {
                                 std::lock_guard<std::mutex> lock(mu);
                                 seen[m.subject].push_back(std::stoi(m.data));
                                 n++;
                               })
                    .ok());
    ASSERT_TRUE(sub->Flush(2s).ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::string payload(t * 300, 'p');  // different sizes make tearing visible
        for (int i = 0; i < 500; ++i) {
          Message m("conc." + std::to_string(t), std::to_string(i));
          if (i % 7 == 0) m.headers.Add("Pad", payload);
          ASSERT_TRUE(pub->Publish(m).ok());
          if (i % 100 == 0) {
            ASSERT_TRUE(pub->Flush(2s).ok());
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_TRUE(pub->Flush(5s).ok());
    ASSERT_TRUE(WaitFor([&] { return n == 2000; })) << "asap=" << asap << " got " << n;
    EXPECT_TRUE(pub->connected());
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [subject, values] : seen) {
      EXPECT_EQ(values.size(), 500u) << subject;
      EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << subject;
    }
  }
}

TEST_F(ClientTest, EchoOffSkipsOwnMessages) {
  Options o = TestOptions();
  o.echo = false;
  auto c = Connect(o);
  auto other = Connect();
  std::atomic<int> n{0};
  ASSERT_TRUE(c->Subscribe("echo", [&](const Message&) { n++; }).ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(c->Publish("echo", "mine").ok());
  ASSERT_TRUE(other->Publish("echo", "theirs").ok());
  ASSERT_TRUE(WaitFor([&] { return n == 1; }));
  ASSERT_TRUE(c->Flush(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace tern::testing
