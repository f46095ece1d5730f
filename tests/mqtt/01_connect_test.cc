// CONNECT, keep alive, session present, takeover, and bad input: each
// costs only its own connection.
#include <csignal>
#include <optional>
#include <thread>

#include "mqtt_test.h"
#include "proto/mqtt/encoder.h"

namespace tern::testing {
namespace {

using pm::Qos;
using pm::Version;
constexpr Version kV311 = Version::kV311;
constexpr Version kV5 = Version::kV5;

class ConnectTest : public MqttTest {};

TEST_P(ConnectTest, Accepted311) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Send(MakeConnect(kV311, "c1")));
  EXPECT_TRUE(c.Expect("CONNACK reason=0x00"));
  ASSERT_TRUE(c.Send(pm::PingReq{}));
  EXPECT_TRUE(c.Expect("PINGRESP"));
}

TEST_P(ConnectTest, Accepted5) {
  START_MQTT();
  MqttClient c(kV5);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect("c1"));
  if (IsTern()) {
    EXPECT_EQ(pm::Describe(c.last()), "CONNACK reason=0x00 receive_max=32 max_packet=1048576 alias_max=64");
  }
}

TEST_P(ConnectTest, UnsupportedProtocolLevelGets311Connack) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  pm::Connect connect = MakeConnect(kV311, "c1");
  std::string bytes;
  ASSERT_TRUE(pm::AppendConnect(bytes, connect));
  bytes[8] = 6;  // the protocol level byte, after the fixed header and "MQTT"
  ASSERT_TRUE(c.SendRaw(bytes));
  EXPECT_TRUE(c.ExpectClosed(Millis(2000), {"CONNACK reason=0x84"}));
}

TEST_P(ConnectTest, EmptyClientIdNeedsCleanSessionIn311) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Send(MakeConnect(kV311, "", false)));
  EXPECT_TRUE(c.ExpectClosed(Millis(2000), {"CONNACK reason=0x85"}));  // return code 2: identifier rejected

  MqttClient ok(kV311);
  ASSERT_TRUE(ok.Open(port()));
  EXPECT_TRUE(ok.Connect("", true));
}

// MQTT credentials are checked against authorization.users: none on a
// secured server is "not authorized", a wrong password "bad user name or
// password" (3.1.1 return codes 5 and 4; the description shows the 5.0
// code they stand for). tern only: mosquitto's users are its own file (the
// same scenarios against it are in tests/interop/mqtt/auth_test.py).
TEST_P(ConnectTest, CredentialsAreCheckedAgainstTheUsers) {
  if (!IsTern()) GTEST_SKIP() << "mosquitto's authentication is configured in its own files";
  START_MQTT({"--user", "alice", "--pass", "s3cret"});
  const struct {
    std::optional<std::string_view> user, password;
    std::string_view connack;
  } cases[] = {
      {std::nullopt, std::nullopt, "CONNACK reason=0x87"},
      {"alice", "wrong", "CONNACK reason=0x86"},
      {"bob", "s3cret", "CONNACK reason=0x86"},
      {"alice", "s3cret", "CONNACK reason=0x00"},
  };
  for (Version v : {kV311, kV5}) {
    for (const auto& k : cases) {
      MqttClient c(v);
      ASSERT_TRUE(c.Open(port()));
      pm::Connect connect = MakeConnect(v, "c1");
      connect.username = k.user;
      connect.password = k.password;
      ASSERT_TRUE(c.Send(connect));
      if (k.connack.ends_with("0x00")) {
        EXPECT_TRUE(c.ExpectPrefix(k.connack)) << k.user.value_or("-");
      } else {
        EXPECT_TRUE(c.ExpectClosed(Millis(2000), {std::string(k.connack)})) << k.user.value_or("-");
      }
    }
  }
}

// A stopping server tells 5.0 clients why (DISCONNECT 0x8B, Server shutting
// down) before it closes; 3.1.1 has no such packet. mosquitto 2.0.11 just
// closes.
TEST_P(ConnectTest, ShutdownSaysServerShuttingDownTo5Clients) {
  START_MQTT();
  MqttClient v5(kV5), v311(kV311);
  ASSERT_TRUE(v5.Open(port()));
  ASSERT_TRUE(v5.Connect("leaving5"));
  ASSERT_TRUE(v311.Open(port()));
  ASSERT_TRUE(v311.Connect("leaving311"));
  server_->Signal(SIGTERM);
  if (IsTern()) {
    EXPECT_TRUE(v5.ExpectClosed(Millis(5000), {"DISCONNECT reason=0x8b"}));
  } else {
    EXPECT_TRUE(v5.ExpectClosed(Millis(5000)));
  }
  EXPECT_TRUE(v311.ExpectClosed(Millis(5000)));
}

