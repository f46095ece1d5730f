#include "url.h"

#include <gtest/gtest.h>

namespace tern::internal {
namespace {

TEST(ServerUrlTest, Forms) {
  auto a = ParseServerUrl("nats://127.0.0.1:4333");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 4333);
  auto b = ParseServerUrl("localhost");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 4222);
  auto c = ParseServerUrl("tcp://alice:s3cret@host:1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scheme, "nats");
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cret");
  auto d = ParseServerUrl("nats://tok@[::1]:5000");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->token, "tok");
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->port, 5000);
  EXPECT_EQ(d->ToString(), "nats://[::1]:5000");
  auto e = ParseServerUrl("tls://broker.example:4443");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->scheme, "tls");
  EXPECT_EQ(e->host, "broker.example");
  EXPECT_EQ(e->ToString(), "tls://broker.example:4443");
}

TEST(ServerUrlTest, WebSocket) {
  auto a = ParseServerUrl("ws://127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "ws");
  EXPECT_EQ(a->port, 8080);
  EXPECT_EQ(a->path, "");
  EXPECT_EQ(a->ToString(), "ws://127.0.0.1:8080");
  auto b = ParseServerUrl("wss://user:pw@broker.example/nats?x=1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->path, "/nats?x=1");
  EXPECT_EQ(b->user, "user");
  EXPECT_EQ(b->ToString(), "wss://broker.example:443/nats?x=1");
  EXPECT_EQ(ParseServerUrl("ws://host")->port, 80);
  EXPECT_EQ(ParseServerUrl("nats://host:4222/ignored")->path, "");
}

TEST(ServerUrlTest, IpAddresses) {
  EXPECT_TRUE(IsIpAddress("127.0.0.1"));
  EXPECT_TRUE(IsIpAddress("::1"));
  EXPECT_FALSE(IsIpAddress("localhost"));
  EXPECT_FALSE(IsIpAddress("1.2.3"));
}

TEST(ServerUrlTest, Errors) {
  EXPECT_EQ(ParseServerUrl("http://host").code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseServerUrl("nats://host:0").code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseServerUrl("nats://host:99999").code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseServerUrl("nats://:4222").code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tern::internal
