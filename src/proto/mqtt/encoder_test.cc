// The encoders, byte for byte against packets written out by hand after the
// spec: every packet in both versions, the short forms, the spliced PUBLISH
// header, and what cannot be encoded.
#include "proto/mqtt/encoder.h"

#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Frame;
using testing::Hex;
using testing::Str;

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr Version kV31 = Version::kV31;

std::string Enc(Version v, const Packet& p) {
  std::string out;
  EXPECT_TRUE(AppendPacket(out, v, p));
  EXPECT_EQ(out.size(), EncodedSize(v, p));
  return out;
}

TEST(EncoderTest, ConnectSpecExamples) {
  Connect c;
  c.version = kV311;
  c.keep_alive = 10;
  c.client_id = "id";
  c.will = Will{"will/topic", "bye", Qos::kAtLeastOnce};
  c.username = "user";
  c.password = "secret";
  const std::string payload = Str("id") + Str("will/topic") + Str("bye") + Str("user") + Str("secret");
  EXPECT_EQ(Enc(kV311, c), Frame(0x10, Hex("00 04 4d 51 54 54 04 ce 00 0a") + payload));
  c.version = kV5;
  c.properties.session_expiry_interval = 10;
  EXPECT_EQ(Enc(kV311, c),  // a CONNECT is written in its own version
            Frame(0x10, Hex("00 04 4d 51 54 54 05 ce 00 0a 05 11 00 00 00 0a") + Str("id") + Hex("00") +
                            Str("will/topic") + Str("bye") + Str("user") + Str("secret")));
  Connect old;
  old.version = kV31;
  old.clean_start = false;
  old.client_id = "c";
  EXPECT_EQ(Enc(kV31, old), Frame(0x10, Str("MQIsdp") + Hex("03 00 00 00") + Str("c")));
  Connect retained_will;
  retained_will.version = kV311;
  retained_will.will = Will{"t", "", Qos::kExactlyOnce, true};
  EXPECT_EQ(Enc(kV311, retained_will), Frame(0x10, Str("MQTT") + Hex("04 36 00 00") + Str("") + Str("t") + Str("")));
}

TEST(EncoderTest, Connack) {
  EXPECT_EQ(Enc(kV311, Connack{true}), Hex("20 02 01 00"));
  EXPECT_EQ(Enc(kV311, Connack{false, ReasonCode::kBadUserNameOrPassword}), Hex("20 02 00 04"));
  EXPECT_EQ(Enc(kV311, Connack{false, ReasonCode::kBanned}), Hex("20 02 00 05"));  // no "banned" in 3.1.1
  EXPECT_EQ(Enc(kV5, Connack{false, ReasonCode::kBanned}), Hex("20 03 00 8a 00"));

  // What a server tells a 5.0 client about itself.
  static const StringPair kUsers[] = {{"node", "a"}};
  Connack ack;
  ack.properties.assigned_client_identifier = "auto-1";
  ack.properties.server_keep_alive = 60;
  ack.properties.receive_maximum = 100;
  ack.properties.maximum_qos = 1;
  ack.properties.retain_available = 0;
  ack.properties.maximum_packet_size = 1 << 20;
  ack.properties.topic_alias_maximum = 16;
  ack.properties.wildcard_subscription_available = 1;
  ack.properties.subscription_identifier_available = 1;
  ack.properties.shared_subscription_available = 1;
  ack.properties.reason_string = "welcome";
  ack.properties.user_properties = kUsers;
  const std::string props = "\x12" + Str("auto-1") + Hex("13 00 3c") + "\x1f" + Str("welcome") + Hex("21 00 64") +
                            Hex("22 00 10") + Hex("24 01") + Hex("25 00") + Hex("27 00 10 00 00") +
                            Hex("28 01 29 01 2a 01") + "\x26" + Str("node") + Str("a");
  std::string body = Hex("00 00");
  AppendVarInt(body, static_cast<uint32_t>(props.size()));
  EXPECT_EQ(Enc(kV5, ack), Frame(0x20, body + props));
}

TEST(EncoderTest, Publish) {
  Publish p;
  p.topic = "a/b";
  p.payload = "hi";
  EXPECT_EQ(Enc(kV311, p), Frame(0x30, Str("a/b") + "hi"));
  EXPECT_EQ(Enc(kV5, p), Frame(0x30, Str("a/b") + Hex("00") + "hi"));
  p.qos = Qos::kExactlyOnce;
  p.packet_id = 0x0102;
  p.dup = true;
  p.retain = true;
  EXPECT_EQ(Enc(kV311, p), Frame(0x3d, Str("a/b") + Hex("01 02") + "hi"));
  static const uint32_t kIds[] = {2, 300};
  p.properties.subscription_identifiers = kIds;
  p.properties.message_expiry_interval = 5;
  p.properties.topic_alias = 9;
  EXPECT_EQ(Enc(kV5, p),
            Frame(0x3d, Str("a/b") + Hex("01 02") + Hex("0d 02 00 00 00 05 0b 02 0b ac 02 23 00 09") + "hi"));
  EXPECT_EQ(Enc(kV311, p), Frame(0x3d, Str("a/b") + Hex("01 02") + "hi"));  // 3.1.1 has no properties
}

