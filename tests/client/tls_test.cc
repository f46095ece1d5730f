// TLS against a real server started with nats-server's flags (--tls
// --tlscert --tlskey, --tlsverify --tlscacert), which tern-server takes too
// once its TLS lands; until `tern-server --help` lists --tlscert the tern
// flavour is skipped. Certificates are made at test time
// (tests/support/test_certs.h).
#include "client_fixture.h"
#include "test_certs.h"

namespace tern::testing {
namespace {

class TlsTest : public ClientTest {
 protected:
  void SetUp() override {
    TestServer probe;
    if (!probe.HelpMentions("--tlscert")) GTEST_SKIP() << probe.flavor_name() << "-server has no --tlscert yet";
    std::string error;
    certs_ = GetTestCerts(&error);
    ASSERT_NE(certs_, nullptr) << error;
  }

  // nats-server's default TLS: plaintext INFO with tls_required, then the handshake.
  void StartTls(const std::string& cert, const std::string& key) {
    StartServer({"--tls", "--tlscert", cert, "--tlskey", key});
  }
  void StartTls() { StartTls(certs_->server_cert, certs_->server_key); }
  // Client certificates required and checked against our CA.
  void StartVerifying() {
    StartServer({"--tlsverify", "--tlscert", certs_->server_cert, "--tlskey", certs_->server_key, "--tlscacert",
                 certs_->ca_cert});
  }

  std::string Url(const std::string& scheme, const std::string& host = "localhost") const {
    return scheme + "://" + host + ":" + std::to_string(server_->port());
  }
  Options TlsOptions(const std::string& host = "localhost") const {
    Options o = TestOptions();
    o.servers = {Url("tls", host)};
    o.tls.ca_file = certs_->ca_cert;
    return o;
  }
  // The error Connect gives, which must be a failure.
  Status ConnectError(const Options& o) {
    auto c = Connection::Connect(o);
    EXPECT_FALSE(c.ok()) << "connected, but should not have";
    return c.ok() ? Status::Ok() : c.status();
  }

  const TestCerts* certs_ = nullptr;
};

TEST_F(TlsTest, TlsUrlWithCaConnects) {
  StartTls();
  auto c = Connect(TlsOptions());
  ASSERT_TRUE(c);
  TransportInfo t = c->transport_info();
  EXPECT_TRUE(t.tls);
  EXPECT_FALSE(t.websocket);
  EXPECT_FALSE(t.tls_version.empty());
  EXPECT_FALSE(t.tls_cipher.empty());
  EXPECT_TRUE(c->server_info().tls_required);
  EXPECT_EQ(c->connected_url(), Url("tls"));
  ExpectRoundTrips(*c);
}

TEST_F(TlsTest, CertificateForAnIpAddress) {
  StartTls();
  auto c = Connect(TlsOptions("127.0.0.1"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->transport_info().tls);
}

TEST_F(TlsTest, NatsUrlUpgradesWhenTheServerRequiresTls) {
  StartTls();
  Options o = TestOptions();
  o.servers = {Url("nats")};
  o.tls.insecure_skip_verify = true;  // trusts without making the connection "secure" itself
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->transport_info().tls);
  ExpectRoundTrips(*c);
  // Without settings the upgrade still verifies, against the system's CAs.
  o.tls = {};
  Status s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("not trusted"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("system"), std::string::npos) << s.message();
}

TEST_F(TlsTest, UntrustedCertificateFailsClearly) {
  StartTls();
  Options o = TlsOptions();
  o.tls.ca_file = certs_->other_ca_cert;
  Status s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("not trusted"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(certs_->other_ca_cert), std::string::npos) << s.message();
}

TEST_F(TlsTest, CertificateFromAnotherCaFails) {
  StartTls(certs_->other_server_cert, certs_->other_server_key);
  Status s = ConnectError(TlsOptions());
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("not trusted"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(certs_->ca_cert), std::string::npos) << s.message();
}

// The certificate carries localhost and 127.0.0.1; server_name decides
// what is checked.
TEST_F(TlsTest, WrongHostFailsClearlyAndServerNameOverrides) {
  StartTls();
  Options o = TlsOptions("127.0.0.1");
  o.tls.server_name = "elsewhere.example";
  Status s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("not valid for 'elsewhere.example'"), std::string::npos) << s.message();
  o.tls.server_name = "127.0.0.2";
  s = ConnectError(o);
  EXPECT_NE(s.message().find("not valid for '127.0.0.2'"), std::string::npos) << s.message();
  o.tls.server_name = "localhost";  // connecting by IP, checking the name
  EXPECT_TRUE(Connect(o));
}

TEST_F(TlsTest, TlsUrlToAPlaintextServerFails) {
  StartServer({});
  Status s = ConnectError(TlsOptions());
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("does not offer TLS"), std::string::npos) << s.message();
}

TEST_F(TlsTest, HandshakeFirstAgainstAnInfoFirstServerFails) {
  StartTls();
  Options o = TlsOptions();
  o.tls.handshake_first = true;
  Status s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("INFO in plaintext"), std::string::npos) << s.message();
}

TEST_F(TlsTest, ClientCertificateRequired) {
  StartVerifying();
  Status s = ConnectError(TlsOptions());
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("requires a client certificate"), std::string::npos) << s.message();

  Options o = TlsOptions();
  o.tls.cert_file = certs_->client_cert;
  o.tls.key_file = certs_->client_key;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->server_info().tls_verify);
  ExpectRoundTrips(*c);

  // One our server's CA did not sign.
  o.tls.cert_file = certs_->other_server_cert;
  o.tls.key_file = certs_->other_server_key;
  s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kConnectFailed);
  EXPECT_NE(s.message().find("refused our client certificate"), std::string::npos) << s.message();
}

TEST_F(TlsTest, UnreadableOrMismatchedFilesFailConnect) {
  StartTls();
  Options o = TlsOptions();
  o.tls.ca_file = certs_->dir + "/missing.pem";
  Status s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("missing.pem"), std::string::npos) << s.message();
  o = TlsOptions();
  o.tls.cert_file = certs_->client_cert;
  o.tls.key_file = certs_->server_key;
  s = ConnectError(o);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find(certs_->server_key), std::string::npos) << s.message();
  o = TlsOptions();
  o.tls.key_file = certs_->client_key;  // a key without its certificate
  EXPECT_EQ(ConnectError(o).code(), Code::kInvalidArgument);
}

TEST_F(TlsTest, ReconnectKeepsTlsAndSubscriptions) {
  StartTls();
  Options o = TlsOptions();
  std::atomic<int> reconnects{0};
  o.on_event = [&](const Event& e) { reconnects += e.type == EventType::kReconnected; };
  auto c = Connect(o);
  ASSERT_TRUE(c);
  auto ch = c->SubscribeChannel("tls.again", 10);
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  server_->Kill();
  ASSERT_TRUE(server_->Start()) << server_->LogTail();
  ASSERT_TRUE(WaitFor([&] { return reconnects > 0 && c->connected(); }, 10s));
  EXPECT_TRUE(c->transport_info().tls);
  ASSERT_TRUE(c->Publish("tls.again", "after").ok());
  auto m = ch->Next(2s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "after");
}

// Many records per read and messages larger than a record: the read side
// must deliver every byte whether it sits in the socket or in OpenSSL.
TEST_F(TlsTest, LargeMessagesAndFloods) {
  StartTls();
  auto pub = Connect(TlsOptions());
  auto sub = Connect(TlsOptions());
  ASSERT_TRUE(pub && sub);
  ExpectFloodsArrive(*pub, *sub);
}

}  // namespace
}  // namespace tern::testing
