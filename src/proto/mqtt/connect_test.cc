// CONNECT and CONNACK, decoded from bytes written out by hand after the
// spec, and every rule a CONNECT can break with what the server must answer.
#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Client;
using testing::ExpectError;
using testing::ExpectSplitInvariant;
using testing::FeedWhole;
using testing::Frame;
using testing::Hex;
using testing::Outcome;
using testing::Server;
using testing::Str;

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr Version kV31 = Version::kV31;
constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;
constexpr ErrorAction kClose = ErrorAction::kClose;
constexpr ErrorAction kConnack = ErrorAction::kSendConnack;

Connect DecodeConnect(std::string_view bytes, Decoder& decoder) {
  Packet p;
  const DecodeResult r = decoder.Decode(bytes, &p);
  EXPECT_EQ(r.status, DecodeStatus::kPacket) << decoder.error().rule;
  EXPECT_EQ(r.consumed, bytes.size());
  return r.status == DecodeStatus::kPacket ? std::get<Connect>(p) : Connect{};
}

// 3.1.2.10's example variable header (flags 0xCE: user name, password, Will
// QoS 1, Will, Clean Session; Keep Alive 10), with a payload to match.
TEST(ConnectTest, SpecExampleV311) {
  const std::string bytes = Frame(0x10, Hex("00 04 4d 51 54 54 04 ce 00 0a") + Str("id") + Str("will/topic") +
                                            Str("bye") + Str("user") + Str("secret"));
  Decoder decoder(Server());
  const Connect c = DecodeConnect(bytes, decoder);
  EXPECT_EQ(decoder.version(), kV311);
  EXPECT_EQ(c.version, kV311);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  EXPECT_EQ(c.client_id, "id");
  ASSERT_TRUE(c.will);
  EXPECT_EQ(c.will->qos, Qos::kAtLeastOnce);
  EXPECT_FALSE(c.will->retain);
  EXPECT_EQ(c.will->topic, "will/topic");
  EXPECT_EQ(c.will->payload, "bye");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.password, "secret");
  ExpectSplitInvariant(bytes, Server());
}

// 3.1.2.12's example: the same, with version 5 and a Session Expiry
// Interval of 10 in the properties.
TEST(ConnectTest, SpecExampleV5) {
  const std::string bytes = Frame(0x10, Hex("00 04 4d 51 54 54 05 ce 00 0a 05 11 00 00 00 0a") + Str("id") + Hex("00") +
                                            Str("will/topic") + Str("bye") + Str("user") + Str("secret"));
  Decoder decoder(Server());
  const Connect c = DecodeConnect(bytes, decoder);
  EXPECT_EQ(decoder.version(), kV5);
  EXPECT_EQ(c.properties.session_expiry_interval, 10u);
  EXPECT_EQ(c.will->topic, "will/topic");
  EXPECT_EQ(Describe(c),
            "CONNECT v=5 clean keep_alive=10 id=\"id\" will{q=1 topic=\"will/topic\" payload=\"bye\"} "
            "user=\"user\" password=\"secret\" session_expiry=10");
  ExpectSplitInvariant(bytes, Server());
}

TEST(ConnectTest, MqttV31) {
  const std::string bytes = Frame(0x10, Str("MQIsdp") + Hex("03 02 00 3c") + Str("old-client"));
  Decoder decoder(Server());
  const Connect c = DecodeConnect(bytes, decoder);
  EXPECT_EQ(decoder.version(), kV31);
  EXPECT_EQ(c.client_id, "old-client");
  // 3.1 clients may set the user name and password flags and leave the
  // fields out; mosquitto reads them as absent.
  Decoder second;
  const Connect lenient = DecodeConnect(Frame(0x10, Str("MQIsdp") + Hex("03 c2 00 3c") + Str("c")), second);
  EXPECT_FALSE(lenient.username);
  EXPECT_FALSE(lenient.password);
  Decoder third;
  const std::string half_bytes = Frame(0x10, Str("MQIsdp") + Hex("03 c2 00 3c") + Str("c") + Str("u"));
  const Connect half = DecodeConnect(half_bytes, third);
  EXPECT_EQ(half.username, "u");
  EXPECT_FALSE(half.password);
  // 3.1 needs a client id.
  const Outcome o = ExpectError(Frame(0x10, Str("MQIsdp") + Hex("03 02 00 3c") + Str("")), Server(),
                                ReasonCode::kClientIdentifierNotValid, kConnack);
  EXPECT_EQ(o.version, kV31);
}