TEST_P(ConnectTest, EmptyClientIdIsAssignedIn5) {
  START_MQTT();
  MqttClient c(kV5);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect(""));
  const auto& connack = std::get<pm::Connack>(c.last());
  ASSERT_TRUE(connack.properties.assigned_client_identifier.has_value());
  EXPECT_FALSE(connack.properties.assigned_client_identifier->empty());
}

TEST_P(ConnectTest, PublishBeforeConnectCloses) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Publish("a/b", "x"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ConnectTest, SecondConnectCloses) {
  START_MQTT();
  for (Version v : {kV311, kV5}) {
    MqttClient c(v);
    ASSERT_TRUE(c.Open(port()));
    ASSERT_TRUE(c.Connect("twice"));
    ASSERT_TRUE(c.Send(MakeConnect(v, "twice")));
    if (v == kV5 && IsTern()) {
      EXPECT_TRUE(c.ExpectClosed(Millis(2000), {"DISCONNECT reason=0x82"}));
    } else {
      // mosquitto closes a 5.0 client without a DISCONNECT here.
      std::optional<std::string> got = c.Next();
      if (got) {
        EXPECT_EQ(*got, "DISCONNECT reason=0x82");
        EXPECT_TRUE(c.ExpectClosed());
      }
    }
  }
}

TEST_P(ConnectTest, MalformedRemainingLengthCloses) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect("bad-length"));
  ASSERT_TRUE(c.SendRaw(std::string("\x30\xff\xff\xff\xff\x01", 6)));  // five length bytes
  EXPECT_TRUE(c.ExpectClosed());
  // Only that connection went.
  MqttClient other(kV311);
  ASSERT_TRUE(other.Open(port()));
  EXPECT_TRUE(other.Connect("other"));
}

TEST_P(ConnectTest, HugeDeclaredPacketIsRefusedBeforeItsBody) {
  if (IsMosquitto()) GTEST_SKIP() << "mosquitto's default message_size_limit is the protocol's 256 MiB: it waits";
  START_MQTT();
  MqttClient c(kV5);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect("huge"));
  ASSERT_TRUE(c.SendRaw(std::string("\x30\xff\xff\xff\x7f", 5)));  // 268,435,455 bytes declared
  EXPECT_TRUE(c.ExpectClosed(Millis(2000), {"DISCONNECT reason=0x95"}));
}

TEST_P(ConnectTest, InvalidUtf8TopicCloses) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect("utf8"));
  ASSERT_TRUE(c.Publish(std::string_view("a/\xc3\x28", 4), "x"));
  EXPECT_TRUE(c.ExpectClosed());
}

TEST_P(ConnectTest, KeepAliveTimesOutAfterOneAndAHalf) {
  START_MQTT();
  MqttClient c(kV311);
  ASSERT_TRUE(c.Open(port()));
  ASSERT_TRUE(c.Connect("sleepy", true, 1));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ExpectClosed(Millis(12000)));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, Millis(1200));
  // tern's timer is the connection's own; mosquitto checks keep alives in
  // its main loop, a second or more late.
  EXPECT_LE(waited, IsTern() ? Millis(2500) : Millis(11000));
}

TEST_P(ConnectTest, ServerKeepAliveCapsA5Client) {
  if (IsMosquitto()) GTEST_SKIP() << "set with max_keepalive in mosquitto.conf; the harness writes none";
  START_MQTT({"--mqtt.max_keepalive", "10s"});
  MqttClient c5(kV5);
  ASSERT_TRUE(c5.Open(port()));
  ASSERT_TRUE(c5.Connect("long", true, 600));
  EXPECT_EQ(std::get<pm::Connack>(c5.last()).properties.server_keep_alive, 10);
  MqttClient c3(kV311);
  ASSERT_TRUE(c3.Open(port()));
  ASSERT_TRUE(c3.Send(MakeConnect(kV311, "long311", true, 600)));
  EXPECT_TRUE(c3.ExpectClosed(Millis(2000), {"CONNACK reason=0x85"}));
}

