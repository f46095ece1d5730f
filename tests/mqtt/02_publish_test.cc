// PUBLISH both ways at every QoS, retained messages, subscription options,
// overlapping subscriptions, topic aliases, $-topics, $share and Wills.
#include <thread>

#include "mqtt_test.h"

namespace tern::testing {
namespace {

using pm::Qos;
using pm::Version;
constexpr Version kV311 = Version::kV311;
constexpr Version kV5 = Version::kV5;

class PublishTest : public MqttTest {
 protected:
  // A connected client; `id` names it.
  std::unique_ptr<MqttClient> Client(std::string_view id, Version v = kV311, bool clean = true) {
    auto c = std::make_unique<MqttClient>(v);
    EXPECT_TRUE(c->Open(port()));
    EXPECT_TRUE(c->Connect(id, clean));
    return c;
  }
  // A round trip: everything the server owed `c` before is read.
  void Sync(MqttClient& c) {
    ASSERT_TRUE(c.Send(pm::PingReq{}));
    ASSERT_TRUE(c.Expect("PINGRESP"));
  }
};

TEST_P(PublishTest, Qos0) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "a/+/c", Qos::kAtMostOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("a/b/c", "hello"));
  ASSERT_TRUE(pub->Publish("a/b/d", "not this"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"a/b/c\" payload=\"hello\""));
  EXPECT_TRUE(sub->ExpectSilence());
}

TEST_P(PublishTest, Qos1BothWays) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "q1/#", Qos::kAtLeastOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("q1/x", "one", Qos::kAtLeastOnce, 3));
  EXPECT_TRUE(pub->Expect("PUBACK id=3 reason=0x00"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=1 id=1 topic=\"q1/x\" payload=\"one\""));
  ASSERT_TRUE(sub->Send(pm::PubAck{pm::PacketType::kPuback, 1}));
  EXPECT_TRUE(sub->ExpectSilence());
}

TEST_P(PublishTest, Qos2BothWays) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "q2", Qos::kExactlyOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("q2", "two", Qos::kExactlyOnce, 7));
  EXPECT_TRUE(pub->Expect("PUBREC id=7 reason=0x00"));
  // A resend before PUBREL is not delivered again (4.3.3).
  ASSERT_TRUE(pub->Send(pm::Publish{"q2", "two", 7, Qos::kExactlyOnce, true}));
  EXPECT_TRUE(pub->Expect("PUBREC id=7 reason=0x00"));
  ASSERT_TRUE(pub->Send(pm::PubAck{pm::PacketType::kPubrel, 7}));
  EXPECT_TRUE(pub->Expect("PUBCOMP id=7 reason=0x00"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=2 id=1 topic=\"q2\" payload=\"two\""));
  ASSERT_TRUE(sub->Send(pm::PubAck{pm::PacketType::kPubrec, 1}));
  EXPECT_TRUE(sub->Expect("PUBREL id=1 reason=0x00"));
  ASSERT_TRUE(sub->Send(pm::PubAck{pm::PacketType::kPubcomp, 1}));
  EXPECT_TRUE(sub->ExpectSilence());
}

TEST_P(PublishTest, DowngradedToTheSubscriptionsQos) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "down", Qos::kAtMostOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("down", "x", Qos::kExactlyOnce, 1));
  EXPECT_TRUE(pub->Expect("PUBREC id=1 reason=0x00"));
  ASSERT_TRUE(pub->Send(pm::PubAck{pm::PacketType::kPubrel, 1}));  // mosquitto forwards on release
  EXPECT_TRUE(pub->Expect("PUBCOMP id=1 reason=0x00"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"down\" payload=\"x\""));
}

TEST_P(PublishTest, RetainedSetReplacedDeleted) {
  START_MQTT();
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("r/1", "first", Qos::kAtMostOnce, 0, true));
  ASSERT_TRUE(pub->Publish("r/1", "second", Qos::kAtLeastOnce, 1, true));
  EXPECT_TRUE(pub->Expect("PUBACK id=1 reason=0x00"));
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "r/#", Qos::kAtLeastOnce));
  EXPECT_TRUE(sub->Expect("PUBLISH q=1 retain id=1 topic=\"r/1\" payload=\"second\""));
  ASSERT_TRUE(sub->Send(pm::PubAck{pm::PacketType::kPuback, 1}));
  // Live copies of a retained publish go without the flag (3.1.1).
  ASSERT_TRUE(pub->Publish("r/1", "", Qos::kAtMostOnce, 0, true));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"r/1\" payload=\"\""));
  auto late = Client("late");
  ASSERT_TRUE(late->Subscribe(1, "r/#", Qos::kAtLeastOnce));
  EXPECT_TRUE(late->ExpectSilence());
}