TEST(ConnectTest, EveryField) {
  static const StringPair kUsers[] = {{"a", "1"}, {"b", "2"}};
  Connect c;
  c.version = kV5;
  c.clean_start = false;
  c.keep_alive = 65535;
  c.client_id = "\xe2\x82\xac-id";  // "€-id"
  c.username = "";
  c.password = std::string_view("\x00\xff", 2);
  c.properties = {7, 100, 4096, 16, 1, 0, "PLAIN", std::string_view("\x00", 1), kUsers};
  c.will.emplace();
  c.will->topic = "t";
  c.will->qos = Qos::kExactlyOnce;
  c.will->retain = true;
  c.will->properties = {30, 1, 60, "text/plain", "reply/t", "corr", kUsers};
  std::string bytes;
  ASSERT_TRUE(AppendConnect(bytes, c));
  Decoder decoder(Server());
  EXPECT_EQ(DecodeConnect(bytes, decoder), c);
  ExpectSplitInvariant(bytes, Server());
}

// The refusals, each with the reason code and answer the spec asks for.
struct Refusal {
  const char* what;
  std::string body;
  ReasonCode reason;
  ErrorAction action;
  Version reply;
};

std::string V5(std::string_view flags_keepalive_props_payload) {
  return Str("MQTT") + "\x05" + std::string(flags_keepalive_props_payload);
}
std::string V311(std::string_view rest) { return Str("MQTT") + "\x04" + std::string(rest); }

