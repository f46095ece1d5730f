// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK from bytes written by hand, and
// the rules on filters and subscription options.
#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Client;
using testing::Decoded;
using testing::DecodeOne;
using testing::ExpectError;
using testing::ExpectSplitInvariant;
using testing::Frame;
using testing::Hex;
using testing::Server;
using testing::Str;

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;
constexpr ReasonCode kFilterInvalid = ReasonCode::kTopicFilterInvalid;
constexpr ErrorAction kClose = ErrorAction::kClose;
constexpr ErrorAction kDisconnect = ErrorAction::kSendDisconnect;

TEST(SubscribeTest, V311) {
  // 3.8.3's example payload: "a/b" QoS 1, "c/d" QoS 2.
  const std::string bytes = Frame(0x82, Hex("00 0a") + Str("a/b") + Hex("01") + Str("c/d") + Hex("02"));
  Decoded d = DecodeOne(bytes, Server(kV311));
  const Subscribe& s = std::get<Subscribe>(d.packet);
  EXPECT_EQ(s.packet_id, 10);
  EXPECT_EQ(s.subscriptions.ToVector(),
            (std::vector<Subscription>{{"a/b", Qos::kAtLeastOnce}, {"c/d", Qos::kExactlyOnce}}));
  ExpectSplitInvariant(bytes, Server(kV311));
  // Before 5.0 only the QoS bits exist.
  ExpectError(Frame(0x82, Hex("00 0a") + Str("a") + Hex("04")), Server(kV311), kMalformed, kClose);
  ExpectError(Frame(0x82, Hex("00 0a") + Str("a") + Hex("03")), Server(kV311), kMalformed, kClose);
}

TEST(SubscribeTest, V5Options) {
  // No Local + Retain As Published + Retain Handling 1, QoS 1; then 2 / QoS 0.
  const std::string bytes =
      Frame(0x82, Hex("00 01") + Hex("02 0b 05") + Str("a/+") + Hex("1d") + Str("$share/g/b") + Hex("20"));
  Decoded d = DecodeOne(bytes, Server(kV5));
  const Subscribe& s = std::get<Subscribe>(d.packet);
  EXPECT_EQ(s.properties.subscription_identifier, 5u);
  const std::vector<Subscription> want = {{"a/+", Qos::kAtLeastOnce, true, true, RetainHandling::kSendIfNew},
                                          {"$share/g/b", Qos::kAtMostOnce, false, false, RetainHandling::kDoNotSend}};
  EXPECT_EQ(s.subscriptions.ToVector(), want);
  ExpectSplitInvariant(bytes, Server(kV5));
}

TEST(SubscribeTest, Refusals) {
  struct Case {
    const char* what;
    std::string body;
    Version v;
    ReasonCode reason;
  };
  const std::string id = Hex("00 01");
  const Case cases[] = {
      {"no filter", id, kV311, kProtocol},
      {"no filter, 5.0", id + Hex("00"), kV5, kProtocol},
      {"packet id 0", Hex("00 00") + Str("a") + Hex("00"), kV311, kProtocol},
      {"QoS 3", id + Hex("00") + Str("a") + Hex("03"), kV5, kMalformed},
      {"reserved option bits", id + Hex("00") + Str("a") + Hex("40"), kV5, kMalformed},
      {"Retain Handling 3", id + Hex("00") + Str("a") + Hex("30"), kV5, kProtocol},
      {"no options byte", id + Str("a"), kV311, kMalformed},
      {"# not last", id + Str("a/#/b") + Hex("00"), kV311, kFilterInvalid},
      {"+ inside a level", id + Hex("00") + Str("a+") + Hex("00"), kV5, kFilterInvalid},
      {"empty filter", id + Str("") + Hex("00"), kV311, kFilterInvalid},
      {"filter not UTF-8", id + Str("\xc3") + Hex("00"), kV311, kMalformed},
      {"$share without a filter", id + Str("$share/g") + Hex("00"), kV311, kFilterInvalid},
      {"$share with an empty group", id + Hex("00") + Str("$share//a") + Hex("00"), kV5, kFilterInvalid},
      {"$share group with a wildcard", id + Hex("00") + Str("$share/g+/a") + Hex("00"), kV5, kFilterInvalid},
      {"No Local on a shared subscription", id + Hex("00") + Str("$share/g/a") + Hex("04"), kV5, kProtocol},
      {"Subscription Identifier 0", id + Hex("02 0b 00") + Str("a") + Hex("00"), kV5, kProtocol},
      {"Subscription Identifier twice", id + Hex("04 0b 01 0b 02") + Str("a") + Hex("00"), kV5, kProtocol},
      {"Reason String in SUBSCRIBE", id + Hex("04 1f 00 01 61") + Str("a") + Hex("00"), kV5, kProtocol},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string bytes = Frame(0x82, c.body);
    ExpectError(bytes, Server(c.v), c.reason, c.v == kV5 ? kDisconnect : kClose);
    ExpectSplitInvariant(bytes, Server(c.v));
  }
}

