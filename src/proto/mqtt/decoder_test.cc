// The Decoder's framing: the fixed header, Remaining Length, the maximum
// packet size, in-place and split decoding, and transcripts of many packets
// fed at every split point and one byte at a time.
#include "proto/mqtt/decoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Client;
using testing::ExpectError;
using testing::ExpectSplitInvariant;
using testing::FeedSplit;
using testing::FeedWhole;
using testing::Frame;
using testing::Hex;
using testing::Outcome;
using testing::Server;
using testing::Str;

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr Version kV31 = Version::kV31;

std::string Encode(Version v, const Packet& p) {
  std::string out;
  EXPECT_TRUE(AppendPacket(out, v, p));
  return out;
}

// A QoS 0 PUBLISH to "t" whose Remaining Length is exactly `remaining` (>= 4).
std::string PublishWithRemaining(uint32_t remaining, Version v = kV311) {
  std::string body = Str("t");
  if (v == kV5) body += '\0';  // no properties
  body.resize(remaining, 'p');
  return Frame(0x30, body);
}

TEST(DecoderTest, RemainingLengthEdges) {
  // Remaining Length 0: PINGREQ.
  EXPECT_EQ(FeedWhole(Hex("c0 00"), Server(kV5)).packets, std::vector<std::string>{"PINGREQ"});
  for (const uint32_t rl : {127u, 128u, 16'383u, 16'384u, 2'097'151u, 2'097'152u}) {
    const std::string packet = PublishWithRemaining(rl);
    ASSERT_EQ(packet.size(), 1 + VarIntSize(rl) + rl);
    const DecoderOptions options = Server(kV311, kMaxPacketSize);
    Decoder decoder(options);
    Packet out;
    const DecodeResult r = decoder.Decode(packet, &out);
    ASSERT_EQ(r.status, DecodeStatus::kPacket) << rl;
    EXPECT_EQ(r.consumed, packet.size());
    EXPECT_EQ(std::get<Publish>(out).payload.size(), rl - 3);
    // Cut inside and right around the header, and one byte before the end.
    const Outcome whole = FeedWhole(packet, options);
    for (size_t cut = 1; cut <= 1 + VarIntSize(rl) + 2; ++cut) {
      ASSERT_EQ(FeedSplit(packet, {cut}, options), whole) << rl << " cut at " << cut;
    }
    ASSERT_EQ(FeedSplit(packet, {packet.size() - 1}, options), whole);
  }
}

TEST(DecoderTest, LargestRemainingLengthIsReadAndCostsOnlyWhatArrives) {
  // 268,435,455 declared, allowed by the limit, but only 1000 bytes sent.
  Decoder decoder(Server(kV311, kMaxPacketSize));
  std::string start = Hex("30 ff ff ff 7f") + Str("t") + std::string(997, 'x');
  Packet out;
  const DecodeResult r = decoder.Decode(start, &out);
  EXPECT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_EQ(r.consumed, start.size());
  EXPECT_EQ(decoder.buffered(), start.size());
  EXPECT_LE(decoder.heap_bytes(), 2 * 1000u);
}

