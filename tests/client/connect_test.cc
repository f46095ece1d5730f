// Connecting: URLs, credentials, failures, server info, close.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "client_fixture.h"

namespace tern::testing {
namespace {

TEST_F(ClientTest, ConnectsAndReportsServerInfo) {
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->connected());
  EXPECT_EQ(c->state(), ConnState::kConnected);
  ServerInfo info = c->server_info();
  EXPECT_FALSE(info.server_id.empty());
  EXPECT_TRUE(info.headers);
  EXPECT_GT(info.max_payload, 0);
  EXPECT_EQ(c->connected_url(), server_->url());
  EXPECT_EQ(c->id().size(), 22u);
  EXPECT_TRUE(c->Flush(2s).ok());
  EXPECT_TRUE(c->Close().ok());
  EXPECT_EQ(c->state(), ConnState::kClosed);
  EXPECT_EQ(c->Publish("a", "b").code(), Code::kClosed);
  EXPECT_EQ(c->Flush(100ms).code(), Code::kClosed);
}

TEST_F(ClientTest, ConnectByUrlString) {
  auto c = Connection::Connect(server_->url());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE((*c)->connected());
}

TEST_F(ClientTest, FirstReachableServerIsUsed) {
  Options o = TestOptions();
  int dead = PickFreePort();
  o.servers = {"nats://127.0.0.1:" + std::to_string(dead), server_->url()};
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->connected_url(), server_->url());
}

TEST_F(ClientTest, NothingListeningIsConnectFailed) {
  Options o = TestOptions();
  o.servers = {"nats://127.0.0.1:" + std::to_string(PickFreePort())};
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kConnectFailed);
}

TEST_F(ClientTest, BadUrls) {
  Options o = TestOptions();
  o.servers = {"ftp://127.0.0.1:4222"};
  EXPECT_EQ(Connection::Connect(o).code(), Code::kInvalidArgument);
  o.servers = {"nats://127.0.0.1:notaport"};
  EXPECT_EQ(Connection::Connect(o).code(), Code::kInvalidArgument);
  o.servers = {};
  EXPECT_EQ(Connection::Connect(o).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, RetryOnFailedConnectConnectsLater) {
  Options o = TestOptions();
  int port = PickFreePort();
  o.servers = {"nats://127.0.0.1:" + std::to_string(port)};
  o.retry_on_failed_connect = true;
  auto c = Connection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->state(), ConnState::kReconnecting);
  // Publishing before the first connect is buffered like during a reconnect.
  EXPECT_TRUE((*c)->Publish("early", "x").ok());
  EXPECT_TRUE((*c)->Close().ok());
}

class AuthTest : public ClientTest {
 protected:
  void SetUp() override { StartServer({"--user", "alice", "--pass", "s3cret"}); }
};

TEST_F(AuthTest, GoodCredentialsConnect) {
  Options o = TestOptions();
  o.user = "alice";
  o.password = "s3cret";
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->server_info().auth_required);
}

TEST_F(AuthTest, CredentialsInUrlConnect) {
  Options o = TestOptions();
  o.servers = {"nats://alice:s3cret@127.0.0.1:" + std::to_string(server_->port())};
  EXPECT_TRUE(Connect(o));
}

TEST_F(AuthTest, BadCredentialsAreAuthFailed) {
  Options o = TestOptions();
  o.user = "alice";
  o.password = "wrong";
  auto c = Connection::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kAuthFailed) << c.status().ToString();
  o.user.clear();
  o.password.clear();
  EXPECT_EQ(Connection::Connect(o).code(), Code::kAuthFailed);
}

class TokenAuthTest : public ClientTest {
 protected:
  void SetUp() override { StartServer({"--auth", "t0ken"}); }
};

TEST_F(TokenAuthTest, TokenFromOptionsOrUrl) {
  Options o = TestOptions();
  o.token = "t0ken";
  EXPECT_TRUE(Connect(o));
  o.token.clear();
  EXPECT_EQ(Connection::Connect(o).code(), Code::kAuthFailed);
  o.servers = {"nats://t0ken@127.0.0.1:" + std::to_string(server_->port())};
  EXPECT_TRUE(Connect(o));
}

// An NKey user in a nats-server configuration file both servers read.
class NkeyAuthTest : public ClientTest {
 protected:
  static constexpr const char* kSeed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";
  static constexpr const char* kPublic = "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L";

  void SetUp() override {
    char tmpl[] = "/tmp/tern-nkey-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/auth.conf") << "authorization { users: [ {nkey: " << kPublic << "} ] }\n";
    StartServer({"-c", dir_ + "/auth.conf"});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(NkeyAuthTest, SeedSignsTheNonce) {
  Options o = TestOptions();
  o.nkey_seed = kSeed;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->server_info().nonce.empty());
  // Another user's seed is refused; something that is no seed is a usage error.
  o.nkey_seed = "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4";
  EXPECT_EQ(Connection::Connect(o).code(), Code::kAuthFailed);
  o.nkey_seed = "not a seed";
  EXPECT_EQ(Connection::Connect(o).code(), Code::kInvalidArgument);
}

TEST_F(ClientTest, FailsOverToTheNextServer) {
  TestServer second;
  ASSERT_TRUE(second.Start()) << second.LogTail();
  Options o = TestOptions();
  o.servers = {server_->url(), second.url()};
  auto c = Connect(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->connected_url(), server_->url());
  auto ch = c->SubscribeChannel("failover", 10);
  ASSERT_TRUE(ch.ok());
  server_->Kill();
  ASSERT_TRUE(WaitFor([&] { return c->connected() && c->connected_url() == second.url(); }));
  ASSERT_TRUE(c->Publish("failover", "on the second server").ok());
  auto m = ch->Next(2s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "on the second server");
}

}  // namespace
}  // namespace tern::testing