// The header for a payload sent after it, by reference: with the payload
// appended it is the whole PUBLISH.
TEST(EncoderTest, PublishHeaderForASplicedPayload) {
  const std::string payload(70'000, 'x');
  for (const Version v : {kV311, kV5}) {
    for (const Qos q : {Qos::kAtMostOnce, Qos::kAtLeastOnce}) {
      Publish p;
      p.topic = "big/one";
      p.qos = q;
      p.packet_id = 4;
      p.properties.content_type = "blob";
      p.payload = payload;
      std::string whole;
      ASSERT_TRUE(AppendPublish(whole, v, p));
      p.payload = "ignored";
      std::string header = "prefix";
      ASSERT_TRUE(AppendPublishHeader(header, v, p, payload.size()));
      EXPECT_EQ(header.substr(6) + payload, whole);
      EXPECT_EQ(PublishSize(v, p, payload.size()), whole.size());
      EXPECT_LT(header.size(), 40u);
    }
  }
}

TEST(EncoderTest, Acknowledgements) {
  // 3.4.2.1's short forms: nothing after the packet id for Success without
  // properties, the reason code alone without properties.
  EXPECT_EQ(Enc(kV5, PubAck{PacketType::kPuback, 5}), Hex("40 02 00 05"));
  EXPECT_EQ(Enc(kV5, PubAck{PacketType::kPuback, 5, ReasonCode::kNoMatchingSubscribers}), Hex("40 03 00 05 10"));
  EXPECT_EQ(Enc(kV5, PubAck{PacketType::kPubrec, 5, ReasonCode::kSuccess, {"ok", {}}}),
            Hex("50 09 00 05 00 05 1f 00 02 6f 6b"));
  EXPECT_EQ(Enc(kV5, PubAck{PacketType::kPubrel, 5}), Hex("62 02 00 05"));
  EXPECT_EQ(Enc(kV5, PubAck{PacketType::kPubcomp, 5, ReasonCode::kPacketIdentifierNotFound}), Hex("70 03 00 05 92"));
  // 3.1.1 has none of it.
  EXPECT_EQ(Enc(kV311, PubAck{PacketType::kPubrec, 5, ReasonCode::kUnspecifiedError, {"no", {}}}), Hex("50 02 00 05"));
  EXPECT_EQ(Enc(kV311, PubAck{PacketType::kPubrel, 5}), Hex("62 02 00 05"));
}

TEST(EncoderTest, SubscribeAndSuback) {
  static const Subscription kSubs[] = {{"a/b", Qos::kAtLeastOnce, true, true, RetainHandling::kDoNotSend},
                                       {"c/#", Qos::kExactlyOnce}};
  Subscribe s{10, {}, kSubs};
  EXPECT_EQ(Enc(kV311, s), Frame(0x82, Hex("00 0a") + Str("a/b") + Hex("01") + Str("c/#") + Hex("02")));
  s.properties.subscription_identifier = 128;
  EXPECT_EQ(Enc(kV5, s), Frame(0x82, Hex("00 0a 03 0b 80 01") + Str("a/b") + Hex("2d") + Str("c/#") + Hex("02")));

  static const ReasonCode kCodes[] = {ReasonCode::kGrantedQos1, ReasonCode::kQuotaExceeded, ReasonCode::kGrantedQos2};
  EXPECT_EQ(Enc(kV311, Suback{10, {"x", {}}, kCodes}), Hex("90 05 00 0a 01 80 02"));
  EXPECT_EQ(Enc(kV5, Suback{10, {"x", {}}, kCodes}), Hex("90 0a 00 0a 04 1f 00 01 78 01 97 02"));
}

TEST(EncoderTest, UnsubscribeAndUnsuback) {
  static const std::string_view kFilters[] = {"a/b", "$share/g/c"};
  EXPECT_EQ(Enc(kV311, Unsubscribe{3, {}, kFilters}), Frame(0xa2, Hex("00 03") + Str("a/b") + Str("$share/g/c")));
  EXPECT_EQ(Enc(kV5, Unsubscribe{3, {}, kFilters}), Frame(0xa2, Hex("00 03 00") + Str("a/b") + Str("$share/g/c")));
  static const ReasonCode kCodes[] = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
  EXPECT_EQ(Enc(kV311, Unsuback{3, {}, kCodes}), Hex("b0 02 00 03"));
  EXPECT_EQ(Enc(kV5, Unsuback{3, {}, kCodes}), Hex("b0 05 00 03 00 00 11"));
}

TEST(EncoderTest, PingDisconnectAuth) {
  std::string out;
  AppendPingreq(out);
  AppendPingresp(out);
  EXPECT_EQ(out, Hex("c0 00 d0 00"));
  EXPECT_EQ(Enc(kV311, Disconnect{}), Hex("e0 00"));
  EXPECT_EQ(Enc(kV311, Disconnect{ReasonCode::kServerShuttingDown}), Hex("e0 00"));
  EXPECT_EQ(Enc(kV5, Disconnect{}), Hex("e0 00"));
  EXPECT_EQ(Enc(kV5, Disconnect{ReasonCode::kServerShuttingDown}), Hex("e0 01 8b"));
  EXPECT_EQ(Enc(kV5, Disconnect{ReasonCode::kSuccess, {std::nullopt, "bye"}}), Hex("e0 08 00 06 1f 00 03 62 79 65"));
  EXPECT_EQ(Enc(kV5, Auth{}), Hex("f0 00"));
  EXPECT_EQ(Enc(kV5, Auth{ReasonCode::kContinueAuthentication}), Hex("f0 01 18"));
  EXPECT_EQ(Enc(kV5, Auth{ReasonCode::kContinueAuthentication, {"X", std::nullopt, std::nullopt, {}}}),
            Hex("f0 06 18 04 15 00 01 58"));
}

// The typed entry points write what AppendPacket() writes.
TEST(EncoderTest, TypedEntryPoints) {
  static const Subscription kSubs[] = {{"a", Qos::kAtLeastOnce}};
  static const std::string_view kFilters[] = {"a"};
  static const ReasonCode kCodes[] = {ReasonCode::kGrantedQos1};
  for (const Version v : {kV311, kV5}) {
    std::string typed;
    Connect c;
    c.version = v;
    ASSERT_TRUE(AppendConnect(typed, c));
    ASSERT_TRUE(AppendConnack(typed, v, Connack{true}));
    ASSERT_TRUE(AppendPublish(typed, v, Publish{"t", "p"}));
    ASSERT_TRUE(AppendPubAck(typed, v, PubAck{PacketType::kPubrel, 1}));
    ASSERT_TRUE(AppendSubscribe(typed, v, Subscribe{1, {}, kSubs}));
    ASSERT_TRUE(AppendSuback(typed, v, Suback{1, {}, kCodes}));
    ASSERT_TRUE(AppendUnsubscribe(typed, v, Unsubscribe{2, {}, kFilters}));
    ASSERT_TRUE(AppendUnsuback(typed, v, Unsuback{2}));
    ASSERT_TRUE(AppendDisconnect(typed, v, Disconnect{}));
    const std::string generic = Enc(v, c) + Enc(v, Connack{true}) + Enc(v, Publish{"t", "p"}) +
                                Enc(v, PubAck{PacketType::kPubrel, 1}) + Enc(v, Subscribe{1, {}, kSubs}) +
                                Enc(v, Suback{1, {}, kCodes}) + Enc(v, Unsubscribe{2, {}, kFilters}) +
                                Enc(v, Unsuback{2}) + Enc(v, Disconnect{});
    EXPECT_EQ(typed, generic);
  }
  std::string auth;
  ASSERT_TRUE(AppendAuth(auth, Auth{ReasonCode::kReAuthenticate}));
  EXPECT_EQ(auth, Hex("f0 01 19"));
}

TEST(EncoderTest, WhatCannotBeEncoded) {
  const std::string long_topic(65'536, 't');
  Publish p;
  p.topic = long_topic;
  std::string out = "kept";
  EXPECT_FALSE(AppendPublish(out, kV311, p));
  EXPECT_EQ(out, "kept");
  EXPECT_EQ(EncodedSize(kV311, p), 0u);
  p.topic = std::string_view(long_topic).substr(0, 65'535);
  EXPECT_TRUE(AppendPublish(out, kV311, p));
  // A body past 268,435,455 bytes.
  Publish big;
  big.topic = "t";
  EXPECT_FALSE(AppendPublishHeader(out, kV311, big, kMaxVarInt));
  EXPECT_TRUE(AppendPublishHeader(out, kV311, big, kMaxVarInt - 3));
  EXPECT_EQ(PublishSize(kV311, big, kMaxVarInt - 3), kMaxPacketSize);
  EXPECT_EQ(PublishSize(kV311, big, kMaxVarInt - 2), 0u);
  // A Subscription Identifier past the Variable Byte Integer's range.
  Subscribe s;
  s.properties.subscription_identifier = kMaxVarInt + 1;
  EXPECT_FALSE(AppendSubscribe(out, kV5, s));
}

}  // namespace
}  // namespace tern::proto::mqtt