TEST(DecoderTest, FiveByteRemainingLengthIsMalformed) {
  const std::string bad = Hex("30 ff ff ff ff 7f");
  ExpectError(bad, Server(kV5), ReasonCode::kMalformedPacket, ErrorAction::kSendDisconnect);
  ExpectError(bad, Server(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  ExpectSplitInvariant(bad, Server(kV5));
  // Refused on the fourth byte, without waiting for a fifth.
  Decoder decoder(Server(kV5));
  Packet out;
  EXPECT_EQ(decoder.Decode(Hex("30 ff ff ff ff"), &out).status, DecodeStatus::kError);
}

// The limit is checked on the fixed header: nothing of the body is kept,
// however large the packet says it is.
TEST(DecoderTest, MaxPacketSizeRefusedBeforeBuffering) {
  const uint32_t max = 100;
  const std::string fits = PublishWithRemaining(98, kV5);  // 1 + 1 + 98 = 100
  const std::string too_big = PublishWithRemaining(99, kV5);
  EXPECT_EQ(FeedWhole(fits, Server(kV5, max)).packets.size(), 1u);
  const Outcome o = ExpectError(too_big, Server(kV5, max), ReasonCode::kPacketTooLarge, ErrorAction::kSendDisconnect);
  EXPECT_EQ(o.version, kV5);
  ExpectError(too_big, Server(kV311, max), ReasonCode::kPacketTooLarge, ErrorAction::kClose);
  ExpectSplitInvariant(too_big, Server(kV5, max));

  // A declared 256 MiB packet fails on its first two... five bytes.
  for (const std::string& header : {Hex("30 ff ff ff 7f"), Hex("30 ff ff ff 7f") + "more bytes"}) {
    Decoder decoder(Server(kV5));
    Packet out;
    const DecodeResult r = decoder.Decode(header, &out);
    EXPECT_EQ(r.status, DecodeStatus::kError);
    EXPECT_EQ(decoder.error().reason, ReasonCode::kPacketTooLarge);
    EXPECT_EQ(decoder.buffered(), 0u);
    EXPECT_EQ(decoder.heap_bytes(), 0u);
  }
  // Byte by byte: nothing but the header's bytes is ever held.
  Decoder decoder(Server(kV5));
  const std::string header = Hex("30 ff ff ff 7f");
  for (size_t i = 0; i < header.size(); ++i) {
    Packet out;
    const DecodeResult r = decoder.Decode(header.substr(i, 1), &out);
    EXPECT_EQ(r.status, i + 1 < header.size() ? DecodeStatus::kNeedMore : DecodeStatus::kError);
    EXPECT_LE(decoder.buffered(), 5u);
  }
  EXPECT_EQ(decoder.heap_bytes(), 0u);

  // A CONNECT too large: no version is known yet to answer in.
  Decoder fresh(Server(Version::kUnknown, 16));
  Packet out;
  EXPECT_EQ(fresh.Decode(Hex("10 ff 01"), &out).status, DecodeStatus::kError);
  EXPECT_EQ(fresh.error().action, ErrorAction::kClose);

  // The limit may change once the CONNACK announced it.
  Decoder later(Server(kV5));
  later.set_max_packet_size(max);
  EXPECT_EQ(later.Decode(too_big, &out).status, DecodeStatus::kError);
}

TEST(DecoderTest, FixedHeaderFlags) {
  // Each non-PUBLISH type with every wrong low nibble.
  struct Case {
    uint8_t type;
    uint8_t flags;
    Role role;
  };
  const Case cases[] = {{4, 0, Role::kServer},  {5, 0, Role::kServer},  {6, 2, Role::kServer},  {7, 0, Role::kServer},
                        {8, 2, Role::kServer},  {10, 2, Role::kServer}, {12, 0, Role::kServer}, {14, 0, Role::kServer},
                        {15, 0, Role::kServer}, {2, 0, Role::kClient},  {9, 0, Role::kClient},  {11, 0, Role::kClient},
                        {13, 0, Role::kClient}};
  for (const Case& c : cases) {
    for (uint8_t flags = 0; flags < 16; ++flags) {
      if (flags == c.flags) continue;
      const std::string bytes = Frame(static_cast<uint8_t>(c.type << 4 | flags), Hex("00 01 00"));
      const DecoderOptions options = c.role == Role::kServer ? Server(kV5) : Client(kV5);
      const Outcome o = ExpectError(bytes, options, ReasonCode::kMalformedPacket, ErrorAction::kSendDisconnect);
      EXPECT_EQ(o.rule, "MQTT-2.2.2-2: invalid fixed header flags");
    }
  }
  // PUBLISH with both QoS bits set.
  for (const uint8_t first : {0x36, 0x37, 0x3e, 0x3f}) {
    const Outcome o = ExpectError(Frame(first, Str("t") + Hex("00 01")), Server(kV311), ReasonCode::kMalformedPacket,
                                  ErrorAction::kClose);
    EXPECT_EQ(o.rule, "MQTT-3.3.1-4: PUBLISH with QoS 3");
  }
  // 3.1 set QoS/DUP bits on these; they are let through for 3.1 only.
  const std::string subscribe_31 = Frame(0x8a, Hex("00 01") + Str("a") + Hex("00"));
  EXPECT_EQ(FeedWhole(subscribe_31, Server(kV31)).packets.size(), 1u);
  ExpectError(subscribe_31, Server(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
}

TEST(DecoderTest, ReservedTypes) {
  ExpectError(Hex("00 00"), Server(kV5), ReasonCode::kMalformedPacket, ErrorAction::kSendDisconnect);
  ExpectError(Hex("00 00"), Server(), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  // AUTH is type 15 only from 5.0 on.
  ExpectError(Hex("f0 00"), Server(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  ExpectError(Hex("f0 00"), Client(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  EXPECT_EQ(FeedWhole(Hex("f0 00"), Server(kV5)).packets, std::vector<std::string>{"AUTH reason=0x00"});
}

TEST(DecoderTest, WhoSendsWhat) {
  // A server refuses what only servers send, a client what only clients send.
  for (const std::string& bytes :
       {Hex("20 03 00 00 00"), Hex("90 04 00 01 00 00"), Hex("b0 04 00 01 00 00"), Hex("d0 00")}) {
    const Outcome o = ExpectError(bytes, Server(kV5), ReasonCode::kProtocolError, ErrorAction::kSendDisconnect);
    EXPECT_EQ(o.rule, "2.1.2: a packet only servers send");
  }
  for (const std::string& bytes : {Hex("10 00"), Frame(0x82, Hex("00 01 00") + Str("a") + Hex("00")),
                                   Frame(0xa2, Hex("00 01 00") + Str("a")), Hex("c0 00")}) {
    const Outcome o = ExpectError(bytes, Client(kV5), ReasonCode::kProtocolError, ErrorAction::kSendDisconnect);
    EXPECT_EQ(o.rule, "2.1.2: a packet only clients send");
  }
  // 3.1.1 servers have no DISCONNECT to send.
  ExpectError(Hex("e0 00"), Client(kV311), ReasonCode::kProtocolError, ErrorAction::kClose);
  // A client decoder must know its version.
  ExpectError(Hex("d0 00"), Client(Version::kUnknown), ReasonCode::kProtocolError, ErrorAction::kClose);
}

TEST(DecoderTest, ConnectComesFirstAndOnce) {
  const std::string connect = Frame(0x10, Str("MQTT") + Hex("05 02 00 3c 00") + Str("c"));
  // Anything else first: closed at once, on the first byte.
  for (const std::string& first : {Hex("c0 00"), Frame(0x30, Str("t")), Hex("e0 00")}) {
    const Outcome o = ExpectError(first, Server(), ReasonCode::kProtocolError, ErrorAction::kClose);
    EXPECT_EQ(o.rule, "MQTT-3.1.0-1: first packet is not CONNECT");
  }
  Decoder decoder(Server());
  Packet out;
  EXPECT_EQ(decoder.Decode(Hex("c0"), &out).status, DecodeStatus::kError);

  const Outcome twice = FeedWhole(connect + connect, Server());
  EXPECT_EQ(twice.packets.size(), 1u);
  EXPECT_EQ(twice.reason, ReasonCode::kProtocolError);
  EXPECT_EQ(twice.action, ErrorAction::kSendDisconnect);
  EXPECT_EQ(twice.rule, "MQTT-3.1.0-2: second CONNECT");
  ExpectSplitInvariant(connect + connect, Server());
}

TEST(DecoderTest, FixedLengthsAreCheckedOnTheHeader) {
  for (const std::string& header : {Hex("c0 01"), Hex("c0 7f")}) {
    Decoder decoder(Server(kV5));
    Packet out;
    EXPECT_EQ(decoder.Decode(header, &out).status, DecodeStatus::kError);
    EXPECT_EQ(decoder.error().reason, ReasonCode::kMalformedPacket);
  }
  ExpectError(Hex("d0 01 00"), Client(kV5), ReasonCode::kMalformedPacket, ErrorAction::kSendDisconnect);
  ExpectError(Hex("40 03 00 01 00"), Server(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  ExpectError(Hex("b0 03 00 01 00"), Client(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  ExpectError(Hex("20 03 00 00 00"), Client(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  ExpectError(Hex("e0 01 00"), Server(kV311), ReasonCode::kMalformedPacket, ErrorAction::kClose);
  // 5.0 allows the longer forms.
  EXPECT_FALSE(FeedWhole(Hex("40 03 00 01 10"), Server(kV5)).failed);
}

TEST(DecoderTest, ErrorsAreFinal) {
  Decoder decoder(Server(kV5));
  Packet out;
  EXPECT_EQ(decoder.Decode(Hex("00 00"), &out).status, DecodeStatus::kError);
  const DecodeError first = decoder.error();
  const DecodeResult again = decoder.Decode(Hex("c0 00"), &out);
  EXPECT_EQ(again.status, DecodeStatus::kError);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(decoder.error().rule, first.rule);
}

TEST(DecoderTest, WholePacketsAreDecodedInPlace) {
  const std::string input = Frame(0x30, Str("a/b") + "payload") + Hex("c0 00");
  Decoder decoder(Server(kV311));
  Packet out;
  DecodeResult r = decoder.Decode(input, &out);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  const Publish& p = std::get<Publish>(out);
  EXPECT_EQ(p.topic.data(), input.data() + 4);
  EXPECT_EQ(p.payload.data(), input.data() + 7);
  EXPECT_EQ(p.payload, "payload");
  EXPECT_EQ(decoder.buffered(), 0u);
  r = decoder.Decode(std::string_view(input).substr(r.consumed), &out);
  EXPECT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_TRUE(std::holds_alternative<PingReq>(out));
  r = decoder.Decode({}, &out);
  EXPECT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_EQ(r.consumed, 0u);
}

// A split packet is copied once into the decoder's buffer, which is given
// back once it is done when it grew past a small size.
TEST(DecoderTest, SplitBufferIsReleased) {
  const std::string big = Frame(0x30, Str("t") + std::string(10'000, 'x'));
  Decoder decoder(Server(kV311));
  Packet out;
  DecodeResult r = decoder.Decode(std::string_view(big).substr(0, 100), &out);
  EXPECT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_LE(decoder.heap_bytes(), 2 * 100u);  // grows with what arrived
  r = decoder.Decode(std::string_view(big).substr(100), &out);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(r.consumed, big.size() - 100);
  EXPECT_EQ(std::get<Publish>(out).payload, std::string(10'000, 'x'));
  EXPECT_GE(decoder.heap_bytes(), 10'000u);
  r = decoder.Decode({}, &out);  // the caller's loop ends with this call
  EXPECT_EQ(r.status, DecodeStatus::kNeedMore);
  EXPECT_EQ(decoder.heap_bytes(), 0u);
  EXPECT_EQ(decoder.buffered(), 0u);

  // Small split packets keep a small buffer for the next one, until
  // ShrinkIfIdle().
  const std::string small = Frame(0x30, Str("t") + std::string(100, 'y'));
  r = decoder.Decode(std::string_view(small).substr(0, 10), &out);
  r = decoder.Decode(std::string_view(small).substr(10), &out);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  decoder.Decode({}, &out);
  EXPECT_GT(decoder.heap_bytes(), 0u);
  decoder.ShrinkIfIdle();
  EXPECT_EQ(decoder.heap_bytes(), 0u);

  // Right after a split packet, too (its views end there).
  r = decoder.Decode(std::string_view(small).substr(0, 10), &out);
  r = decoder.Decode(std::string_view(small).substr(10), &out);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(decoder.buffered(), small.size());
  decoder.ShrinkIfIdle();
  EXPECT_EQ(decoder.heap_bytes(), 0u);
  EXPECT_EQ(decoder.buffered(), 0u);
  // In the middle of one, nothing is given back.
  r = decoder.Decode(std::string_view(small).substr(0, 50), &out);
  decoder.ShrinkIfIdle();
  EXPECT_EQ(decoder.buffered(), 50u);
  r = decoder.Decode(std::string_view(small).substr(50), &out);
  ASSERT_EQ(r.status, DecodeStatus::kPacket);
  EXPECT_EQ(std::get<Publish>(out).payload, std::string(100, 'y'));
}

// What a client sends a 5.0 server in one session, every packet type and
// most optional fields.
std::vector<Packet> ClientSession() {
  static const StringPair kUsers[] = {{"k1", "v1"}, {"k2", ""}};
  static const Subscription kSubs[] = {{"a/+/c", Qos::kAtLeastOnce, true, true, RetainHandling::kSendIfNew},
                                       {"$share/g/x/#", Qos::kExactlyOnce, false, false, RetainHandling::kDoNotSend},
                                       {"#", Qos::kAtMostOnce, false, false, RetainHandling::kSendOnSubscribe}};
  static const std::string_view kFilters[] = {"a/+/c", "#"};
  static const std::string kBig(300, 'B');
  std::vector<Packet> s;
  Connect c;
  c.version = kV5;
  c.clean_start = false;
  c.keep_alive = 30;
  c.client_id = "client-1";
  c.will.emplace();
  c.will->topic = "will/t";
  c.will->payload = "gone";
  c.will->qos = Qos::kAtLeastOnce;
  c.will->retain = true;
  c.will->properties.will_delay_interval = 5;
  c.will->properties.user_properties = kUsers;
  c.username = "user";
  c.password = std::string_view("p\0w", 3);
  c.properties.session_expiry_interval = 3600;
  c.properties.receive_maximum = 10;
  c.properties.user_properties = kUsers;
  s.push_back(c);
  Publish p0;
  p0.topic = "a/b";
  p0.payload = "hello";
  s.push_back(p0);
  Publish p1;
  p1.topic = "a/b/c";
  p1.qos = Qos::kAtLeastOnce;
  p1.packet_id = 1;
  p1.retain = true;
  p1.payload = kBig;
  p1.properties.content_type = "text/plain";
  p1.properties.payload_format_indicator = 1;
  p1.properties.topic_alias = 3;
  p1.properties.user_properties = kUsers;
  s.push_back(p1);
  Publish p2;
  p2.qos = Qos::kExactlyOnce;
  p2.packet_id = 2;
  p2.dup = true;
  p2.properties.topic_alias = 3;
  p2.properties.response_topic = "reply/here";
  p2.properties.correlation_data = std::string_view("\x00\x01", 2);
  p2.properties.message_expiry_interval = 60;
  s.push_back(p2);
  s.push_back(PubAck{PacketType::kPuback, 7});
  s.push_back(PubAck{PacketType::kPuback, 8, ReasonCode::kNoMatchingSubscribers});
  s.push_back(PubAck{PacketType::kPubrec, 9, ReasonCode::kSuccess, {"why", {}}});
  s.push_back(PubAck{PacketType::kPubrel, 9});
  s.push_back(PubAck{PacketType::kPubcomp, 10, ReasonCode::kPacketIdentifierNotFound, {std::nullopt, kUsers}});
  Subscribe sub;
  sub.packet_id = 11;
  sub.properties.subscription_identifier = 268'435'455;
  sub.subscriptions = kSubs;
  s.push_back(sub);
  Unsubscribe unsub;
  unsub.packet_id = 12;
  unsub.filters = kFilters;
  s.push_back(unsub);
  s.push_back(PingReq{});
  s.push_back(Auth{ReasonCode::kReAuthenticate, {"SCRAM", std::string_view("\x01\x02", 2), std::nullopt, {}}});
  s.push_back(Disconnect{ReasonCode::kDisconnectWithWillMessage, {0, "bye", std::nullopt, kUsers}});
  return s;
}

std::string Wire(Version v, const std::vector<Packet>& packets) {
  std::string out;
  for (const Packet& p : packets) out += Encode(v, p);
  return out;
}

std::vector<std::string> Described(const std::vector<Packet>& packets) {
  std::vector<std::string> out;
  for (const Packet& p : packets) out.push_back(Describe(p));
  return out;
}

TEST(DecoderTest, ClientTranscriptV5EverySplit) {
  const std::vector<Packet> session = ClientSession();
  const std::string input = Wire(kV5, session);
  const Outcome whole = FeedWhole(input, Server());
  ASSERT_FALSE(whole.failed) << whole;
  EXPECT_EQ(whole.packets, Described(session));
  EXPECT_EQ(whole.consumed, input.size());
  // And what it reads like, for the first few.
  EXPECT_EQ(whole.packets[0],
            "CONNECT v=5 keep_alive=30 id=\"client-1\" will{q=1 retain topic=\"will/t\" payload=\"gone\" "
            "will_delay=5 user=\"k1\":\"v1\" user=\"k2\":\"\"} user=\"user\" password=\"p\\x00w\" "
            "session_expiry=3600 receive_max=10 user=\"k1\":\"v1\" user=\"k2\":\"\"");
  EXPECT_EQ(whole.packets[1], "PUBLISH q=0 topic=\"a/b\" payload=\"hello\"");
  EXPECT_EQ(whole.packets[4], "PUBACK id=7 reason=0x00");
  ExpectSplitInvariant(input, Server());
}

TEST(DecoderTest, ClientTranscriptV311EverySplit) {
  std::vector<Packet> session;
  for (Packet& p : ClientSession()) {
    // 3.1.1 has none of these.
    if (std::holds_alternative<Auth>(p)) continue;
    if (auto* pub = std::get_if<Publish>(&p); pub != nullptr && pub->topic.empty()) continue;
    session.push_back(p);
  }
  std::get<Connect>(session[0]).version = kV311;
  const std::string input = Wire(kV311, session);
  const Outcome whole = FeedWhole(input, Server());
  ASSERT_FALSE(whole.failed) << whole;
  EXPECT_EQ(whole.packets.size(), session.size());
  EXPECT_EQ(whole.packets[0],
            "CONNECT v=4 keep_alive=30 id=\"client-1\" will{q=1 retain topic=\"will/t\" payload=\"gone\"} "
            "user=\"user\" password=\"p\\x00w\"");
  EXPECT_EQ(whole.packets.back(), "DISCONNECT reason=0x00");
  ExpectSplitInvariant(input, Server());
}

TEST(DecoderTest, ServerTranscriptEverySplit) {
  static const StringPair kUsers[] = {{"srv", "1"}};
  static const ReasonCode kGranted[] = {ReasonCode::kGrantedQos1, ReasonCode::kUnspecifiedError,
                                        ReasonCode::kGrantedQos0};
  static const ReasonCode kUnsubbed[] = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted};
  static const uint32_t kSubIds[] = {1, 200, 70'000};
  static const std::string kPayload(200, 'z');
  for (const Version v : {kV5, kV311}) {
    std::vector<Packet> s;
    Connack ack;
    ack.session_present = true;
    ack.properties.assigned_client_identifier = "auto-1";
    ack.properties.topic_alias_maximum = 10;
    s.push_back(ack);
    Publish p;
    p.topic = "x/y";
    p.payload = kPayload;
    p.qos = Qos::kAtLeastOnce;
    p.packet_id = 77;
    p.properties.subscription_identifiers = kSubIds;
    p.properties.user_properties = kUsers;
    s.push_back(p);
    s.push_back(PubAck{PacketType::kPuback, 1});
    s.push_back(PubAck{PacketType::kPubrec, 2});
    s.push_back(PubAck{PacketType::kPubrel, 2});
    s.push_back(PubAck{PacketType::kPubcomp, 2});
    s.push_back(Suback{3, {"partly", {}}, kGranted});
    s.push_back(Unsuback{4, {}, v == kV5 ? List<ReasonCode>(kUnsubbed) : List<ReasonCode>()});
    s.push_back(PingResp{});
    if (v == kV5) s.push_back(Disconnect{ReasonCode::kServerShuttingDown, {std::nullopt, "bye", "other:1883", {}}});
    const std::string input = Wire(v, s);
    const Outcome whole = FeedWhole(input, Client(v));
    ASSERT_FALSE(whole.failed) << whole;
    ASSERT_EQ(whole.packets.size(), s.size());
    if (v == kV5) {
      EXPECT_EQ(whole.packets, Described(s));
    }
    ExpectSplitInvariant(input, Client(v));
  }
}

// The packets before a bad one are decoded whatever the splits, and the
// error is the same.
TEST(DecoderTest, TranscriptEndingInAnErrorEverySplit) {
  std::vector<Packet> session = ClientSession();
  session.resize(4);
  std::string input = Wire(kV5, session);
  input += Frame(0x30, Str("bad/+") + "x");
  const Outcome whole = FeedWhole(input, Server());
  EXPECT_EQ(whole.packets.size(), 4u);
  EXPECT_EQ(whole.reason, ReasonCode::kTopicNameInvalid);
  EXPECT_EQ(whole.action, ErrorAction::kSendDisconnect);
  ExpectSplitInvariant(input, Server());
}

TEST(DecoderTest, RandomChunksOfManyPackets) {
  std::mt19937 rng(1883);
  std::vector<std::string> topics;
  std::vector<std::string> payloads;
  for (int i = 0; i < 300; ++i) {
    topics.push_back("t/" + std::to_string(rng() % 1000));
    payloads.push_back(
        std::string(rng() % 5 == 0 ? 130 + rng() % 20'000 : rng() % 60, static_cast<char>('a' + i % 26)));
  }
  std::string input;
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    Publish p;
    p.topic = topics[i];
    p.payload = payloads[i];
    p.qos = static_cast<Qos>(i % 3);
    p.packet_id = p.qos == Qos::kAtMostOnce ? 0 : static_cast<uint16_t>(i + 1);
    input += Encode(kV311, p);
    want.push_back(Describe(p));
  }
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<size_t> cuts;
    for (size_t at = 0;;) {
      at += 1 + rng() % (trial % 2 == 0 ? 64 : 8192);
      if (at >= input.size()) break;
      cuts.push_back(at);
    }
    const Outcome o = FeedSplit(input, cuts, Server(kV311));
    ASSERT_FALSE(o.failed) << o;
    ASSERT_EQ(o.packets, want) << "trial " << trial;
  }
}

TEST(DecoderTest, IdleSize) {
  // What one idle connection's decoder costs: no heap, and this.
  EXPECT_LE(sizeof(Decoder), 96u);
  Decoder decoder(Server());
  EXPECT_EQ(decoder.heap_bytes(), 0u);
}

}  // namespace
}  // namespace tern::proto::mqtt
