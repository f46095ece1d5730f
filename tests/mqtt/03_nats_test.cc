// One subject space: MQTT and NATS clients of one tern-server talk to each
// other with no bridge (topic <-> subject, user properties <-> headers,
// Response Topic <-> reply subject, $share groups = queue groups).
// tern only: mosquitto has no NATS side.
#include "mqtt_test.h"
#include <set>

#include "raw_client.h"

namespace tern::testing {
namespace {

using pm::Qos;
using pm::Version;

class NatsBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    flavor_ = MakeFlavor("tern-mqtt");
    nats_port_ = PickFreePort();
    server_ = std::make_unique<ServerProcess>(*flavor_, ServerLimits{},
                                              std::vector<std::string>{"-p", std::to_string(nats_port_)});
    ASSERT_TRUE(server_->Start()) << server_->error();
  }
  std::unique_ptr<MqttClient> Mqtt(std::string_view id, Version v = Version::kV5) {
    auto c = std::make_unique<MqttClient>(v);
    EXPECT_TRUE(c->Open(server_->port()));
    EXPECT_TRUE(c->Connect(id));
    return c;
  }
  ::testing::AssertionResult Nats(RawClient& c) {
    return c.ConnectAndHandshake(nats_port_, R"({"verbose":false,"pedantic":false,"headers":true})");
  }

  std::unique_ptr<ServerFlavor> flavor_;
  std::unique_ptr<ServerProcess> server_;
  int nats_port_ = 0;
};

TEST_F(NatsBridgeTest, MqttPublishReachesNatsWildcards) {
  RawClient nats;
  ASSERT_TRUE(Nats(nats));
  ASSERT_TRUE(nats.Send("SUB sensors.> 1\r\nSUB sensors.*.temp 2\r\n"));
  ASSERT_TRUE(nats.Ping());
  auto mqtt = Mqtt("dev", Version::kV311);
  ASSERT_TRUE(mqtt->Publish("sensors/k1/temp", "21.5"));
  std::set<std::string> sids;
  for (int i = 0; i < 2; ++i) {
    std::optional<Msg> m = nats.ReadMsg();
    ASSERT_TRUE(m) << nats.last_error();
    EXPECT_EQ(m->subject, "sensors.k1.temp");
    EXPECT_EQ(m->payload, "21.5");
    sids.insert(m->sid);
  }
  EXPECT_EQ(sids, (std::set<std::string>{"1", "2"}));
}

TEST_F(NatsBridgeTest, NatsPublishReachesMqttWithHeadersAsUserProperties) {
  auto mqtt = Mqtt("app");
  ASSERT_TRUE(mqtt->Subscribe(1, "sensors/#", Qos::kAtLeastOnce));
  RawClient nats;
  ASSERT_TRUE(Nats(nats));
  ASSERT_TRUE(nats.Send(Pub("sensors.k2", "plain")));
  ASSERT_TRUE(nats.Send(Hpub("sensors.k2.v1//0", "NATS/1.0\r\nTrace: abc\r\n\r\n", "with headers")));
  EXPECT_TRUE(mqtt->Expect("PUBLISH q=0 topic=\"sensors/k2\" payload=\"plain\""));  // NATS is QoS 0
  EXPECT_TRUE(mqtt->Expect("PUBLISH q=0 topic=\"sensors/k2/v1.0\" payload=\"with headers\" user=\"Trace\":\"abc\""));
}

TEST_F(NatsBridgeTest, UserPropertiesBecomeHeaders) {
  RawClient nats;
  ASSERT_TRUE(Nats(nats));
  ASSERT_TRUE(nats.Send("SUB cmd.> 1\r\n"));
  ASSERT_TRUE(nats.Ping());
  auto mqtt = Mqtt("dev");
  pm::StringPair users[] = {{"Device", "k3"}};
  pm::Publish p{"cmd/reboot", "now"};
  p.properties.user_properties = users;
  p.properties.correlation_data = std::string_view("\x01\xff", 2);
  ASSERT_TRUE(mqtt->Send(p));
  std::optional<Msg> m = nats.ReadMsg();
  ASSERT_TRUE(m) << nats.last_error();
  EXPECT_TRUE(m->has_headers);
  EXPECT_EQ(m->headers, "NATS/1.0\r\nDevice: k3\r\nMqtt-Correlation-Data: 01ff\r\n\r\n");
  EXPECT_EQ(m->payload, "now");
}

TEST_F(NatsBridgeTest, NatsRequestMqttReply) {
  auto responder = Mqtt("responder");
  ASSERT_TRUE(responder->Subscribe(1, "svc/echo", Qos::kAtMostOnce));
  RawClient nats;
  ASSERT_TRUE(Nats(nats));
  ASSERT_TRUE(nats.Send("SUB _INBOX.r1 9\r\n"));
  ASSERT_TRUE(nats.Send(Pub("svc.echo", "ping", "_INBOX.r1")));
  ASSERT_TRUE(responder->Expect("PUBLISH q=0 topic=\"svc/echo\" payload=\"ping\" response_topic=\"_INBOX/r1\""));
  const auto& request = std::get<pm::Publish>(responder->last());
  std::string reply_to(*request.properties.response_topic);
  ASSERT_TRUE(responder->Publish(reply_to, "pong"));
  EXPECT_TRUE(nats.ExpectMsg("_INBOX.r1", "9", "", "pong"));
}

TEST_F(NatsBridgeTest, MqttRequestNatsReply) {
  RawClient service;
  ASSERT_TRUE(Nats(service));
  ASSERT_TRUE(service.Send("SUB svc.time 1\r\n"));
  ASSERT_TRUE(service.Ping());
  auto requester = Mqtt("requester");
  ASSERT_TRUE(requester->Subscribe(1, "replies/me", Qos::kAtMostOnce));
  pm::Publish p{"svc/time", "?"};
  p.properties.response_topic = "replies/me";
  ASSERT_TRUE(requester->Send(p));
  std::optional<Msg> m = service.ReadMsg();
  ASSERT_TRUE(m) << service.last_error();
  EXPECT_EQ(m->reply, "replies.me");
  ASSERT_TRUE(service.Send(Pub(m->reply, "noon")));
  EXPECT_TRUE(requester->Expect("PUBLISH q=0 topic=\"replies/me\" payload=\"noon\""));
}

TEST_F(NatsBridgeTest, ShareGroupIsAQueueGroupAcrossProtocols) {
  auto mqtt_member = Mqtt("member", Version::kV311);
  ASSERT_TRUE(mqtt_member->Subscribe(1, "$share/workers/jobs/#", Qos::kAtMostOnce));
  RawClient nats_member;
  ASSERT_TRUE(Nats(nats_member));
  ASSERT_TRUE(nats_member.Send("SUB jobs.> workers 1\r\n"));
  ASSERT_TRUE(nats_member.Ping());
  RawClient pub;
  ASSERT_TRUE(Nats(pub));
  constexpr int kMessages = 40;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub.Send(Pub("jobs.j" + std::to_string(i), "x")));
  ASSERT_TRUE(pub.Ping());
  int mqtt_got = 0, nats_got = 0;
  while (mqtt_member->Next(Millis(300))) ++mqtt_got;
  while (nats_member.ReadMsg(Millis(300))) ++nats_got;
  EXPECT_EQ(mqtt_got + nats_got, kMessages);
  EXPECT_GT(mqtt_got, 0);
  EXPECT_GT(nats_got, 0);
}

}  // namespace
}  // namespace tern::testing