TEST(ConnectTest, Refusals) {
  const std::string id = Str("c");
  const Refusal cases[] = {
      // Protocol name and level: 3.1.2.1, 3.1.2.2.
      {"unknown protocol name", Str("MQTX") + Hex("04 02 00 3c") + id, ReasonCode::kUnsupportedProtocolVersion, kClose,
       Version::kUnknown},
      {"MQTT at level 3", Str("MQTT") + Hex("03 02 00 3c") + id, ReasonCode::kUnsupportedProtocolVersion, kConnack,
       kV311},
      {"MQTT at level 6", Str("MQTT") + Hex("06 02 00 3c 00") + id, ReasonCode::kUnsupportedProtocolVersion, kConnack,
       kV311},
      {"MQIsdp at level 4", Str("MQIsdp") + Hex("04 02 00 3c") + id, ReasonCode::kUnsupportedProtocolVersion, kConnack,
       kV311},
      {"protocol name not UTF-8", Str("MQ\xff\xfe") + Hex("04 02 00 3c") + id, kMalformed, kClose, Version::kUnknown},
      // Flags: 3.1.2.3 and the Will rules.
      {"reserved flag, 5.0", V5(Hex("03 00 3c 00") + id), kMalformed, kConnack, kV5},
      {"reserved flag, 3.1.1", V311(Hex("03 00 3c") + id), kMalformed, kClose, Version::kUnknown},
      {"Will QoS 3", V5(Hex("1e 00 3c 00") + id + Hex("00") + Str("t") + Str("p")), kMalformed, kConnack, kV5},
      {"Will QoS without Will", V5(Hex("0a 00 3c 00") + id), kMalformed, kConnack, kV5},
      {"Will Retain without Will", V311(Hex("22 00 3c") + id), kMalformed, kClose, Version::kUnknown},
      {"password without user name, 3.1.1", V311(Hex("42 00 3c") + id + Str("pw")), kMalformed, kClose,
       Version::kUnknown},
      // Client identifier: 3.1.3.1.
      {"empty client id without clean session, 3.1.1", V311(Hex("00 00 3c") + Str("")),
       ReasonCode::kClientIdentifierNotValid, kConnack, kV311},
      {"client id not UTF-8", V5(Hex("02 00 3c 00") + Str("\xc0\xaf")), kMalformed, kConnack, kV5},
      {"client id with U+0000", V311(Hex("02 00 3c") + Str(std::string_view("a\0b", 3))), kMalformed, kClose,
       Version::kUnknown},
      // Will topic.
      {"Will topic with a wildcard", V5(Hex("06 00 3c 00") + id + Hex("00") + Str("a/#") + Str("p")),
       ReasonCode::kTopicNameInvalid, kConnack, kV5},
      {"empty Will topic", V311(Hex("06 00 3c") + id + Str("") + Str("p")), ReasonCode::kTopicNameInvalid, kClose,
       Version::kUnknown},
      // Lengths.
      {"no keep alive", V5(Hex("02 00")), kMalformed, kConnack, kV5},
      {"user name flag without a user name", V311(Hex("82 00 3c") + id), kMalformed, kClose, Version::kUnknown},
      {"bytes after the last field", V5(Hex("02 00 3c 00") + id + "x"), kMalformed, kConnack, kV5},
      {"string longer than the packet", V311(Hex("02 00 3c 00 09 61")), kMalformed, kClose, Version::kUnknown},
      // Properties: 2.2.2.2 and 3.1.2.11.
      {"property not allowed in CONNECT", V5(Hex("02 00 3c 03 23 00 01") + id), kProtocol, kConnack, kV5},
      {"Session Expiry twice", V5(Hex("02 00 3c 0a 11 00 00 00 01 11 00 00 00 02") + id), kProtocol, kConnack, kV5},
      {"Receive Maximum 0", V5(Hex("02 00 3c 03 21 00 00") + id), kProtocol, kConnack, kV5},
      {"Maximum Packet Size 0", V5(Hex("02 00 3c 05 27 00 00 00 00") + id), kProtocol, kConnack, kV5},
      {"Request Problem Information 2", V5(Hex("02 00 3c 02 17 02") + id), kProtocol, kConnack, kV5},
      {"Authentication Data without Method", V5(Hex("02 00 3c 04 16 00 01 00") + id), kProtocol, kConnack, kV5},
      {"unknown property", V5(Hex("02 00 3c 02 7f 00") + id), kMalformed, kConnack, kV5},
      {"property length past the packet", V5(Hex("02 00 3c 09 11 00")), kMalformed, kConnack, kV5},
      {"property past its block", V5(Hex("02 00 3c 02 11 00 00 00 00 00") + id), kMalformed, kConnack, kV5},
      {"Will property not allowed", V5(Hex("06 00 3c 00") + id + Hex("05 11 00 00 00 01") + Str("t") + Str("p")),
       kProtocol, kConnack, kV5},
      {"Response Topic with a wildcard", V5(Hex("06 00 3c 00") + id + Hex("04 08") + Str("+") + Str("t") + Str("p")),
       kProtocol, kConnack, kV5},
  };
  for (const Refusal& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string bytes = Frame(0x10, c.body);
    const Outcome o = ExpectError(bytes, Server(), c.reason, c.action);
    EXPECT_EQ(o.version, c.reply);
    EXPECT_TRUE(o.packets.empty());
    if (c.action == kConnack) {
      // The reason must be one a CONNACK may carry.
      EXPECT_TRUE(IsValidReasonFor(c.reason, PacketType::kConnack));
    }
    ExpectSplitInvariant(bytes, Server());
  }
}

TEST(ConnectTest, Accepted) {
  // 5.0: an empty client id with or without Clean Start (the server assigns
  // one), and a password without a user name.
  for (const std::string& body :
       {V5(Hex("00 00 3c 00") + Str("")), V5(Hex("42 00 3c 00") + Str("") + Str("pw")), V311(Hex("02 00 3c") + Str("")),
        // 3.1 has no Will consistency rule.
        Str("MQIsdp") + Hex("03 22 00 3c") + Str("c")}) {
    const Outcome o = FeedWhole(Frame(0x10, body), Server());
    EXPECT_FALSE(o.failed) << o;
  }
}

Connack DecodeConnack(std::string_view bytes, Version v) {
  Decoder decoder(Client(v));
  Packet p;
  const DecodeResult r = decoder.Decode(bytes, &p);
  EXPECT_EQ(r.status, DecodeStatus::kPacket) << decoder.error().rule;
  return r.status == DecodeStatus::kPacket ? std::get<Connack>(p) : Connack{};
}