TEST_P(PublishTest, HashMatchesItsParentLevel) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "sport/#", Qos::kAtMostOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("sport", "parent"));
  ASSERT_TRUE(pub->Publish("sport/tennis/player1", "child"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"sport\" payload=\"parent\""));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"sport/tennis/player1\" payload=\"child\""));
}

TEST_P(PublishTest, DotsAndEmptyLevelsSurviveTheSubjectSpace) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "#", Qos::kAtMostOnce));
  auto pub = Client("pub");
  for (std::string_view topic : {"v1.2/x", "/lead", "a//b", "trail/"}) ASSERT_TRUE(pub->Publish(topic, "p"));
  for (std::string_view topic : {"v1.2/x", "/lead", "a//b", "trail/"}) {
    EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"" + std::string(topic) + "\" payload=\"p\""));
  }
}

TEST_P(PublishTest, LeadingWildcardsSkipDollarTopics) {
  START_MQTT();
  auto all = Client("all");
  ASSERT_TRUE(all->Subscribe(1, "#", Qos::kAtMostOnce));
  ASSERT_TRUE(all->Subscribe(2, "+/x", Qos::kAtMostOnce));
  auto dollar = Client("dollar");
  ASSERT_TRUE(dollar->Subscribe(1, "$app/#", Qos::kAtMostOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("$app/x", "hidden"));
  EXPECT_TRUE(dollar->Expect("PUBLISH q=0 topic=\"$app/x\" payload=\"hidden\""));
  EXPECT_TRUE(all->ExpectSilence());
}

TEST_P(PublishTest, OverlappingSubscriptionsGiveOneCopyAtTheHighestQos) {
  if (IsMosquitto()) GTEST_SKIP() << "mosquitto 2.0 sends one copy per matching subscription";
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "o/+", Qos::kAtMostOnce));
  ASSERT_TRUE(sub->Subscribe(2, "o/#", Qos::kAtLeastOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("o/1", "x", Qos::kAtLeastOnce, 1));
  EXPECT_TRUE(pub->Expect("PUBACK id=1 reason=0x00"));
  EXPECT_TRUE(sub->Expect("PUBLISH q=1 id=1 topic=\"o/1\" payload=\"x\""));
  EXPECT_TRUE(sub->ExpectSilence());
}

TEST_P(PublishTest, UnsubscribeStopsDelivery) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "u", Qos::kAtMostOnce));
  pm::Unsubscribe u;
  u.packet_id = 2;
  std::string_view filters[] = {"u", "never"};
  u.filters = filters;
  ASSERT_TRUE(sub->Send(u));
  EXPECT_TRUE(sub->Expect("UNSUBACK id=2"));  // 3.1.1 UNSUBACK has no reasons
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("u", "x"));
  EXPECT_TRUE(sub->ExpectSilence());
}

TEST_P(PublishTest, UnsubackReasonsIn5) {
  START_MQTT();
  auto sub = Client("sub", kV5);
  ASSERT_TRUE(sub->Subscribe(1, "u", Qos::kAtMostOnce));
  pm::Unsubscribe u;
  u.packet_id = 2;
  std::string_view filters[] = {"u", "never"};
  u.filters = filters;
  ASSERT_TRUE(sub->Send(u));
  EXPECT_TRUE(sub->Expect("UNSUBACK id=2 reason=0x00 reason=0x11"));
}

TEST_P(PublishTest, NoLocalRetainAsPublishedRetainHandling) {
  START_MQTT();
  auto c = Client("self", kV5);
  pm::Subscription opts[3];
  opts[0] = {"nl", Qos::kAtMostOnce, true};
  opts[1] = {"rap", Qos::kAtMostOnce, false, true};
  opts[2] = {"rh", Qos::kAtMostOnce, false, false, pm::RetainHandling::kDoNotSend};
  auto pub = Client("pub", kV5);
  ASSERT_TRUE(pub->Publish("rh", "kept", Qos::kAtMostOnce, 0, true));
  Sync(*pub);
  pm::Subscribe s;
  s.packet_id = 1;
  s.subscriptions = opts;
  ASSERT_TRUE(c->Send(s));
  EXPECT_TRUE(c->Expect("SUBACK id=1 reason=0x00 reason=0x00 reason=0x00"));
  ASSERT_TRUE(c->Publish("nl", "own"));  // No Local: not back to its publisher
  ASSERT_TRUE(pub->Publish("rap", "flagged", Qos::kAtMostOnce, 0, true));
  EXPECT_TRUE(c->Expect("PUBLISH q=0 retain topic=\"rap\" payload=\"flagged\""));
  EXPECT_TRUE(c->ExpectSilence());
}

