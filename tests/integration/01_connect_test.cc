// Connecting: the INFO a client reads first, the CONNECT options it sends,
// and PING/PONG in both directions.
#include <string>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;

class ConnectTest : public ServerTest {};

TEST_P(ConnectTest, InfoHasTheFieldsClientsRead) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  nlohmann::json info = c.InfoJson();
  ASSERT_TRUE(info.is_object()) << c.info_line();

  ASSERT_TRUE(info["server_id"].is_string()) << c.info_line();
  EXPECT_FALSE(info["server_id"].get<std::string>().empty());
  ASSERT_TRUE(info["server_name"].is_string()) << c.info_line();
  EXPECT_FALSE(info["server_name"].get<std::string>().empty());
  ASSERT_TRUE(info["version"].is_string()) << c.info_line();
  EXPECT_FALSE(info["version"].get<std::string>().empty());
  EXPECT_EQ(info["proto"], 1) << c.info_line();
  EXPECT_EQ(info["host"], "127.0.0.1") << c.info_line();
  // Every listener advertises the client listener (nats-server copies one
  // INFO for all): over WebSocket that is not the port the client dialled.
  EXPECT_EQ(info["port"], port()) << c.info_line();
  // Only the TLS client listener requires TLS; wss:// clients got theirs
  // from the transport and are not told to start another.
  EXPECT_EQ(info.value("tls_required", false), transport() == Transport::kTls) << c.info_line();
  EXPECT_FALSE(info.value("tls_verify", false)) << c.info_line();
  EXPECT_EQ(info["headers"], true) << c.info_line();
  EXPECT_EQ(info["max_payload"], 1048576) << c.info_line();
  EXPECT_TRUE(info["client_id"].is_number_unsigned()) << c.info_line();
  EXPECT_EQ(info["client_ip"], "127.0.0.1") << c.info_line();
}

TEST_P(ConnectTest, InfoMaxPayloadFollowsTheLimit) {
  ServerLimits limits;
  limits.max_payload = 1024;
  START_SERVER(limits);
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  EXPECT_EQ(c.InfoJson()["max_payload"], 1024) << c.info_line();
}

TEST_P(ConnectTest, EachConnectionGetsItsOwnClientId) {
  START_SERVER();
  RawClient a, b;
  ASSERT_TRUE(a.Connect(target()));
  ASSERT_TRUE(b.Connect(target()));
  EXPECT_NE(a.InfoJson()["client_id"], b.InfoJson()["client_id"]);
  EXPECT_EQ(a.InfoJson()["server_id"], b.InfoJson()["server_id"]);
}

TEST_P(ConnectTest, VerboseAcknowledgesEachOperation) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("CONNECT {\"verbose\":true}\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send("PUB foo 2\r\nhi\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "hi"));
  ASSERT_TRUE(c.Send("UNSUB 1\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  // PING is answered by PONG alone, never +OK.
  EXPECT_TRUE(c.Ping());
}

TEST_P(ConnectTest, NotVerboseSendsNoOk) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("CONNECT {\"verbose\":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "hi"));
  EXPECT_TRUE(c.Ping());
}

// nats-server starts every client at verbose and pedantic on; CONNECT only
// overrides the fields it names. Real clients always name both.
TEST_P(ConnectTest, OmittedConnectOptionsStayVerboseAndPedantic) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("CONNECT {}\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send(Pub("foo.*", "x")));
  EXPECT_TRUE(c.ExpectErr("Invalid Publish Subject"));
}

TEST_P(ConnectTest, ExplicitPedanticFalseAllowsWildcardPublish) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("CONNECT {\"pedantic\":false}\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send(Pub("foo.*", "x")));
  EXPECT_TRUE(c.Expect("+OK"));
  EXPECT_TRUE(c.Ping());
}

// Without CONNECT at all (no auth configured) the same defaults apply.
TEST_P(ConnectTest, OperationsBeforeConnectUseTheDefaults) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n"));
  EXPECT_TRUE(c.Expect("+OK"));
  ASSERT_TRUE(c.Send(Pub("foo", "x")));
  EXPECT_TRUE(c.Expect("+OK"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "x"));
}

