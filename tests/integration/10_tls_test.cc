// TLS on the client listener, from the outside: what INFO announces, who
// gets through the handshake (server chain, client certificates), and what
// happens to clients that do not finish it. openssl s_client is the
// third-party client where NATS allows one (TLS-first; s_client cannot do
// NATS's TLS-after-INFO). Bad clients cost only their own connection: a
// TLS bystander pair keeps exchanging messages and loses none.
#include <string>
#include <vector>

#include "bystanders.h"
#include "child_process.h"
#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class TlsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped()) return;
    certs_ = Certs();
    ASSERT_NE(certs_, nullptr);
  }

  TlsSetup ServerTls() const {
    return TlsSetup{.cert_file = certs_->server_cert, .key_file = certs_->server_key, .ca_file = certs_->ca_cert};
  }

  // A TLS client of the client listener, trusting the test CA.
  Target Tls(bool handshake_first = false, bool client_cert = false) const {
    Target t{.port = port(), .transport = Transport::kTls};
    t.tls.ca_file = certs_->ca_cert;
    t.tls.handshake_first = handshake_first;
    if (client_cert) {
      t.tls.cert_file = certs_->client_cert;
      t.tls.key_file = certs_->client_key;
    }
    return t;
  }

  std::vector<std::string> SClient(int port, const std::string& ca) const {
    return {"openssl",
            "s_client",
            "-connect",
            "127.0.0.1:" + std::to_string(port),
            "-servername",
            "localhost",
            "-verify_hostname",
            "localhost",
            "-CAfile",
            ca,
            "-verify_return_error"};
  }

  const TestCerts* certs_ = nullptr;
};

TEST_P(TlsTest, PlainInfoSaysTlsRequired) {
  START_SERVER_WITH(ServerListeners{.tls = ServerTls()});
  RawClient plain;
  ASSERT_TRUE(plain.Connect(port()));  // the greeting comes before TLS, in plain text
  nlohmann::json info = plain.InfoJson();
  EXPECT_EQ(info["tls_required"], true) << plain.info_line();
  EXPECT_FALSE(info.value("tls_verify", false)) << plain.info_line();
  EXPECT_EQ(info["port"], port()) << plain.info_line();

  RawClient c;
  ASSERT_TRUE(c.ConnectAndHandshake(Tls()));
  ASSERT_TRUE(c.Send("SUB secret 1\r\n" + Pub("secret", "over tls")));
  EXPECT_TRUE(c.ExpectMsg("secret", "1", "", "over tls"));
}

TEST_P(TlsTest, ServerChainVerifiesAgainstTheTestCaOnly) {
  START_SERVER_WITH(ServerListeners{.tls = ServerTls()});
  RawClient trusting;
  EXPECT_TRUE(trusting.ConnectAndHandshake(Tls()));

  Target wrong_ca = Tls();
  wrong_ca.tls.ca_file = certs_->other_ca_cert;
  RawClient doubting;
  auto r = doubting.Connect(wrong_ca);
  ASSERT_FALSE(r) << "a certificate from an untrusted CA was accepted";
  EXPECT_NE(std::string(r.message()).find("certificate verify failed"), std::string::npos) << r.message();
  EXPECT_TRUE(server_->IsRunning());
}

// s_client checks the chain and the name the way every other TLS client
// does; TLS-first is the only NATS mode it can speak.
TEST_P(TlsTest, OpensslClientVerifiesTheChainTlsFirst) {
  TlsSetup tls = ServerTls();
  tls.handshake_first = true;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  ChildProcess s_client;
  std::string error;
  ASSERT_TRUE(s_client.Start(SClient(port(), certs_->ca_cert), &error)) << error;
  EXPECT_TRUE(s_client.WaitForOutput("Verify return code: 0 (ok)", 5s)) << s_client.output();
  EXPECT_TRUE(s_client.WaitForOutput("INFO {", 5s)) << s_client.output();
  ASSERT_TRUE(s_client.Write("CONNECT {\"verbose\":false}\r\nPING\r\n"));
  EXPECT_TRUE(s_client.WaitForOutput("PONG\r\n", 5s)) << s_client.output();
  s_client.CloseStdin();
  EXPECT_EQ(s_client.Wait(5s), 0) << s_client.output();

  // The same port, our own client, TLS-first: the whole transcript works.
  RawClient c;
  ASSERT_TRUE(c.ConnectAndHandshake(Tls(/*handshake_first=*/true)));
  EXPECT_EQ(c.InfoJson()["tls_required"], true) << c.info_line();
  ASSERT_TRUE(c.Send("SUB first 1\r\n" + Pub("first", "x")));
  EXPECT_TRUE(c.ExpectMsg("first", "1", "", "x"));
}

