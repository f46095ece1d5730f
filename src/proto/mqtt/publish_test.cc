// PUBLISH and its acknowledgements, from bytes written by hand, and the
// rules on topics, packet ids and PUBLISH properties.
#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Client;
using testing::Decoded;
using testing::DecodeOne;
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
constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;
constexpr ErrorAction kClose = ErrorAction::kClose;
constexpr ErrorAction kDisconnect = ErrorAction::kSendDisconnect;

TEST(PublishTest, V311) {
  Decoded d = DecodeOne(Frame(0x30, Str("a/b") + "hello"), Server(kV311));
  const Publish& q0 = std::get<Publish>(d.packet);
  EXPECT_EQ(q0.topic, "a/b");
  EXPECT_EQ(q0.payload, "hello");
  EXPECT_EQ(q0.qos, Qos::kAtMostOnce);
  EXPECT_EQ(q0.packet_id, 0);
  EXPECT_FALSE(q0.dup || q0.retain);

  d = DecodeOne(Frame(0x3b, Str("a") + Hex("12 34") + "x"), Server(kV311));  // DUP, QoS 1, RETAIN
  const Publish& q1 = std::get<Publish>(d.packet);
  EXPECT_EQ(q1.qos, Qos::kAtLeastOnce);
  EXPECT_EQ(q1.packet_id, 0x1234);
  EXPECT_TRUE(q1.dup && q1.retain);
  EXPECT_EQ(q1.payload, "x");

  d = DecodeOne(Frame(0x34, Str("a") + Hex("00 01")), Server(kV311));  // QoS 2, empty payload
  EXPECT_EQ(std::get<Publish>(d.packet).qos, Qos::kExactlyOnce);
  EXPECT_TRUE(std::get<Publish>(d.packet).payload.empty());

  // The spec's topic example: "A𪛔" (3 bytes in the code point U+2A6D4 and
  // an A).
  d = DecodeOne(Frame(0x30, Hex("00 05 41 f0 aa 9b 94")), Server(kV311));
  EXPECT_EQ(std::get<Publish>(d.packet).topic, "A\xf0\xaa\x9b\x94");

  // DUP on QoS 0 breaks MQTT-3.3.1-2 but the receiver is given nothing to
  // do about it; it is let through, as mosquitto does.
  EXPECT_FALSE(FeedWhole(Frame(0x38, Str("a")), Server(kV311)).failed);
  ExpectSplitInvariant(Frame(0x3b, Str("a") + Hex("12 34") + "x"), Server(kV311));
}

TEST(PublishTest, V5Properties) {
  const std::string props = Hex("01 01") + Hex("02 00 00 00 3c") + "\x03" + Str("text/plain") + "\x08" +
                            Str("reply/to") + "\x09" + Str(std::string_view("\x00\x01", 2)) + Hex("23 00 07") + "\x26" +
                            Str("a") + Str("1") + "\x26" + Str("b") + Str("2") + "\x26" + Str("a") + Str("3");
  std::string body = Str("t/1") + Hex("00 09");
  AppendVarInt(body, static_cast<uint32_t>(props.size()));
  body += props + "payload";
  Decoded d = DecodeOne(Frame(0x32, body), Server(kV5));
  const Publish& p = std::get<Publish>(d.packet);
  EXPECT_EQ(p.packet_id, 9);
  EXPECT_EQ(p.payload, "payload");
  EXPECT_EQ(p.properties.payload_format_indicator, 1);
  EXPECT_EQ(p.properties.message_expiry_interval, 60u);
  EXPECT_EQ(p.properties.content_type, "text/plain");
  EXPECT_EQ(p.properties.response_topic, "reply/to");
  EXPECT_EQ(p.properties.correlation_data, std::string_view("\x00\x01", 2));
  EXPECT_EQ(p.properties.topic_alias, 7);
  // User properties keep their order and their repeats (3.3.2.3.7).
  const std::vector<StringPair> want = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(p.properties.user_properties.ToVector(), want);
  EXPECT_TRUE(p.properties.subscription_identifiers.empty());
  ExpectSplitInvariant(Frame(0x32, body), Server(kV5));
}