TEST_P(PublishTest, SubscriptionIdentifiersAndUserProperties) {
  START_MQTT();
  auto c = Client("ids", kV5);
  pm::Subscription one[] = {{"id/#", Qos::kAtMostOnce}};
  pm::Subscribe s;
  s.packet_id = 1;
  s.properties.subscription_identifier = 42;
  s.subscriptions = one;
  ASSERT_TRUE(c->Send(s));
  EXPECT_TRUE(c->Expect("SUBACK id=1 reason=0x00"));
  auto pub = Client("pub", kV5);
  pm::StringPair users[] = {{"k", "v"}, {"k", "w"}};
  pm::Publish p{"id/x", "body"};
  p.properties.user_properties = users;
  p.properties.content_type = "text/plain";
  ASSERT_TRUE(pub->Send(p));
  EXPECT_TRUE(c->Expect(
      "PUBLISH q=0 topic=\"id/x\" payload=\"body\" content_type=\"text/plain\" user=\"k\":\"v\" user=\"k\":\"w\" "
      "sub_id=42"));
}

TEST_P(PublishTest, TopicAliasFromTheClient) {
  START_MQTT();
  auto sub = Client("sub");
  ASSERT_TRUE(sub->Subscribe(1, "long/topic/name", Qos::kAtMostOnce));
  auto pub = Client("pub", kV5);
  pm::Publish first{"long/topic/name", "1"};
  first.properties.topic_alias = 1;
  ASSERT_TRUE(pub->Send(first));
  pm::Publish second{"", "2"};
  second.properties.topic_alias = 1;
  ASSERT_TRUE(pub->Send(second));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"long/topic/name\" payload=\"1\""));
  EXPECT_TRUE(sub->Expect("PUBLISH q=0 topic=\"long/topic/name\" payload=\"2\""));
  pm::Publish unknown{"", "3"};
  unknown.properties.topic_alias = 2;
  ASSERT_TRUE(pub->Send(unknown));
  EXPECT_TRUE(pub->ExpectClosed(Millis(2000), {"DISCONNECT reason=0x82"}));
}

TEST_P(PublishTest, SharedSubscriptionGivesEachMessageToOneMember) {
  START_MQTT();
  auto a = Client("a");
  auto b = Client("b");
  ASSERT_TRUE(a->Subscribe(1, "$share/workers/jobs/+", Qos::kAtMostOnce));
  ASSERT_TRUE(b->Subscribe(1, "$share/workers/jobs/+", Qos::kAtMostOnce));
  auto pub = Client("pub");
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(pub->Publish("jobs/" + std::to_string(i), "j"));
  Sync(*pub);
  int got = 0;
  for (MqttClient* c : {a.get(), b.get()}) {
    while (c->Next(Millis(300))) ++got;
  }
  EXPECT_EQ(got, kMessages);
}

TEST_P(PublishTest, WillOnAbnormalCloseNotOnDisconnect) {
  START_MQTT();
  auto watcher = Client("watcher");
  ASSERT_TRUE(watcher->Subscribe(1, "will/#", Qos::kAtMostOnce));
  for (bool clean_disconnect : {true, false}) {
    MqttClient c(kV311);
    ASSERT_TRUE(c.Open(port()));
    pm::Connect connect = MakeConnect(kV311, "mortal");
    connect.will = pm::Will{"will/mortal", clean_disconnect ? "not sent" : "gone"};
    ASSERT_TRUE(c.Send(connect));
    ASSERT_TRUE(c.ExpectPrefix("CONNACK reason=0x00"));
    if (clean_disconnect) {
      ASSERT_TRUE(c.Send(pm::Disconnect{}));
    }
    c.Close();
    if (clean_disconnect) {
      EXPECT_TRUE(watcher->ExpectSilence());
    } else {
      EXPECT_TRUE(watcher->Expect("PUBLISH q=0 topic=\"will/mortal\" payload=\"gone\""));
    }
  }
}

