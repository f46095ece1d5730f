// PINGREQ, PINGRESP, DISCONNECT and AUTH, and the rules on reason codes
// and on which side may send what.
#include <gtest/gtest.h>

#include "proto/mqtt/test_util.h"

namespace tern::proto::mqtt {
namespace {

using testing::Client;
using testing::ExpectError;
using testing::ExpectSplitInvariant;
using testing::FeedWhole;
using testing::Hex;
using testing::Server;

constexpr Version kV5 = Version::kV5;
constexpr Version kV311 = Version::kV311;
constexpr ReasonCode kMalformed = ReasonCode::kMalformedPacket;
constexpr ReasonCode kProtocol = ReasonCode::kProtocolError;
constexpr ErrorAction kClose = ErrorAction::kClose;
constexpr ErrorAction kDisconnect = ErrorAction::kSendDisconnect;

using Packets = std::vector<std::string>;

TEST(PingTest, BothVersions) {
  for (const Version v : {kV311, kV5}) {
    EXPECT_EQ(FeedWhole(Hex("c0 00 c0 00"), Server(v)).packets, (Packets{"PINGREQ", "PINGREQ"}));
    EXPECT_EQ(FeedWhole(Hex("d0 00"), Client(v)).packets, Packets{"PINGRESP"});
  }
}

TEST(DisconnectTest, V311) {
  EXPECT_EQ(FeedWhole(Hex("e0 00"), Server(kV311)).packets, Packets{"DISCONNECT reason=0x00"});
  ExpectError(Hex("e1 00"), Server(kV311), kMalformed, kClose);
}

TEST(DisconnectTest, V5Forms) {
  EXPECT_EQ(FeedWhole(Hex("e0 00"), Server(kV5)).packets, Packets{"DISCONNECT reason=0x00"});
  EXPECT_EQ(FeedWhole(Hex("e0 01 04"), Server(kV5)).packets, Packets{"DISCONNECT reason=0x04"});
  EXPECT_EQ(FeedWhole(Hex("e0 02 00 00"), Server(kV5)).packets, Packets{"DISCONNECT reason=0x00"});
  const std::string full = Hex("e0 0c 00 0a 11 00 00 00 3c 1f 00 02 6f 6b");
  EXPECT_EQ(FeedWhole(full, Server(kV5)).packets,
            Packets{"DISCONNECT reason=0x00 session_expiry=60 reason_string=\"ok\""});
  ExpectSplitInvariant(full, Server(kV5));
  const std::string moved = Hex("e0 0b 9d 09 1c 00 06 6f 74 68 65 72 31");
  EXPECT_EQ(FeedWhole(moved, Client(kV5)).packets, Packets{"DISCONNECT reason=0x9d server_reference=\"other1\""});
  // A server must not send a Session Expiry Interval (MQTT-3.14.2-2).
  ExpectError(full, Client(kV5), kProtocol, kDisconnect);
  ExpectError(Hex("e0 01 84"), Server(kV5), kProtocol, kDisconnect);  // a CONNACK-only code
  ExpectError(Hex("e0 03 00 00 00"), Server(kV5), kMalformed, kDisconnect);
  ExpectError(Hex("e0 04 00 02 23 00"), Server(kV5), kProtocol, kDisconnect);
}

TEST(AuthTest, Forms) {
  EXPECT_EQ(FeedWhole(Hex("f0 00"), Client(kV5)).packets, Packets{"AUTH reason=0x00"});
  const std::string cont = Hex("f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 01 02");
  EXPECT_EQ(FeedWhole(cont, Server(kV5)).packets,
            Packets{"AUTH reason=0x18 auth_method=\"SCRAM\" auth_data=\"\\x01\\x02\""});
  ExpectSplitInvariant(cont, Server(kV5));
  EXPECT_EQ(FeedWhole(Hex("f0 01 19"), Client(kV5)).packets, Packets{"AUTH reason=0x19"});
  ExpectError(Hex("f0 01 80"), Server(kV5), kProtocol, kDisconnect);
  ExpectError(Hex("f0 04 18 02 01 01"), Server(kV5), kProtocol, kDisconnect);  // Payload Format in AUTH
  ExpectError(Hex("f1 00"), Server(kV5), kMalformed, kDisconnect);
}

}  // namespace
}  // namespace tern::proto::mqtt