TEST_P(ConnectTest, ConnectMayBeSentAgain) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c, "{\"verbose\":true}"));
  ASSERT_TRUE(c.Send("CONNECT {\"verbose\":false}\r\nSUB foo 1\r\n"));
  EXPECT_TRUE(c.Ping());  // no +OK for the SUB any more
}

TEST_P(ConnectTest, ConnectWithUnknownFieldsIsAccepted) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c,
                      "{\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"itest\","
                      "\"lang\":\"c++\",\"version\":\"0.0.1\",\"protocol\":1,\"some_future_field\":[1,2]}"));
}

TEST_P(ConnectTest, EchoFalseSkipsOwnMessages) {
  START_SERVER();
  RawClient self, other;
  ASSERT_TRUE(Connect(self, "{\"verbose\":false,\"echo\":false}"));
  ASSERT_TRUE(Connect(other));
  ASSERT_TRUE(other.Send("SUB foo 7\r\n"));
  ASSERT_TRUE(other.Ping());
  ASSERT_TRUE(self.Send("SUB foo 1\r\n" + Pub("foo", "mine")));
  EXPECT_TRUE(self.Ping()) << "a client with echo:false got its own message";
  EXPECT_TRUE(other.ExpectMsg("foo", "7", "", "mine"));
  // It still receives what others publish.
  ASSERT_TRUE(other.Send(Pub("foo", "theirs")));
  EXPECT_TRUE(self.ExpectMsg("foo", "1", "", "theirs"));
}

TEST_P(ConnectTest, EchoDefaultsToOn) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  ASSERT_TRUE(c.Send("SUB foo 1\r\n" + Pub("foo", "x")));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "x"));
}

TEST_P(ConnectTest, PingBeforeConnectIsAnswered) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  EXPECT_TRUE(c.Ping());
}

TEST_P(ConnectTest, ClientPingGetsPong) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(Connect(c));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.Ping());
  ASSERT_TRUE(c.Send("PING\r\nPING\r\n"));
  EXPECT_TRUE(c.Expect("PONG"));
  EXPECT_TRUE(c.Expect("PONG"));
}

TEST_P(ConnectTest, OperationNamesAreCaseInsensitive) {
  START_SERVER();
  RawClient c;
  ASSERT_TRUE(c.Connect(target()));
  ASSERT_TRUE(c.Send("connect {\"verbose\":false}\r\nsub foo 1\r\npub foo 2\r\nhi\r\nping\r\n"));
  EXPECT_TRUE(c.ExpectMsg("foo", "1", "", "hi"));
  EXPECT_TRUE(c.Expect("PONG"));
}

// The server pings a quiet client; a client that answers stays connected
// well past ping_interval * max_pings_out.
TEST_P(ConnectTest, ServerPingIsAnsweredAndConnectionStays) {
  ServerLimits limits;
  limits.ping_interval = 500ms;
  limits.max_pings_out = 2;
  START_SERVER(limits);
  RawClient c;
  ASSERT_TRUE(Connect(c));
  c.set_auto_pong(false);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c.Expect("PING", 3s)) << "ping " << i;
    ASSERT_TRUE(c.Send("PONG\r\n"));
  }
  EXPECT_TRUE(c.Ping());
}

TEST_P(ConnectTest, ManyClientsConnectAndDisconnect) {
  START_SERVER();
  for (int round = 0; round < 5; ++round) {
    std::vector<RawClient> clients(50);
    for (auto& c : clients) ASSERT_TRUE(Connect(c));
  }
  RawClient last;
  ASSERT_TRUE(Connect(last));
  EXPECT_TRUE(last.Ping());
}

TERN_INSTANTIATE_TRANSPORTS(ConnectTest);

}  // namespace
}  // namespace tern::testing