TEST(SubackTest, Forms) {
  Decoded d = DecodeOne(Hex("90 06 00 07 00 01 02 80"), Client(kV311));
  const std::vector<ReasonCode> granted = {ReasonCode::kGrantedQos0, ReasonCode::kGrantedQos1, ReasonCode::kGrantedQos2,
                                           ReasonCode::kUnspecifiedError};
  EXPECT_EQ(std::get<Suback>(d.packet).reasons.ToVector(), granted);
  ExpectError(Hex("90 03 00 07 03"), Client(kV311), kMalformed, kClose);  // 3.1.1 has no other codes
  ExpectError(Hex("90 02 00 07"), Client(kV311), kProtocol, kClose);

  d = DecodeOne(Hex("90 0a 00 07 04 1f 00 01 78 01 a2 9e"), Client(kV5));
  const Suback& s = std::get<Suback>(d.packet);
  EXPECT_EQ(s.properties.reason_string, "x");
  EXPECT_EQ(s.reasons.ToVector(),
            (std::vector<ReasonCode>{ReasonCode::kGrantedQos1, ReasonCode::kWildcardSubscriptionsNotSupported,
                                     ReasonCode::kSharedSubscriptionsNotSupported}));
  ExpectError(Hex("90 04 00 07 00 11"), Client(kV5), kProtocol, kDisconnect);  // UNSUBACK's code
  ExpectError(Hex("90 03 00 07 00"), Client(kV5), kProtocol, kDisconnect);
}

TEST(UnsubscribeTest, Forms) {
  const std::string v311 = Frame(0xa2, Hex("00 02") + Str("a/b") + Str("c/#"));
  Decoded d = DecodeOne(v311, Server(kV311));
  EXPECT_EQ(std::get<Unsubscribe>(d.packet).packet_id, 2);
  EXPECT_EQ(std::get<Unsubscribe>(d.packet).filters.ToVector(), (std::vector<std::string_view>{"a/b", "c/#"}));
  ExpectSplitInvariant(v311, Server(kV311));

  const std::string v5 = Frame(0xa2, Hex("00 02 07 26 00 01 6b 00 01 76") + Str("$share/g/a"));
  d = DecodeOne(v5, Server(kV5));
  const Unsubscribe& u = std::get<Unsubscribe>(d.packet);
  EXPECT_EQ(u.properties.user_properties.ToVector(), (std::vector<StringPair>{{"k", "v"}}));
  EXPECT_EQ(u.filters.ToVector(), (std::vector<std::string_view>{"$share/g/a"}));

  ExpectError(Frame(0xa2, Hex("00 02")), Server(kV311), kProtocol, kClose);
  ExpectError(Frame(0xa2, Hex("00 02 00")), Server(kV5), kProtocol, kDisconnect);
  ExpectError(Frame(0xa2, Hex("00 02") + Str("a#")), Server(kV311), kFilterInvalid, kClose);
  ExpectError(Frame(0xa2, Hex("00 00") + Str("a")), Server(kV311), kProtocol, kClose);
  ExpectError(Frame(0xa2, Hex("00 02 02 0b 01") + Str("a")), Server(kV5), kProtocol, kDisconnect);
}

TEST(UnsubackTest, Forms) {
  Decoded d = DecodeOne(Hex("b0 02 00 09"), Client(kV311));
  EXPECT_EQ(std::get<Unsuback>(d.packet), (Unsuback{9}));
  d = DecodeOne(Hex("b0 05 00 09 00 00 11"), Client(kV5));
  EXPECT_EQ(std::get<Unsuback>(d.packet).reasons.ToVector(),
            (std::vector<ReasonCode>{ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted}));
  ExpectError(Hex("b0 04 00 09 00 01"), Client(kV5), kProtocol, kDisconnect);  // Granted QoS 1 is SUBACK's
  ExpectError(Hex("b0 03 00 09 00"), Client(kV5), kProtocol, kDisconnect);
}

}  // namespace
}  // namespace tern::proto::mqtt