TEST_P(ConnectTest, SessionPresentAndQueuedWhileAway) {
  START_MQTT();
  {
    MqttClient sub(kV311);
    ASSERT_TRUE(sub.Open(port()));
    ASSERT_TRUE(sub.Connect("keeper", false));
    ASSERT_TRUE(sub.Subscribe(1, "away/#", Qos::kAtLeastOnce));
    ASSERT_TRUE(sub.Send(pm::Disconnect{}));
    // Published before the server has taken the DISCONNECT, "kept" would go
    // out on this connection and come back with DUP: wait for the close.
    EXPECT_TRUE(sub.ExpectClosed(Millis(2000), {}));
  }
  MqttClient pub(kV311);
  ASSERT_TRUE(pub.Open(port()));
  ASSERT_TRUE(pub.Connect("pub"));
  ASSERT_TRUE(pub.Publish("away/1", "kept", Qos::kAtLeastOnce, 5));
  EXPECT_TRUE(pub.Expect("PUBACK id=5 reason=0x00"));
  ASSERT_TRUE(pub.Publish("away/2", "lost", Qos::kAtMostOnce));
  ASSERT_TRUE(pub.Send(pm::PingReq{}));
  ASSERT_TRUE(pub.Expect("PINGRESP"));

  MqttClient back(kV311);
  ASSERT_TRUE(back.Open(port()));
  ASSERT_TRUE(back.Connect("keeper", false, 60, "CONNACK session_present reason=0x00"));
  EXPECT_TRUE(back.Expect("PUBLISH q=1 id=1 topic=\"away/1\" payload=\"kept\""));
  EXPECT_TRUE(back.ExpectSilence());
}

TEST_P(ConnectTest, UnacknowledgedIsResentWithDupOnReconnect) {
  START_MQTT();
  MqttClient pub(kV311);
  ASSERT_TRUE(pub.Open(port()));
  ASSERT_TRUE(pub.Connect("pub"));
  {
    MqttClient sub(kV311);
    ASSERT_TRUE(sub.Open(port()));
    ASSERT_TRUE(sub.Connect("forgetful", false));
    ASSERT_TRUE(sub.Subscribe(1, "dup", Qos::kExactlyOnce));
    // tern forwards a QoS 2 message when it arrives, mosquitto when it is
    // released; both have sent it once the exchange is complete.
    ASSERT_TRUE(pub.Publish("dup", "once", Qos::kExactlyOnce, 9));
    EXPECT_TRUE(pub.Expect("PUBREC id=9 reason=0x00"));
    ASSERT_TRUE(pub.Send(pm::PubAck{pm::PacketType::kPubrel, 9}));
    EXPECT_TRUE(pub.Expect("PUBCOMP id=9 reason=0x00"));
    EXPECT_TRUE(sub.Expect("PUBLISH q=2 id=1 topic=\"dup\" payload=\"once\""));
  }  // gone without PUBREC
  MqttClient back(kV311);
  ASSERT_TRUE(back.Open(port()));
  ASSERT_TRUE(back.Connect("forgetful", false, 60, "CONNACK session_present reason=0x00"));
  EXPECT_TRUE(back.Expect("PUBLISH q=2 dup id=1 topic=\"dup\" payload=\"once\""));
  ASSERT_TRUE(back.Send(pm::PubAck{pm::PacketType::kPubrec, 1}));
  EXPECT_TRUE(back.Expect("PUBREL id=1 reason=0x00"));
  ASSERT_TRUE(back.Send(pm::PubAck{pm::PacketType::kPubcomp, 1}));
  EXPECT_TRUE(back.ExpectSilence());
}

TEST_P(ConnectTest, SecondConnectionWithTheSameIdTakesOver) {
  START_MQTT();
  MqttClient first(kV5);
  ASSERT_TRUE(first.Open(port()));
  ASSERT_TRUE(first.Connect("same"));
  MqttClient second(kV5);
  ASSERT_TRUE(second.Open(port()));
  ASSERT_TRUE(second.Connect("same"));
  // MQTT-3.1.4-3 requires the close; the DISCONNECT 0x8E before it is
  // what the spec describes, which mosquitto 2.0.11 leaves out.
  if (IsTern()) {
    EXPECT_TRUE(first.ExpectClosed(Millis(2000), {"DISCONNECT reason=0x8e"}));
  } else {
    EXPECT_TRUE(first.ExpectClosed());
  }
  ASSERT_TRUE(second.Send(pm::PingReq{}));
  EXPECT_TRUE(second.Expect("PINGRESP"));
}

TEST_P(ConnectTest, TakeoverIn311JustCloses) {
  START_MQTT();
  MqttClient first(kV311);
  ASSERT_TRUE(first.Open(port()));
  ASSERT_TRUE(first.Connect("same311"));
  MqttClient second(kV311);
  ASSERT_TRUE(second.Open(port()));
  ASSERT_TRUE(second.Connect("same311"));
  EXPECT_TRUE(first.ExpectClosed());
}

TERN_INSTANTIATE_MQTT(ConnectTest);

}  // namespace
}  // namespace tern::testing