// wss:// is TLS before anything else on every server, so s_client can check
// its chain against nats-server too; what answers inside is HTTP.
TEST_P(TlsTest, OpensslClientVerifiesTheWebsocketListenerChain) {
  START_SERVER_WITH(ServerListeners{
      .websocket = WebsocketSetup{.tls = true, .cert_file = certs_->server_cert, .key_file = certs_->server_key}});
  ChildProcess s_client;
  std::string error;
  ASSERT_TRUE(s_client.Start(SClient(server_->websocket_port(), certs_->ca_cert), &error)) << error;
  EXPECT_TRUE(s_client.WaitForOutput("Verify return code: 0 (ok)", 5s)) << s_client.output();
  ASSERT_TRUE(s_client.Write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  EXPECT_TRUE(s_client.WaitForOutput("HTTP/1.1 400", 5s)) << "a GET without Upgrade: " << s_client.output();
  s_client.CloseStdin();
  EXPECT_TRUE(s_client.Wait(5s)) << s_client.output();

  ChildProcess doubting;
  ASSERT_TRUE(doubting.Start(SClient(server_->websocket_port(), certs_->other_ca_cert), &error)) << error;
  doubting.CloseStdin();
  auto code = doubting.Wait(5s);
  EXPECT_TRUE(code && *code != 0) << "s_client accepted a chain it cannot verify: " << doubting.output();
}

TEST_P(TlsTest, InfoSaysTlsVerifyWhenClientCertificatesAreRequired) {
  TlsSetup tls = ServerTls();
  tls.verify = true;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  RawClient plain;
  ASSERT_TRUE(plain.Connect(port()));
  EXPECT_EQ(plain.InfoJson()["tls_required"], true) << plain.info_line();
  EXPECT_EQ(plain.InfoJson()["tls_verify"], true) << plain.info_line();
}

TEST_P(TlsTest, MissingClientCertificateFailsTheHandshake) {
  TlsSetup tls = ServerTls();
  tls.verify = true;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  // Over TLS 1.3 the client's side of the handshake completes before the
  // server has looked at (the absence of) its certificate, so the refusal
  // may arrive as an alert on the first read instead of at connect.
  RawClient anonymous;
  auto r = anonymous.ConnectAndHandshake(Tls());
  ASSERT_FALSE(r) << "a client without a certificate got through";
  const std::string why = r.message();
  EXPECT_EQ(why.find("timed out"), std::string::npos) << "refused by silence, not by the handshake: " << why;

  RawClient alice;
  EXPECT_TRUE(alice.ConnectAndHandshake(Tls(false, /*client_cert=*/true)));
  EXPECT_TRUE(server_->IsRunning());
}

TEST_P(TlsTest, PresentClientCertificateIsAccepted) {
  TlsSetup tls = ServerTls();
  tls.verify = true;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  RawClient alice, bob;
  ASSERT_TRUE(alice.ConnectAndHandshake(Tls(false, true)));
  ASSERT_TRUE(bob.ConnectAndHandshake(Tls(false, true)));
  ASSERT_TRUE(bob.Send("SUB to.bob 1\r\n"));
  ASSERT_TRUE(bob.Ping());
  ASSERT_TRUE(alice.Send(Pub("to.bob", "hi bob")));
  EXPECT_TRUE(bob.ExpectMsg("to.bob", "1", "", "hi bob"));
}

TEST_P(TlsTest, PlaintextOnTheTlsPortCostsOnlyItsConnection) {
  START_SERVER_WITH(ServerListeners{.tls = ServerTls()});
  Bystanders bystanders;
  ASSERT_TRUE(bystanders.Start(Tls()));
  RawClient plain;
  ASSERT_TRUE(plain.Connect(port()));
  ASSERT_TRUE(plain.Send("CONNECT {\"verbose\":false}\r\nSUB bystander.> 9\r\nPING\r\n"));
  std::string drained;
  EXPECT_TRUE(plain.ExpectClosed(3s, &drained));
  EXPECT_EQ(drained.find("PONG"), std::string::npos) << "plain text was served on the TLS port: " << Show(drained);
  EXPECT_TRUE(bystanders.Exchange(100));
  RawClient next;
  EXPECT_TRUE(next.ConnectAndHandshake(Tls())) << "the port stopped taking TLS clients";
  EXPECT_TRUE(server_->IsRunning());
}

TEST_P(TlsTest, SilentClientIsClosedAfterTheTlsTimeout) {
  TlsSetup tls = ServerTls();
  tls.timeout = 500ms;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  // The clock starts before the connect, so the server's (which starts at
  // accept) cannot have run longer than ours.
  const auto start = Clock::now();
  RawClient silent;
  ASSERT_TRUE(silent.Connect(port()));  // INFO read; no ClientHello follows
  RawClient prompt;
  ASSERT_TRUE(prompt.ConnectAndHandshake(Tls()));
  EXPECT_TRUE(silent.ExpectClosed(3s));
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 450ms) << "closed before the timeout";
  EXPECT_LE(waited, 2500ms) << "the timeout was not enforced";
  // A client that finished its handshake in time is not on that clock.
  EXPECT_TRUE(prompt.Ping());
}