// A server sends one Subscription Identifier per matching subscription.
TEST(PublishTest, SubscriptionIdentifiersFromAServer) {
  const std::string props = Hex("0b 01") + Hex("0b ff ff ff 7f") + Hex("0b 80 01") + Hex("26 00 01 6b 00 00");
  std::string body = Str("t");
  AppendVarInt(body, static_cast<uint32_t>(props.size()));
  body += props;
  Decoded d = DecodeOne(Frame(0x30, body), Client(kV5));
  const Publish& p = std::get<Publish>(d.packet);
  EXPECT_EQ(p.properties.subscription_identifiers.ToVector(), (std::vector<uint32_t>{1, 268'435'455, 128}));
  EXPECT_EQ(p.properties.user_properties.ToVector(), (std::vector<StringPair>{{"k", ""}}));
  // ... and a client must not.
  const Outcome o = ExpectError(Frame(0x30, body), Server(kV5), kProtocol, kDisconnect);
  EXPECT_EQ(o.rule, "MQTT-3.3.4-6: Subscription Identifier in a PUBLISH from a client");
  // Walking one list skips the other's entries and every other property.
  const std::string mixed = Hex("26 00 01 61 00 01 62") + Hex("0b 05") + Hex("01 01") + "\x08" + Str("r") +
                            Hex("02 00 00 00 01 0b 06") + "\x26" + Str("c") + Str("d") + Hex("23 00 02") + "\x09" +
                            Str("x");
  std::string mixed_body = Str("t");
  AppendVarInt(mixed_body, static_cast<uint32_t>(mixed.size()));
  mixed_body += mixed;
  Decoded m = DecodeOne(Frame(0x30, mixed_body), Client(kV5));
  const PublishProperties& mp = std::get<Publish>(m.packet).properties;
  EXPECT_EQ(mp.subscription_identifiers.ToVector(), (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(mp.user_properties.ToVector(), (std::vector<StringPair>{{"a", "b"}, {"c", "d"}}));
  ExpectError(Frame(0x30, Str("t") + Hex("02 0b 00")), Client(kV5), kProtocol, kDisconnect);  // 0 is not an id
  ExpectError(Frame(0x30, Str("t") + Hex("06 0b ff ff ff ff 01")), Client(kV5), kMalformed, kDisconnect);
}

TEST(PublishTest, TopicAlias) {
  // An empty topic is fine when an alias stands for it, in 5.0 only.
  Decoded d = DecodeOne(Frame(0x30, Str("") + Hex("03 23 00 01") + "x"), Server(kV5));
  EXPECT_EQ(std::get<Publish>(d.packet).properties.topic_alias, 1);
  EXPECT_TRUE(std::get<Publish>(d.packet).topic.empty());
  const Outcome zero =
      ExpectError(Frame(0x30, Str("t") + Hex("03 23 00 00")), Server(kV5), ReasonCode::kTopicAliasInvalid, kDisconnect);
  EXPECT_EQ(zero.rule, "MQTT-3.3.2-8: Topic Alias of 0");
  ExpectError(Frame(0x30, Str("") + Hex("00")), Server(kV5), kProtocol, kDisconnect);
  ExpectError(Frame(0x30, Str("") + "x"), Server(kV311), kProtocol, kClose);
}

TEST(PublishTest, Refusals) {
  struct Case {
    const char* what;
    std::string bytes;
    Version v;
    ReasonCode reason;
  };
  const Case cases[] = {
      {"wildcard +", Frame(0x30, Str("a/+")), kV311, ReasonCode::kTopicNameInvalid},
      {"wildcard #", Frame(0x30, Str("#") + Hex("00")), kV5, ReasonCode::kTopicNameInvalid},
      {"topic not UTF-8", Frame(0x30, Str("\xed\xa0\x80")), kV311, kMalformed},  // a surrogate
      {"topic with U+0000", Frame(0x30, Str(std::string_view("a\0", 2))), kV311, kMalformed},
      {"packet id 0", Frame(0x32, Str("a") + Hex("00 00")), kV311, kProtocol},
      {"no packet id", Frame(0x32, Str("a") + Hex("00")), kV311, kMalformed},
      {"topic longer than the packet", Frame(0x30, Hex("00 05 61")), kV5, kMalformed},
      {"no property length", Frame(0x30, Str("a")), kV5, kMalformed},
      {"Session Expiry in PUBLISH", Frame(0x30, Str("a") + Hex("05 11 00 00 00 01")), kV5, kProtocol},
      {"Content Type twice", Frame(0x30, Str("a") + Hex("08 03 00 01 61 03 00 01 62")), kV5, kProtocol},
      {"Payload Format 2", Frame(0x30, Str("a") + Hex("02 01 02")), kV5, kProtocol},
      {"Topic Alias twice", Frame(0x30, Str("a") + Hex("06 23 00 01 23 00 02")), kV5, kProtocol},
      {"Response Topic with a wildcard", Frame(0x30, Str("a") + Hex("05 08 00 02 61 23")), kV5, kProtocol},
      {"content type not UTF-8", Frame(0x30, Str("a") + Hex("04 03 00 01 ff")), kV5, kMalformed},
      {"user property value not UTF-8", Frame(0x30, Str("a") + Hex("07 26 00 01 61 00 01 80")), kV5, kMalformed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ExpectError(c.bytes, Server(c.v), c.reason, c.v == kV5 ? kDisconnect : kClose);
    ExpectSplitInvariant(c.bytes, Server(c.v));
  }
}

TEST(PubAckTest, V311) {
  const std::pair<uint8_t, PacketType> types[] = {{0x40, PacketType::kPuback},
                                                  {0x50, PacketType::kPubrec},
                                                  {0x62, PacketType::kPubrel},
                                                  {0x70, PacketType::kPubcomp}};
  for (const auto& [first, type] : types) {
    const Role role = first == 0x62 ? Role::kServer : Role::kClient;
    Decoded d = DecodeOne(std::string(1, static_cast<char>(first)) + Hex("02 ab cd"), {role, kV311});
    EXPECT_EQ(std::get<PubAck>(d.packet), (PubAck{type, 0xabcd}));
    ExpectError(std::string(1, static_cast<char>(first)) + Hex("02 00 00"), {role, kV311}, kProtocol, kClose);
  }
  ExpectError(Hex("60 02 00 01"), Server(kV311), kMalformed, kClose);  // PUBREL's flags must be 0010
}

TEST(PubAckTest, V5Forms) {
  // Remaining Length 2: Success, no properties.
  Decoded d = DecodeOne(Hex("40 02 00 05"), Server(kV5));
  EXPECT_EQ(std::get<PubAck>(d.packet), (PubAck{PacketType::kPuback, 5, ReasonCode::kSuccess}));
  // 3: a reason code, no properties.
  d = DecodeOne(Hex("40 03 00 05 10"), Server(kV5));
  EXPECT_EQ(std::get<PubAck>(d.packet).reason, ReasonCode::kNoMatchingSubscribers);
  // 4: and an empty property block.
  d = DecodeOne(Hex("50 04 00 05 80 00"), Server(kV5));
  EXPECT_EQ(std::get<PubAck>(d.packet).reason, ReasonCode::kUnspecifiedError);
  // With a reason string and a user property.
  d = DecodeOne(Hex("70 10 00 05 92 0c 1f 00 02 6e 6f 26 00 01 6b 00 01 76"), Server(kV5));
  const PubAck& a = std::get<PubAck>(d.packet);
  EXPECT_EQ(a.reason, ReasonCode::kPacketIdentifierNotFound);
  EXPECT_EQ(a.properties.reason_string, "no");
  EXPECT_EQ(a.properties.user_properties.ToVector(), (std::vector<StringPair>{{"k", "v"}}));
  ExpectSplitInvariant(Hex("70 10 00 05 92 0c 1f 00 02 6e 6f 26 00 01 6b 00 01 76"), Server(kV5));

  ExpectError(Hex("40 03 00 05 92"), Server(kV5), kProtocol, kDisconnect);           // PUBREL/PUBCOMP's code in PUBACK
  ExpectError(Hex("62 03 00 05 10"), Server(kV5), kProtocol, kDisconnect);           // PUBACK's code in PUBREL
  ExpectError(Hex("40 05 00 05 00 00 00"), Server(kV5), kMalformed, kDisconnect);    // bytes after the properties
  ExpectError(Hex("40 06 00 05 00 02 23 00"), Server(kV5), kProtocol, kDisconnect);  // Topic Alias in PUBACK
}

}  // namespace
}  // namespace tern::proto::mqtt