TEST(ConnackTest, V311) {
  EXPECT_EQ(DecodeConnack(Hex("20 02 00 00"), kV311), (Connack{false, ReasonCode::kSuccess}));
  EXPECT_EQ(DecodeConnack(Hex("20 02 01 00"), kV311), (Connack{true, ReasonCode::kSuccess}));
  const std::pair<int, ReasonCode> codes[] = {{1, ReasonCode::kUnsupportedProtocolVersion},
                                              {2, ReasonCode::kClientIdentifierNotValid},
                                              {3, ReasonCode::kServerUnavailable},
                                              {4, ReasonCode::kBadUserNameOrPassword},
                                              {5, ReasonCode::kNotAuthorized}};
  for (const auto& [rc, reason] : codes) {
    EXPECT_EQ(DecodeConnack(Hex("20 02 00") + static_cast<char>(rc), kV311).reason, reason);
  }
  ExpectError(Hex("20 02 00 06"), Client(kV311), kMalformed, kClose);
  ExpectError(Hex("20 02 02 00"), Client(kV311), kMalformed, kClose);
  ExpectError(Hex("20 02 01 05"), Client(kV311), kProtocol, kClose);
}

TEST(ConnackTest, V5) {
  // Every CONNACK property, which between them are every property type but
  // the Variable Byte Integer and the pair... and the pair.
  const std::string props = Hex("11 00 00 0e 10") + Hex("21 00 14") + Hex("24 01") + Hex("25 00") +
                            Hex("27 00 01 00 00") + "\x12" + Str("auto-42") + Hex("22 00 05") + "\x1f" + Str("ok") +
                            Hex("28 01 29 00 2a 01") + Hex("13 00 1e") + "\x1a" + Str("resp/") + "\x1c" +
                            Str("other:1883") + "\x15" + Str("SCRAM") + "\x16" + Str("\x01\x02") + "\x26" + Str("k") +
                            Str("v");
  std::string body = Hex("00 00");
  AppendVarInt(body, static_cast<uint32_t>(props.size()));
  body += props;
  const std::string bytes = Frame(0x20, body);  // the packet's views point into it
  const Connack c = DecodeConnack(bytes, kV5);
  const ConnackProperties& p = c.properties;
  EXPECT_EQ(p.session_expiry_interval, 3600u);
  EXPECT_EQ(p.receive_maximum, 20);
  EXPECT_EQ(p.maximum_qos, 1);
  EXPECT_EQ(p.retain_available, 0);
  EXPECT_EQ(p.maximum_packet_size, 65536u);
  EXPECT_EQ(p.assigned_client_identifier, "auto-42");
  EXPECT_EQ(p.topic_alias_maximum, 5);
  EXPECT_EQ(p.reason_string, "ok");
  EXPECT_EQ(p.wildcard_subscription_available, 1);
  EXPECT_EQ(p.subscription_identifier_available, 0);
  EXPECT_EQ(p.shared_subscription_available, 1);
  EXPECT_EQ(p.server_keep_alive, 30);
  EXPECT_EQ(p.response_information, "resp/");
  EXPECT_EQ(p.server_reference, "other:1883");
  EXPECT_EQ(p.authentication_method, "SCRAM");
  EXPECT_EQ(p.authentication_data, "\x01\x02");
  ASSERT_EQ(p.user_properties.size(), 1u);
  EXPECT_EQ(*p.user_properties.begin(), (StringPair{"k", "v"}));
  ExpectSplitInvariant(bytes, Client(kV5));

  EXPECT_EQ(DecodeConnack(Hex("20 03 00 87 00"), kV5).reason, ReasonCode::kNotAuthorized);
  ExpectError(Hex("20 03 00 10 00"), Client(kV5), kProtocol, ErrorAction::kSendDisconnect);        // not a CONNACK code
  ExpectError(Hex("20 05 00 00 02 24 02"), Client(kV5), kProtocol, ErrorAction::kSendDisconnect);  // Maximum QoS 2
  ExpectError(Hex("20 06 00 00 03 23 00 01"), Client(kV5), kProtocol, ErrorAction::kSendDisconnect);
  ExpectError(Hex("20 02 00 00"), Client(kV5), kMalformed, ErrorAction::kSendDisconnect);  // no property length
  ExpectError(Hex("20 03 01 80 00"), Client(kV5), kProtocol, ErrorAction::kSendDisconnect);
}

}  // namespace
}  // namespace tern::proto::mqtt