// Each stalled client holds a handshake open (INFO read, half a ClientHello
// sent) until tls.timeout; a thousand of them must neither starve the one
// client doing real work nor outlive the timeout.
TEST_P(TlsTest, ThousandStalledHandshakesCostOnlyThemselves) {
  constexpr int kStalled = 1000;
  const long fd_limit = RaiseFdLimit();
  if (fd_limit > 0 && fd_limit < 2 * kStalled + 500) GTEST_SKIP() << "open-file limit " << fd_limit << " is too low";
  TlsSetup tls = ServerTls();
  tls.timeout = 1s;
  START_SERVER_WITH(ServerListeners{.tls = tls});
  Bystanders bystanders;
  ASSERT_TRUE(bystanders.Start(Tls()));

  const std::string hello = MakeClientHello();
  ASSERT_GT(hello.size(), 100u);
  const std::string half = hello.substr(0, hello.size() / 2);
  std::vector<RawClient> stalled(kStalled);
  ConnectOptions patient;
  patient.timeout = 10s;
  for (int i = 0; i < kStalled; ++i) {
    ASSERT_TRUE(stalled[i].Connect(port(), patient)) << "stalled client " << i;
    ASSERT_TRUE(stalled[i].SendRaw(half)) << "stalled client " << i;
    if (i % 100 == 99) {
      ASSERT_TRUE(bystanders.Exchange(50)) << "after " << i + 1 << " stalled";
    }
  }
  ASSERT_TRUE(bystanders.Exchange(500)) << "with all stalled";
  // Half a ClientHello is not refused at once: the server waits for the rest.
  EXPECT_FALSE(stalled.back().ExpectClosed(100ms)) << "the last stalled handshake was not waited on";
  const auto connected = Clock::now();

  int closed = 0;
  for (auto& c : stalled) closed += c.ExpectClosed(3s) ? 1 : 0;
  EXPECT_EQ(closed, kStalled) << "stalled handshakes outlived tls.timeout";
  EXPECT_LE(Clock::now() - connected, 2500ms) << "closing them took far longer than tls.timeout";
  EXPECT_TRUE(bystanders.Exchange(100)) << "after the timeouts";
  EXPECT_TRUE(server_->IsRunning());
}

TERN_INSTANTIATE_FLAVORS(TlsTest);

}  // namespace
}  // namespace tern::testing
