// The patterns on top of the connection: notify, call, broadcast, ask-all,
// pipeline, join, direct messages, interest query.
#include <mutex>

#include "client_fixture.h"

namespace tern::testing {
namespace {

TEST_F(ClientTest, NotifyReachesExactlyOneGroupMember) {
  auto sender = Connect();
  auto w1 = Connect();
  auto w2 = Connect();
  std::atomic<int> n1{0}, n2{0};
  ASSERT_TRUE(OnNotify(*w1, "jobs", "workers", [&](const Message&) { n1++; }).ok());
  ASSERT_TRUE(OnNotify(*w2, "jobs", "workers", [&](const Message&) { n2++; }).ok());
  ASSERT_TRUE(w1->Flush(2s).ok() && w2->Flush(2s).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Notify(*sender, "jobs", "do it").ok());
  ASSERT_TRUE(WaitFor([&] { return n1 + n2 == 100; }));
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(n1 + n2, 100);
  EXPECT_EQ(OnNotify(*w1, "jobs", "", [](const Message&) {}).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, CallGoesToOneServerAndTimesOutOrHasNoResponders) {
  auto client = Connect();
  auto s1 = Connect();
  auto s2 = Connect();
  std::atomic<int> calls{0};
  for (auto* s : {s1.get(), s2.get()}) {
    ASSERT_TRUE(Serve(*s, "math.double", "math", [&](const Message& m) {
                  calls++;
                  return std::to_string(2 * std::stoi(m.data));
                }).ok());
    ASSERT_TRUE(s->Flush(2s).ok());
  }
  auto r = Call(*client, "math.double", "21", 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, "42");
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Call(*client, "math.nobody", "1", 2s).code(), Code::kNoResponders);
  ASSERT_TRUE(Serve(*s1, "math.slow", "", [](const Message&) {
                std::this_thread::sleep_for(300ms);
                return std::string("late");
              }).ok());
  ASSERT_TRUE(s1->Flush(2s).ok());
  EXPECT_EQ(Call(*client, "math.slow", "1", 50ms).code(), Code::kTimeout);
}

TEST_F(ClientTest, BroadcastReachesEverySubscriber) {
  auto sender = Connect();
  std::vector<std::unique_ptr<Connection>> listeners;
  std::atomic<int> n{0};
  for (int i = 0; i < 3; ++i) {
    listeners.push_back(Connect());
    ASSERT_TRUE(OnBroadcast(*listeners.back(), "news", [&](const Message&) { n++; }).ok());
    ASSERT_TRUE(listeners.back()->Flush(2s).ok());
  }
  ASSERT_TRUE(Broadcast(*sender, "news", "extra").ok());
  ASSERT_TRUE(WaitFor([&] { return n == 3; }));
}

TEST_F(ClientTest, AskAllFirstAnswerWins) {
  auto asker = Connect();
  std::vector<std::unique_ptr<Connection>> answerers;
  std::atomic<int> seen{0};
  for (int i = 0; i < 3; ++i) {
    answerers.push_back(Connect());
    ASSERT_TRUE(Answer(*answerers.back(), "who.has", [&, i](const Message& m) -> std::optional<std::string> {
                  seen++;
                  if (m.data != "item-7") return std::nullopt;  // stay silent
                  std::this_thread::sleep_for(std::chrono::milliseconds(30 * i));
                  return "node-" + std::to_string(i);
                }).ok());
    ASSERT_TRUE(answerers.back()->Flush(2s).ok());
  }
  auto r = AskAll(*asker, "who.has", "item-7", 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, "node-0");
  ASSERT_TRUE(WaitFor([&] { return seen == 3; }));  // everybody saw the question
  // Everybody silent: timeout. Nobody listening: no responders.
  EXPECT_EQ(AskAll(*asker, "who.has", "unknown", 100ms).code(), Code::kTimeout);
  EXPECT_EQ(AskAll(*asker, "who.else", "x", 2s).code(), Code::kNoResponders);
}

TEST_F(ClientTest, PipelinePassesThroughStagesInOrder) {
  auto c = Connect();
  auto worker = Connect();
  std::mutex mu;
  std::vector<std::string> trail;
  Status last_next;
  auto stage = [&](const char* name) {
    return [&, name](PipelineStage& s) {
      {
        std::lock_guard<std::mutex> lock(mu);
        trail.push_back(std::string(name) + "@" + std::to_string(s.index()) + ":" + s.data());
      }
      if (s.is_last()) {
        {
          std::lock_guard<std::mutex> lock(mu);
          last_next = s.Next("too far");
        }
        (void)s.Reply(s.data() + "!");
      } else {
        (void)s.Next(s.data() + "+" + name);
      }
    };
  };
  ASSERT_TRUE(ServeStage(*worker, "pipe.parse", "parsers", stage("parse")).ok());
  ASSERT_TRUE(ServeStage(*worker, "pipe.enrich", "", stage("enrich")).ok());
  ASSERT_TRUE(ServeStage(*worker, "pipe.store", "", stage("store")).ok());
  ASSERT_TRUE(worker->Flush(2s).ok());
  auto r = RequestPipeline(*c, {"pipe.parse", "pipe.enrich", "pipe.store"}, "raw", 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, "raw+parse+enrich!");
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::string> want = {"parse@0:raw", "enrich@1:raw+parse", "store@2:raw+parse+enrich"};
  EXPECT_EQ(trail, want);
  EXPECT_EQ(last_next.code(), Code::kPipelineEnd);
  EXPECT_NE(last_next.message().find("last stage"), std::string::npos);
}

TEST_F(ClientTest, PipelineStartValidatesAndFireAndForgetWorks) {
  auto c = Connect();
  EXPECT_EQ(StartPipeline(*c, {}, "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(StartPipeline(*c, {"a,b"}, "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(StartPipeline(*c, {"a.*"}, "x").code(), Code::kInvalidArgument);
  std::atomic<int> done{0};
  Status reply_status;
  ASSERT_TRUE(ServeStage(*c, "one", "", [&](PipelineStage& s) { (void)s.Next(s.data()); }).ok());
  ASSERT_TRUE(ServeStage(*c, "two", "", [&](PipelineStage& s) {
                reply_status = s.Reply("nobody asked");
                done++;
              }).ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(StartPipeline(*c, {"one", "two"}, "x").ok());
  ASSERT_TRUE(WaitFor([&] { return done == 1; }));
  EXPECT_EQ(reply_status.code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, JoinAllFiresOnceAfterEverySubject) {
  auto c = Connect();
  auto pub = Connect();
  std::atomic<int> fired{0};
  std::vector<Message> got;
  auto join = Join::All(*c, {"j.a", "j.b", "j.c"}, [&](const std::vector<Message>& msgs) {
    got = msgs;
    fired++;
  });
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  ASSERT_TRUE(pub->Publish("j.b", "b1").ok());
  ASSERT_TRUE(pub->Publish("j.a", "a1").ok());
  ASSERT_TRUE(pub->Publish("j.b", "b2").ok());
  ASSERT_TRUE(pub->Flush(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(join->fired());
  EXPECT_EQ(join->Wait(10ms).code(), Code::kTimeout);
  ASSERT_TRUE(pub->Publish("j.c", "c1").ok());
  ASSERT_TRUE(join->Wait(2s).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].data, "a1");
  EXPECT_EQ(got[1].data, "b1");  // the first of each subject
  EXPECT_EQ(got[2].data, "c1");
  ASSERT_TRUE(pub->Publish("j.a", "a2").ok());
  ASSERT_TRUE(pub->Publish("j.b", "b3").ok());
  ASSERT_TRUE(pub->Publish("j.c", "c2").ok());
  ASSERT_TRUE(pub->Flush(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(fired, 1);
}

TEST_F(ClientTest, JoinRaceFiresOnFirst) {
  auto c = Connect();
  std::atomic<int> fired{0};
  std::string winner;
  auto join = Join::Race(*c, {"r.a", "r.b"}, [&](const std::vector<Message>& msgs) {
    winner = msgs.at(0).subject;
    fired++;
  });
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(c->Publish("r.b", "1").ok());
  ASSERT_TRUE(join->Wait(2s).ok());
  EXPECT_EQ(winner, "r.b");
  ASSERT_TRUE(c->Publish("r.a", "2").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(fired, 1);
  // Cancelled joins never fire.
  auto cancelled = Join::Race(*c, {"r.c"}, [&](const std::vector<Message>&) { fired++; });
  ASSERT_TRUE(cancelled.ok());
  cancelled->Cancel();
  ASSERT_TRUE(c->Publish("r.c", "3").ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(Join::All(*c, {}, [](const std::vector<Message>&) {}).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, DirectMessageIsAcknowledgedAfterHandler) {
  auto alice = Connect();
  auto bob = Connect();
  std::atomic<bool> handled{false};
  std::string from;
  ASSERT_TRUE(ListenDirect(*bob, [&](const Message& m) {
                std::this_thread::sleep_for(50ms);
                from = std::string(m.headers.Get(kDirectFromHeader).value_or(""));
                handled = true;
              }).ok());
  ASSERT_TRUE(bob->Flush(2s).ok());
  Status s = SendDirect(*alice, bob->id(), "hi bob", 2s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(handled);  // the ack came after the handler returned
  EXPECT_EQ(from, alice->id());
  EXPECT_EQ(SendDirect(*alice, "no-such-client", "hello?", 2s).code(), Code::kNoResponders);
  EXPECT_EQ(SendDirect(*alice, "bad.id", "x", 2s).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, DirectMessageTimesOutWhenHandlerIsStuck) {
  auto alice = Connect();
  Options o = TestOptions();
  o.client_id = "carol";
  auto carol = Connect(o);
  EXPECT_EQ(carol->id(), "carol");
  std::atomic<bool> release{false};
  ASSERT_TRUE(ListenDirect(*carol, [&](const Message&) {
                while (!release) std::this_thread::sleep_for(1ms);
              }).ok());
  ASSERT_TRUE(carol->Flush(2s).ok());
  EXPECT_EQ(SendDirect(*alice, "carol", "x", 100ms).code(), Code::kTimeout);
  release = true;
}

TEST_F(ClientTest, InterestQueryWireForm) {
  // Whoever answers _TERN.INTEREST (tern-server) sees a JSON array and answers
  // with the subset; here a client plays the server to check both ends.
  EXPECT_EQ(EncodeSubjectList({"a", "b.c"}), "[\"a\",\"b.c\"]");
  auto decoded = DecodeSubjectList("[\"x\",\"y\"]");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 2u);
  EXPECT_EQ(DecodeSubjectList("{}").code(), Code::kProtocolError);
  EXPECT_EQ(DecodeSubjectList("[1]").code(), Code::kProtocolError);

  auto c = Connect();
  if (server_->flavor_name() == "nats") {
    // nats-server has no interest service: nobody answers the system subject.
    EXPECT_EQ(QueryInterest(*c, {"a", "b"}, 2s).code(), Code::kNoResponders);
    auto fake = Connect();
    ASSERT_TRUE(fake->Subscribe(std::string(kInterestSubject),
                                [&](const Message& m) {
                                  auto subjects = DecodeSubjectList(m.data);
                                  std::vector<std::string> with_interest;
                                  for (const auto& s : *subjects) {
                                    if (s.rfind("has.", 0) == 0) with_interest.push_back(s);
                                  }
                                  (void)fake->Publish(m.reply, EncodeSubjectList(with_interest));
                                })
                    .ok());
    ASSERT_TRUE(fake->Flush(2s).ok());
    auto r = QueryInterest(*c, {"has.one", "none", "has.two"}, 2s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, (std::vector<std::string>{"has.one", "has.two"}));
    return;
  }
  // tern-server answers itself.
  auto other = Connect();
  ASSERT_TRUE(other->Subscribe("int.yes", [](const Message&) {}).ok());
  ASSERT_TRUE(other->Subscribe("int.wild.*", [](const Message&) {}).ok());
  ASSERT_TRUE(other->Flush(2s).ok());
  auto r = QueryInterest(*c, {"int.no", "int.yes", "int.wild.x"}, 2s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<std::string>{"int.yes", "int.wild.x"}));
}

}  // namespace
}  // namespace tern::testing
