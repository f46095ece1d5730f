// Encode then decode gives back the same packet, for every packet type in
// every version, with every field the version has; and the would-fit helper
// and the 5.0 trimming of optional properties.
#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr Version kV31 = Version::kV31;

const StringPair kUsers[] = {{"u1", "v1"}, {"u2", "\xc3\xa9t\xc3\xa9"}, {"u1", ""}};
const Subscription kSubs[] = {{"a/b", Qos::kAtMostOnce},
                              {"a/+/c/#", Qos::kAtLeastOnce, true, false, RetainHandling::kSendIfNew},
                              {"$share/g/x", Qos::kExactlyOnce, false, true, RetainHandling::kDoNotSend}};
const std::string_view kFilters[] = {"a/b", "#", "$share/g/+"};
const uint32_t kSubIds[] = {1, 127, 128, 16'384, kMaxVarInt};
const ReasonCode kSubackCodes5[] = {ReasonCode::kGrantedQos0, ReasonCode::kGrantedQos2, ReasonCode::kNotAuthorized,
                                    ReasonCode::kSharedSubscriptionsNotSupported};
const ReasonCode kSubackCodes3[] = {ReasonCode::kGrantedQos0, ReasonCode::kGrantedQos1, ReasonCode::kGrantedQos2,
                                    ReasonCode::kUnspecifiedError};
const ReasonCode kUnsubackCodes[] = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted,
                                     ReasonCode::kTopicFilterInvalid};

// Who decodes it: CONNECT and the like at a server, CONNACK and the like at
// a client, the rest at both.
std::vector<Role> Receivers(Version v, const Packet& p) {
  switch (TypeOf(p)) {
    case PacketType::kConnect:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
    case PacketType::kPingreq:
      return {Role::kServer};
    case PacketType::kConnack:
    case PacketType::kSuback:
    case PacketType::kUnsuback:
    case PacketType::kPingresp:
      return {Role::kClient};
    case PacketType::kDisconnect:
      if (v != kV5) return {Role::kServer};
      if (std::get<Disconnect>(p).properties.session_expiry_interval) return {Role::kServer};
      return {Role::kServer, Role::kClient};
    case PacketType::kPublish:
      if (!std::get<Publish>(p).properties.subscription_identifiers.empty()) return {Role::kClient};
      return {Role::kServer, Role::kClient};
    default:
      return {Role::kServer, Role::kClient};
  }
}

void ExpectRoundTrip(Version v, const Packet& p) {
  SCOPED_TRACE(Describe(p));
  std::string wire;
  ASSERT_TRUE(AppendPacket(wire, v, p));
  EXPECT_EQ(wire.size(), EncodedSize(v, p));
  EXPECT_TRUE(Fits(v, p, static_cast<uint32_t>(wire.size())));
  EXPECT_FALSE(Fits(v, p, static_cast<uint32_t>(wire.size() - 1)));
  for (const Role role : Receivers(v, p)) {
    const bool fresh_server = role == Role::kServer && TypeOf(p) == PacketType::kConnect;
    Decoder decoder({role, fresh_server ? Version::kUnknown : v, kMaxPacketSize});
    Packet out;
    const DecodeResult r = decoder.Decode(wire, &out);
    ASSERT_EQ(r.status, DecodeStatus::kPacket) << decoder.error().rule;
    EXPECT_EQ(r.consumed, wire.size());
    EXPECT_EQ(out, p);
    // And again from the decoded packet: the same bytes.
    std::string again;
    ASSERT_TRUE(AppendPacket(again, v, out));
    EXPECT_EQ(again, wire);
  }
}

