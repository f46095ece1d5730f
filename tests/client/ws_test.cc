// The NATS protocol over WebSocket (ws://) and over WebSocket over TLS
// (wss://) against the server's websocket listener: nats-server's from a
// config file (websocket { port, no_tls } or a tls {} block inside it),
// tern-server's from --websocket.port once it has one (skipped until its
// --help lists it).
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "client_fixture.h"
#include "test_certs.h"

namespace tern::testing {
namespace {

class WsTest : public ClientTest {
 protected:
  void SetUp() override {
    TestServer probe;
    flavor_ = probe.flavor_name();
    if (flavor_ == "tern" && !probe.HelpMentions("--websocket.port")) {
      GTEST_SKIP() << "tern-server has no --websocket.port yet";
    }
    char tmpl[] = "/tmp/tern-ws-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // A server with a websocket listener on ws_port_, plain or with TLS.
  void StartWs(bool tls) {
    if (tls) {
      if (flavor_ == "tern" && !TestServer().HelpMentions("--websocket.tls.cert_file")) {
        GTEST_SKIP() << "tern-server has no --websocket.tls.cert_file yet";
      }
      std::string error;
      certs_ = GetTestCerts(&error);
      ASSERT_NE(certs_, nullptr) << error;
    }
    ws_port_ = PickFreePort();
    std::vector<std::string> args;
    if (flavor_ == "tern") {
      args = {"--websocket.port", std::to_string(ws_port_)};
      if (tls) {
        args.insert(args.end(),
                    {"--websocket.tls.cert_file", certs_->server_cert, "--websocket.tls.key_file", certs_->server_key});
      }
    } else {
      const std::string conf = dir_ + "/ws.conf";
      std::ofstream out(conf);
      out << "websocket {\n  port: " << ws_port_ << "\n";
      if (tls) {
        out << "  tls {\n    cert_file: \"" << certs_->server_cert << "\"\n    key_file: \"" << certs_->server_key
            << "\"\n  }\n";
      } else {
        out << "  no_tls: true\n";
      }
      out << "}\n";
      args = {"-c", conf};
    }
    StartServer(args);
    if (::testing::Test::IsSkipped() || HasFatalFailure()) return;
    // The client port is up; the websocket listener opens beside it.
    ASSERT_TRUE(WaitFor([&] {
      Options o = WsOptions("ws", "127.0.0.1");
      o.tls.insecure_skip_verify = true;
      o.servers = {(tls ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(ws_port_)};
      return Connection::Connect(o).ok();
    })) << server_->LogTail();
  }

  Options WsOptions(const std::string& scheme, const std::string& host = "localhost") const {
    Options o = TestOptions();
    o.servers = {scheme + "://" + host + ":" + std::to_string(ws_port_)};
    if (certs_ != nullptr) o.tls.ca_file = certs_->ca_cert;
    return o;
  }

  std::string flavor_;
  std::string dir_;
  int ws_port_ = 0;
  const TestCerts* certs_ = nullptr;
};

TEST_F(WsTest, PlainWebSocket) {
  StartWs(false);
  Options o = WsOptions("ws", "127.0.0.1");
  o.servers[0] += "/some/path";  // the server takes any path
  auto c = Connect(o);
  ASSERT_TRUE(c);
  TransportInfo t = c->transport_info();
  EXPECT_TRUE(t.websocket);
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(c->connected_url(), o.servers[0]);
  ExpectRoundTrips(*c);
}

TEST_F(WsTest, WebSocketAndTcpClientsTalk) {
  StartWs(false);
  auto ws = Connect(WsOptions("ws", "127.0.0.1"));
  auto tcp = Connect();
  ASSERT_TRUE(ws && tcp);
  ExpectFloodsArrive(*ws, *tcp);
  ExpectFloodsArrive(*tcp, *ws);
}

TEST_F(WsTest, SecureWebSocket) {
  StartWs(true);
  auto c = Connect(WsOptions("wss"));
  ASSERT_TRUE(c);
  TransportInfo t = c->transport_info();
  EXPECT_TRUE(t.websocket);
  EXPECT_TRUE(t.tls);
  EXPECT_FALSE(t.tls_version.empty());
  ExpectRoundTrips(*c);
  auto other = Connect(WsOptions("wss"));
  ASSERT_TRUE(other);
  ExpectFloodsArrive(*c, *other);
}

TEST_F(WsTest, SecureWebSocketWithAnUntrustedOrWrongCertificate) {
  StartWs(true);
  Options o = WsOptions("wss");
  o.tls.ca_file.clear();
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kConnectFailed);
  EXPECT_NE(c.status().message().find("not trusted"), std::string::npos) << c.status().message();
  o = WsOptions("wss");
  o.tls.server_name = "elsewhere.example";
  c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("not valid for 'elsewhere.example'"), std::string::npos) << c.status().message();
}

TEST_F(WsTest, WrongPortsFailClearly) {
  StartWs(false);
  Options o = TestOptions();
  o.servers = {"ws://127.0.0.1:" + std::to_string(server_->port())};  // the NATS client port
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kConnectFailed);
  EXPECT_NE(c.status().message().find("not a websocket one"), std::string::npos) << c.status().message();
  o = WsOptions("wss", "127.0.0.1");  // TLS to the plain listener
  o.tls.insecure_skip_verify = true;
  c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kConnectFailed);
}

TEST_F(WsTest, ReconnectOverWebSocket) {
  StartWs(false);
  Options o = WsOptions("ws", "127.0.0.1");
  std::atomic<int> reconnects{0};
  o.on_event = [&](const Event& e) { reconnects += e.type == EventType::kReconnected; };
  auto c = Connect(o);
  ASSERT_TRUE(c);
  auto ch = c->SubscribeChannel("ws.again", 10);
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(c->Flush(2s).ok());
  server_->Kill();
  ASSERT_TRUE(server_->Start()) << server_->LogTail();
  ASSERT_TRUE(WaitFor([&] { return reconnects > 0 && c->connected(); }, 10s));
  EXPECT_TRUE(c->transport_info().websocket);
  ASSERT_TRUE(c->Publish("ws.again", "after").ok());
  auto m = ch->Next(2s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "after");
}

}  // namespace
}  // namespace tern::testing
