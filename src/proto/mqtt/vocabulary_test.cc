// The tables of section 2: reason codes, properties, and the Variable Byte
// Integer.
#include <gtest/gtest.h>

#include <set>

#include "proto/mqtt/properties.h"
#include "proto/mqtt/reader.h"
#include "proto/mqtt/reason_code.h"
#include "proto/mqtt/varint.h"

namespace tern::proto::mqtt {
namespace {

TEST(ReasonCodeTest, EveryCodeHasANameAndAPacket) {
  const int known[] = {0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                       0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
                       0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
  const std::set<int> set(std::begin(known), std::end(known));
  EXPECT_EQ(set.size(), 43u);
  for (int b = 0; b < 256; ++b) {
    const auto code = static_cast<ReasonCode>(b);
    EXPECT_EQ(IsKnownReason(static_cast<uint8_t>(b)), set.count(b) == 1) << b;
    if (set.count(b) == 0) {
      EXPECT_EQ(ReasonName(code), "Unknown");
      continue;
    }
    EXPECT_NE(ReasonName(code), "Unknown") << b;
    bool somewhere = false;
    for (int t = 1; t <= 15; ++t) somewhere |= IsValidReasonFor(code, static_cast<PacketType>(t));
    EXPECT_TRUE(somewhere) << b;
    EXPECT_EQ(IsError(code), b >= 0x80);
  }
  EXPECT_EQ(ReasonName(ReasonCode::kMalformedPacket), "Malformed Packet");
  EXPECT_EQ(ReasonName(ReasonCode::kPacketTooLarge), "Packet too large");
}

TEST(PacketTypeTest, Names) {
  const char* names[] = {"RESERVED", "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
                         "PUBREL",   "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
                         "PINGREQ",  "PINGRESP", "DISCONNECT", "AUTH"};
  for (int t = 0; t < 16; ++t) EXPECT_EQ(PacketTypeName(static_cast<PacketType>(t)), names[t]);
}

// Spot checks against the per-packet tables of section 3.
TEST(ReasonCodeTest, PerPacketTables) {
  using R = ReasonCode;
  using T = PacketType;
  EXPECT_TRUE(IsValidReasonFor(R::kUnsupportedProtocolVersion, T::kConnack));
  EXPECT_FALSE(IsValidReasonFor(R::kUnsupportedProtocolVersion, T::kDisconnect));
  EXPECT_TRUE(IsValidReasonFor(R::kNoMatchingSubscribers, T::kPuback));
  EXPECT_TRUE(IsValidReasonFor(R::kNoMatchingSubscribers, T::kPubrec));
  EXPECT_FALSE(IsValidReasonFor(R::kNoMatchingSubscribers, T::kPubcomp));
  EXPECT_TRUE(IsValidReasonFor(R::kPacketIdentifierNotFound, T::kPubrel));
  EXPECT_TRUE(IsValidReasonFor(R::kPacketIdentifierNotFound, T::kPubcomp));
  EXPECT_FALSE(IsValidReasonFor(R::kUnspecifiedError, T::kPubrel));
  EXPECT_TRUE(IsValidReasonFor(R::kGrantedQos2, T::kSuback));
  EXPECT_FALSE(IsValidReasonFor(R::kGrantedQos2, T::kUnsuback));
  EXPECT_TRUE(IsValidReasonFor(R::kNoSubscriptionExisted, T::kUnsuback));
  EXPECT_TRUE(IsValidReasonFor(R::kDisconnectWithWillMessage, T::kDisconnect));
  EXPECT_TRUE(IsValidReasonFor(R::kReAuthenticate, T::kAuth));
  EXPECT_FALSE(IsValidReasonFor(R::kUnspecifiedError, T::kAuth));
  EXPECT_TRUE(IsValidReasonFor(R::kTopicAliasInvalid, T::kDisconnect));
  EXPECT_TRUE(IsValidReasonFor(R::kPacketTooLarge, T::kConnack));
  EXPECT_TRUE(IsValidReasonFor(R::kPacketTooLarge, T::kDisconnect));
  for (const T t : {T::kConnect, T::kPublish, T::kSubscribe, T::kUnsubscribe, T::kPingreq, T::kPingresp}) {
    EXPECT_FALSE(IsValidReasonFor(R::kSuccess, t));
  }
}

TEST(ReasonCodeTest, ConnackReturnCodes) {
  using R = ReasonCode;
  using C = ConnackReturnCode;
  const std::pair<R, C> exact[] = {{R::kSuccess, C::kAccepted},
                                   {R::kUnsupportedProtocolVersion, C::kUnacceptableProtocolVersion},
                                   {R::kClientIdentifierNotValid, C::kIdentifierRejected},
                                   {R::kServerUnavailable, C::kServerUnavailable},
                                   {R::kBadUserNameOrPassword, C::kBadUserNameOrPassword},
                                   {R::kNotAuthorized, C::kNotAuthorized}};
  for (const auto& [reason, rc] : exact) {
    EXPECT_EQ(ToConnackReturnCode(reason), rc);
    EXPECT_EQ(FromConnackReturnCode(static_cast<uint8_t>(rc)), reason);
  }
  EXPECT_EQ(ToConnackReturnCode(R::kBanned), C::kNotAuthorized);
  EXPECT_EQ(ToConnackReturnCode(R::kServerBusy), C::kServerUnavailable);
  EXPECT_EQ(ToConnackReturnCode(R::kMalformedPacket), C::kServerUnavailable);
  for (int b = 6; b < 256; ++b) EXPECT_FALSE(FromConnackReturnCode(static_cast<uint8_t>(b))) << b;
  EXPECT_EQ(ToSubackReturnCode(R::kGrantedQos1), 1);
  EXPECT_EQ(ToSubackReturnCode(R::kQuotaExceeded), 0x80);
}

// Table 2-4, one row per property: identifier, type, and where it may go.
TEST(PropertiesTest, TableMatchesTheSpec) {
  using S = PropertyScope;
  using T = PropertyType;
  struct Row {
    int id;
    T type;
    std::vector<S> scopes;
  };
  const S kAck[] = {S::kPuback, S::kPubrec, S::kPubrel, S::kPubcomp, S::kSuback, S::kUnsuback};
  std::vector<S> reason_string = {S::kConnack, S::kDisconnect, S::kAuth};
  reason_string.insert(reason_string.end(), std::begin(kAck), std::end(kAck));
  std::vector<S> everywhere = {S::kWill,      S::kConnect,     S::kConnack,    S::kPublish,
                               S::kSubscribe, S::kUnsubscribe, S::kDisconnect, S::kAuth};
  everywhere.insert(everywhere.end(), std::begin(kAck), std::end(kAck));
  const Row rows[] = {
      {0x01, T::kByte, {S::kPublish, S::kWill}},
      {0x02, T::kFourByteInteger, {S::kPublish, S::kWill}},
      {0x03, T::kUtf8String, {S::kPublish, S::kWill}},
      {0x08, T::kUtf8String, {S::kPublish, S::kWill}},
      {0x09, T::kBinaryData, {S::kPublish, S::kWill}},
      {0x0B, T::kVariableByteInteger, {S::kPublish, S::kSubscribe}},
      {0x11, T::kFourByteInteger, {S::kConnect, S::kConnack, S::kDisconnect}},
      {0x12, T::kUtf8String, {S::kConnack}},
      {0x13, T::kTwoByteInteger, {S::kConnack}},
      {0x15, T::kUtf8String, {S::kConnect, S::kConnack, S::kAuth}},
      {0x16, T::kBinaryData, {S::kConnect, S::kConnack, S::kAuth}},
      {0x17, T::kByte, {S::kConnect}},
      {0x18, T::kFourByteInteger, {S::kWill}},
      {0x19, T::kByte, {S::kConnect}},
      {0x1A, T::kUtf8String, {S::kConnack}},
      {0x1C, T::kUtf8String, {S::kConnack, S::kDisconnect}},
      {0x1F, T::kUtf8String, reason_string},
      {0x21, T::kTwoByteInteger, {S::kConnect, S::kConnack}},
      {0x22, T::kTwoByteInteger, {S::kConnect, S::kConnack}},
      {0x23, T::kTwoByteInteger, {S::kPublish}},
      {0x24, T::kByte, {S::kConnack}},
      {0x25, T::kByte, {S::kConnack}},
      {0x26, T::kUtf8StringPair, everywhere},
      {0x27, T::kFourByteInteger, {S::kConnect, S::kConnack}},
      {0x28, T::kByte, {S::kConnack}},
      {0x29, T::kByte, {S::kConnack}},
      {0x2A, T::kByte, {S::kConnack}},
  };
  EXPECT_EQ(AllProperties().size(), std::size(rows));
  std::set<int> ids;
  for (const Row& row : rows) {
    ids.insert(row.id);
    const PropertyInfo* info = FindProperty(static_cast<uint32_t>(row.id));
    ASSERT_NE(info, nullptr) << row.id;
    EXPECT_EQ(static_cast<int>(info->id), row.id);
    EXPECT_EQ(info->type, row.type) << row.id;
    EXPECT_FALSE(info->name.empty());
    uint16_t want = 0;
    for (const S s : row.scopes) want |= ScopeBit(s);
    EXPECT_EQ(info->scopes, want) << info->name;
  }
  for (uint32_t id = 0; id < 300; ++id) EXPECT_EQ(FindProperty(id) != nullptr, ids.count(static_cast<int>(id)) == 1);
}

TEST(PropertiesTest, WhatMayRepeat) {
  for (const PropertyInfo& info : AllProperties()) {
    if (info.id == PropertyId::kUserProperty) {
      EXPECT_EQ(info.repeatable, info.scopes);
    } else if (info.id == PropertyId::kSubscriptionIdentifier) {
      EXPECT_TRUE(info.RepeatableIn(PropertyScope::kPublish));
      EXPECT_FALSE(info.RepeatableIn(PropertyScope::kSubscribe));
    } else {
      EXPECT_EQ(info.repeatable, 0) << info.name;
    }
  }
}

std::string Encoded(uint32_t v) {
  uint8_t b[4];
  return std::string(reinterpret_cast<const char*>(b), EncodeVarInt(v, b));
}

// Table 1-1: the edges of each size, byte for byte.
TEST(VarIntTest, SpecTable) {
  const std::pair<uint32_t, std::string> rows[] = {
      {0, std::string("\x00", 1)},
      {127, "\x7f"},
      {128, "\x80\x01"},
      {16'383, "\xff\x7f"},
      {16'384, std::string("\x80\x80\x01", 3)},
      {2'097'151, "\xff\xff\x7f"},
      {2'097'152, std::string("\x80\x80\x80\x01", 4)},
      {268'435'455, "\xff\xff\xff\x7f"},
  };
  for (const auto& [value, bytes] : rows) {
    EXPECT_EQ(Encoded(value), bytes) << value;
    EXPECT_EQ(VarIntSize(value), bytes.size()) << value;
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    const VarIntResult r = DecodeVarInt(p, bytes.size());
    EXPECT_EQ(r.status, VarIntStatus::kDone);
    EXPECT_EQ(r.value, value);
    EXPECT_EQ(r.size, bytes.size());
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_EQ(DecodeVarInt(p, n).status, VarIntStatus::kNeedMore);
  }
}

TEST(VarIntTest, FifthByteIsMalformedWithoutWaitingForIt) {
  const uint8_t five[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
  EXPECT_EQ(DecodeVarInt(five, 5).status, VarIntStatus::kMalformed);
  EXPECT_EQ(DecodeVarInt(five, 4).status, VarIntStatus::kMalformed);
  EXPECT_EQ(DecodeVarInt(five, 3).status, VarIntStatus::kNeedMore);
}

TEST(VarIntTest, LongerFormsThanNeededAreRead) {
  const uint8_t zero_in_two[] = {0x80, 0x00};
  const VarIntResult r = DecodeVarInt(zero_in_two, 2);
  EXPECT_EQ(r.status, VarIntStatus::kDone);
  EXPECT_EQ(r.value, 0u);
  EXPECT_EQ(r.size, 2);
}

TEST(VarIntTest, RoundTripsAcrossTheRange) {
  for (uint64_t v = 0; v <= kMaxVarInt; v = v * 3 + 1) {
    const std::string b = Encoded(static_cast<uint32_t>(v));
    const VarIntResult r = DecodeVarInt(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    ASSERT_EQ(r.value, v);
  }
}

// The ASCII fast path against the full check, at every offset and length
// around a word, with the odd byte anywhere in it.
TEST(MqttStringTest, FastPathAgreesWithTheFullCheck) {
  const uint8_t odd[] = {0x00, 0x01, 0x7f, 0x80, 0xc3, 0xff};
  for (size_t len = 0; len <= 20; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (const uint8_t b : odd) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(b);
        const bool full = std::memchr(s.data(), 0, s.size()) == nullptr && IsValidUtf8(s);
        EXPECT_EQ(IsValidMqttString(s), full) << len << " " << at << " " << int{b};
        if (IsPlainAscii(s.data(), s.size())) {
          EXPECT_TRUE(full);
        }
      }
    }
  }
  EXPECT_TRUE(IsValidMqttString("\xc3\xa9"));
  EXPECT_FALSE(IsValidMqttString(std::string_view("\xc3\xa9\0", 3)));
  EXPECT_TRUE(IsValidMqttString(""));
}

}  // namespace
}  // namespace tern::proto::mqtt