TEST_P(PublishTest, WillDelayOutlastedByAReconnect) {
  START_MQTT();
  auto watcher = Client("watcher");
  ASSERT_TRUE(watcher->Subscribe(1, "wd", Qos::kAtMostOnce));
  pm::Connect connect = MakeConnect(kV5, "delayed", false);
  connect.properties.session_expiry_interval = 60;
  connect.will = pm::Will{"wd", "late"};
  connect.will->properties.will_delay_interval = 1;
  {
    MqttClient c(kV5);
    ASSERT_TRUE(c.Open(port()));
    ASSERT_TRUE(c.Send(connect));
    ASSERT_TRUE(c.ExpectPrefix("CONNACK reason=0x00"));
  }
  // Back within the delay: no Will.
  MqttClient again(kV5);
  ASSERT_TRUE(again.Open(port()));
  ASSERT_TRUE(again.Send(connect));
  ASSERT_TRUE(again.ExpectPrefix("CONNACK session_present reason=0x00"));
  EXPECT_TRUE(watcher->ExpectSilence(Millis(1500)));
  again.Close();
  // Gone for longer: the Will goes after its delay.
  EXPECT_TRUE(watcher->ExpectSilence(Millis(600)));
  EXPECT_TRUE(watcher->Expect("PUBLISH q=0 topic=\"wd\" payload=\"late\"", Millis(2500)));
}

TEST_P(PublishTest, ReceiveMaximumExceededDisconnects) {
  START_MQTT();
  auto pub = Client("flood", kV5);
  const auto& connack = std::get<pm::Connack>(pub->last());
  const int receive_max = connack.properties.receive_maximum.value_or(65535);
  ASSERT_LT(receive_max, 1000);
  for (int i = 1; i <= receive_max + 1; ++i) {
    ASSERT_TRUE(pub->Publish("flood", "x", Qos::kExactlyOnce, static_cast<uint16_t>(i)));
  }
  // Nobody subscribed: tern says so (0x10), mosquitto, which forwards on
  // release, cannot know yet (0x00).
  const std::string reason = IsTern() ? " reason=0x10" : " reason=0x00";
  for (int i = 1; i <= receive_max; ++i) {
    ASSERT_TRUE(pub->Expect("PUBREC id=" + std::to_string(i) + reason));
  }
  if (IsTern()) {
    EXPECT_TRUE(pub->ExpectClosed(Millis(2000), {"DISCONNECT reason=0x93"}));
  } else {
    // mosquitto 2.0.11 refuses the one over with PUBREC 0x97 and keeps the
    // connection, where 3.3.4 asks for DISCONNECT 0x93.
    EXPECT_TRUE(pub->Expect("PUBREC id=" + std::to_string(receive_max + 1) + " reason=0x97"));
  }
}

TEST_P(PublishTest, InflightWindowHoldsTheRestUntilAcked) {
  START_MQTT();
  pm::Connect connect = MakeConnect(kV5, "narrow");
  connect.properties.receive_maximum = 2;
  MqttClient sub(kV5);
  ASSERT_TRUE(sub.Open(port()));
  ASSERT_TRUE(sub.Send(connect));
  ASSERT_TRUE(sub.ExpectPrefix("CONNACK reason=0x00"));
  ASSERT_TRUE(sub.Subscribe(1, "w", Qos::kAtLeastOnce));
  auto pub = Client("pub");
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(pub->Publish("w", std::to_string(i), Qos::kAtLeastOnce, static_cast<uint16_t>(i)));
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(pub->Expect("PUBACK id=" + std::to_string(i) + " reason=0x00"));
  EXPECT_TRUE(sub.Expect("PUBLISH q=1 id=1 topic=\"w\" payload=\"1\""));
  EXPECT_TRUE(sub.Expect("PUBLISH q=1 id=2 topic=\"w\" payload=\"2\""));
  EXPECT_TRUE(sub.ExpectSilence());
  ASSERT_TRUE(sub.Send(pm::PubAck{pm::PacketType::kPuback, 1}));
  EXPECT_TRUE(sub.Expect("PUBLISH q=1 id=3 topic=\"w\" payload=\"3\""));
}