std::vector<Packet> EveryPacketV5() {
  std::vector<Packet> all;
  Connect c;
  c.clean_start = false;
  c.keep_alive = 600;
  c.client_id = "client";
  c.username = "name";
  c.password = std::string_view("\x00\x01\x02", 3);
  c.properties = {0xFFFFFFFF, 1, 256, 65535, 0, 1, "method", "data", kUsers};
  all.push_back(c);
  c.will = Will{
      "last/will", std::string_view("\x00", 1), Qos::kAtLeastOnce, true, {10, 0, 20, "ct", "resp/t", "corr", kUsers}};
  all.push_back(c);
  all.push_back(Connect{});  // the least a 5.0 client may send

  Connack ack{true};
  ack.properties = {1, 2, 0, 1, 3, "id", 4, "reason", 0, 1, 0, 5, "info", "ref", "m", "d", kUsers};
  all.push_back(ack);
  all.push_back(Connack{false, ReasonCode::kQuotaExceeded});

  Publish p;
  p.topic = "t/1";
  p.payload = "payload";
  all.push_back(p);
  p.qos = Qos::kAtLeastOnce;
  p.packet_id = 1;
  p.dup = true;
  p.properties = {1, 60, 3, "resp", "corr", "json", kUsers, {}};
  all.push_back(p);
  p.qos = Qos::kExactlyOnce;
  p.packet_id = 65535;
  p.retain = true;
  p.topic = "";
  p.properties.subscription_identifiers = kSubIds;
  all.push_back(p);

  for (const PacketType t : {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
    all.push_back(PubAck{t, 1});
    const ReasonCode r = t == PacketType::kPubrel || t == PacketType::kPubcomp ? ReasonCode::kPacketIdentifierNotFound
                                                                               : ReasonCode::kPayloadFormatInvalid;
    all.push_back(PubAck{t, 2, r});
    all.push_back(PubAck{t, 3, ReasonCode::kSuccess, {"fine", kUsers}});
    all.push_back(PubAck{t, 4, r, {std::nullopt, kUsers}});
  }
  all.push_back(Subscribe{7, {}, kSubs});
  all.push_back(Subscribe{8, {42, kUsers}, kSubs});
  all.push_back(Suback{7, {}, kSubackCodes5});
  all.push_back(Suback{8, {"partial", kUsers}, kSubackCodes5});
  all.push_back(Unsubscribe{9, {kUsers}, kFilters});
  all.push_back(Unsuback{9, {"r", kUsers}, kUnsubackCodes});
  all.push_back(PingReq{});
  all.push_back(PingResp{});
  all.push_back(Disconnect{});
  all.push_back(Disconnect{ReasonCode::kReceiveMaximumExceeded});
  all.push_back(Disconnect{ReasonCode::kSuccess, {30, "r", std::nullopt, kUsers}});
  all.push_back(Disconnect{ReasonCode::kUseAnotherServer, {std::nullopt, "r", "other", kUsers}});
  all.push_back(Auth{});
  all.push_back(Auth{ReasonCode::kContinueAuthentication, {"SCRAM-SHA-1", "data", "r", kUsers}});
  return all;
}

std::vector<Packet> EveryPacketV3(Version v) {
  std::vector<Packet> all;
  Connect c;
  c.version = v;
  c.clean_start = v == kV311;  // 3.1.1 refuses an empty id without it
  c.keep_alive = 60;
  c.client_id = "client";
  all.push_back(c);
  c.will = Will{"last/will", "bye", Qos::kExactlyOnce, true};
  c.username = "name";
  c.password = "secret";
  all.push_back(c);
  all.push_back(Connack{true});
  all.push_back(Connack{false, ReasonCode::kNotAuthorized});
  Publish p;
  p.topic = "t/1";
  p.payload = std::string_view("\x00\xff", 2);
  all.push_back(p);
  p.qos = Qos::kExactlyOnce;
  p.packet_id = 300;
  p.dup = true;
  p.retain = true;
  all.push_back(p);
  for (const PacketType t : {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel, PacketType::kPubcomp}) {
    all.push_back(PubAck{t, 17});
  }
  static const Subscription kPlain[] = {{"a/b", Qos::kAtMostOnce}, {"c/#", Qos::kExactlyOnce}};
  all.push_back(Subscribe{1, {}, kPlain});
  all.push_back(Suback{1, {}, kSubackCodes3});
  all.push_back(Unsubscribe{2, {}, kFilters});
  all.push_back(Unsuback{2});
  all.push_back(PingReq{});
  all.push_back(PingResp{});
  all.push_back(Disconnect{});
  return all;
}

TEST(RoundTripTest, EveryPacketV5) {
  for (const Packet& p : EveryPacketV5()) ExpectRoundTrip(kV5, p);
}

TEST(RoundTripTest, EveryPacketV311) {
  for (const Packet& p : EveryPacketV3(kV311)) ExpectRoundTrip(kV311, p);
}

TEST(RoundTripTest, EveryPacketV31) {
  for (const Packet& p : EveryPacketV3(kV31)) ExpectRoundTrip(kV31, p);
}

// All of them in one stream, fed every way.
TEST(RoundTripTest, TranscriptsEverySplit) {
  for (const Version v : {kV5, kV311}) {
    std::string to_server;
    std::string to_client;
    for (const Packet& p : v == kV5 ? EveryPacketV5() : EveryPacketV3(v)) {
      const std::vector<Role> roles = Receivers(v, p);
      const PacketType type = TypeOf(p);
      if (type == PacketType::kConnect) {
        if (!to_server.empty()) continue;  // one CONNECT per connection
      }
      if (roles[0] == Role::kServer) {
        ASSERT_TRUE(AppendPacket(to_server, v, p));
      }
      if (roles.back() == Role::kClient) {
        ASSERT_TRUE(AppendPacket(to_client, v, p));
      }
    }
    const testing::Outcome server = testing::FeedWhole(to_server, testing::Server());
    EXPECT_FALSE(server.failed) << server;
    testing::ExpectSplitInvariant(to_server, testing::Server());
    const testing::Outcome client = testing::FeedWhole(to_client, testing::Client(v));
    EXPECT_FALSE(client.failed) << client;
    testing::ExpectSplitInvariant(to_client, testing::Client(v));
  }
}

TEST(FitTest, FitsAndTrimToFit) {
  static const StringPair kBig[] = {{"key", std::string_view("0123456789012345678901234567890123456789")}};
  PubAck ack{PacketType::kPuback, 1, ReasonCode::kNotAuthorized, {"you may not publish there", kBig}};
  Packet p = ack;
  const size_t full = EncodedSize(kV5, p);
  EXPECT_EQ(full, 2 + 2 + 1 + 1 + (3 + 25) + (5 + 3 + 40));
  EXPECT_TRUE(Fits(kV5, p, 0));  // no limit announced
  EXPECT_TRUE(Fits(kV5, p, static_cast<uint32_t>(full)));
  EXPECT_FALSE(Fits(kV5, p, static_cast<uint32_t>(full - 1)));

  // Enough room without the reason string: only it goes.
  Packet a = p;
  EXPECT_TRUE(TrimToFit(kV5, &a, static_cast<uint32_t>(full - 28)));
  EXPECT_FALSE(std::get<PubAck>(a).properties.reason_string);
  EXPECT_EQ(std::get<PubAck>(a).properties.user_properties.size(), 1u);
  // Less: the user properties go too, and the short form is left.
  Packet b = p;
  EXPECT_TRUE(TrimToFit(kV5, &b, 5));
  EXPECT_EQ(std::get<PubAck>(b), (PubAck{PacketType::kPuback, 1, ReasonCode::kNotAuthorized}));
  EXPECT_EQ(EncodedSize(kV5, b), 5u);
  // Nothing left to drop.
  Packet c = p;
  EXPECT_FALSE(TrimToFit(kV5, &c, 4));
  // A packet that fits is left alone.
  Packet d = p;
  EXPECT_TRUE(TrimToFit(kV5, &d, 1000));
  EXPECT_EQ(d, p);

  // The other packets with a reason string.
  std::vector<Packet> others = {Connack{false, ReasonCode::kBanned, {}}, Suback{1, {"why", kBig}, kSubackCodes5},
                                Unsuback{1, {"why", kBig}, kUnsubackCodes},
                                Disconnect{ReasonCode::kServerShuttingDown, {std::nullopt, "why", "ref", kBig}},
                                Auth{ReasonCode::kContinueAuthentication, {"m", std::nullopt, "why", kBig}}};
  std::get<Connack>(others[0]).properties.reason_string = "why";
  std::get<Connack>(others[0]).properties.user_properties = kBig;
  for (Packet& o : others) {
    SCOPED_TRACE(Describe(o));
    const size_t before = EncodedSize(kV5, o);
    ASSERT_TRUE(TrimToFit(kV5, &o, static_cast<uint32_t>(before - 48)));
    EXPECT_LE(EncodedSize(kV5, o), before - 48);
    std::visit(
        [](const auto& x) {
          if constexpr (requires { x.properties.reason_string; }) {
            EXPECT_FALSE(x.properties.reason_string);
            EXPECT_TRUE(x.properties.user_properties.empty());
          }
        },
        o);
  }

  // PUBLISH: its user properties belong to the message; it fits or not.
  Publish pub;
  pub.topic = "t";
  pub.properties.user_properties = kBig;
  Packet q = pub;
  const size_t size = EncodedSize(kV5, q);
  EXPECT_FALSE(TrimToFit(kV5, &q, static_cast<uint32_t>(size - 1)));
  EXPECT_EQ(q, Packet(pub));
  // 3.1.1 has nothing optional.
  Packet old = PubAck{PacketType::kPuback, 1};
  EXPECT_FALSE(TrimToFit(kV311, &old, 3));
  EXPECT_TRUE(TrimToFit(kV311, &old, 4));
}

// The largest packets a peer can be sent under a limit, across the
// Remaining Length's size steps.
TEST(FitTest, AcrossRemainingLengthSizes) {
  for (const size_t payload : {size_t{0}, size_t{120}, size_t{121}, size_t{16'375}, size_t{16'376}, size_t{70'000}}) {
    Publish p;
    p.topic = "abc";
    const std::string body(payload, 'x');
    p.payload = body;
    std::string wire;
    ASSERT_TRUE(AppendPublish(wire, kV5, p));
    EXPECT_EQ(EncodedSize(kV5, p), wire.size());
    EXPECT_EQ(PublishSize(kV5, p, payload), wire.size());
    EXPECT_TRUE(Fits(kV5, p, static_cast<uint32_t>(wire.size())));
    EXPECT_FALSE(Fits(kV5, p, static_cast<uint32_t>(wire.size() - 1)));
  }
}

}  // namespace
}  // namespace tern::proto::mqtt