TEST_P(PublishTest, TopicAliasesToAClientThatAllowsThem) {
  if (IsMosquitto()) GTEST_SKIP() << "mosquitto 2.0.11 sends no topic aliases";
  START_MQTT();
  pm::Connect connect = MakeConnect(kV5, "aliased");
  connect.properties.topic_alias_maximum = 4;
  MqttClient sub(kV5);
  ASSERT_TRUE(sub.Open(port()));
  ASSERT_TRUE(sub.Send(connect));
  ASSERT_TRUE(sub.ExpectPrefix("CONNACK reason=0x00"));
  ASSERT_TRUE(sub.Subscribe(1, "alias/#", Qos::kAtMostOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("alias/long/name", "1"));
  ASSERT_TRUE(pub->Publish("alias/long/name", "2"));
  EXPECT_TRUE(sub.Expect("PUBLISH q=0 topic=\"alias/long/name\" payload=\"1\" alias=1"));
  EXPECT_TRUE(sub.Expect("PUBLISH q=0 topic=\"\" payload=\"2\" alias=1"));
}

TEST_P(PublishTest, MessageExpiryCountsDownWhileQueued) {
  START_MQTT();
  pm::Connect connect = MakeConnect(kV5, "slow-reader", false);
  connect.properties.session_expiry_interval = 60;
  {
    MqttClient sub(kV5);
    ASSERT_TRUE(sub.Open(port()));
    ASSERT_TRUE(sub.Send(connect));
    ASSERT_TRUE(sub.ExpectPrefix("CONNACK reason=0x00"));
    ASSERT_TRUE(sub.Subscribe(1, "exp/#", Qos::kAtLeastOnce));
    ASSERT_TRUE(sub.Send(pm::Disconnect{}));
    // Published before the server has taken the DISCONNECT, "lasting" would
    // go out on this connection and come back with DUP: wait for the close.
    EXPECT_TRUE(sub.ExpectClosed(Millis(2000), {}));
  }
  auto pub = Client("pub", kV5);
  pm::Publish lasting{"exp/lasting", "l", 1, Qos::kAtLeastOnce};
  lasting.properties.message_expiry_interval = 100;
  pm::Publish brief{"exp/brief", "b", 2, Qos::kAtLeastOnce};
  brief.properties.message_expiry_interval = 1;
  ASSERT_TRUE(pub->Send(lasting));
  ASSERT_TRUE(pub->Send(brief));
  EXPECT_TRUE(pub->ExpectPrefix("PUBACK id=1"));
  EXPECT_TRUE(pub->ExpectPrefix("PUBACK id=2"));
  std::this_thread::sleep_for(Millis(2100));
  MqttClient back(kV5);
  ASSERT_TRUE(back.Open(port()));
  ASSERT_TRUE(back.Send(connect));
  ASSERT_TRUE(back.ExpectPrefix("CONNACK session_present reason=0x00"));
  std::optional<std::string> got = back.Next();
  ASSERT_TRUE(got) << back.error();
  ASSERT_TRUE(got->starts_with("PUBLISH q=1 id=")) << *got;
  const auto& p = std::get<pm::Publish>(back.last());
  EXPECT_EQ(p.topic, "exp/lasting");
  ASSERT_TRUE(p.properties.message_expiry_interval.has_value());
  EXPECT_LE(*p.properties.message_expiry_interval, 98u);  // it waited two seconds
  EXPECT_GE(*p.properties.message_expiry_interval, 90u);
  EXPECT_TRUE(back.ExpectSilence());  // the brief one expired while queued
}

TEST_P(PublishTest, NothingLargerThanTheClientsMaximumPacketSize) {
  START_MQTT();
  pm::Connect connect = MakeConnect(kV5, "small");
  connect.properties.maximum_packet_size = 64;
  MqttClient sub(kV5);
  ASSERT_TRUE(sub.Open(port()));
  ASSERT_TRUE(sub.Send(connect));
  ASSERT_TRUE(sub.ExpectPrefix("CONNACK reason=0x00"));
  ASSERT_TRUE(sub.Subscribe(1, "mp", Qos::kAtLeastOnce));
  auto pub = Client("pub");
  ASSERT_TRUE(pub->Publish("mp", std::string(100, 'x'), Qos::kAtLeastOnce, 1));
  ASSERT_TRUE(pub->Publish("mp", "fits", Qos::kAtLeastOnce, 2));
  EXPECT_TRUE(pub->Expect("PUBACK id=1 reason=0x00"));
  EXPECT_TRUE(pub->Expect("PUBACK id=2 reason=0x00"));
  // The one too large is dropped as if delivered (MQTT-3.1.2-25); it holds no slot.
  ASSERT_TRUE(sub.ExpectPrefix("PUBLISH q=1 id="));
  EXPECT_EQ(std::get<pm::Publish>(sub.last()).payload, "fits");
}

TERN_INSTANTIATE_MQTT(PublishTest);

}  // namespace
}  // namespace tern::testing
