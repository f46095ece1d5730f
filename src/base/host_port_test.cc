#include "base/host_port.h"

#include <gtest/gtest.h>

namespace tern::base {
namespace {

TEST(HostPortTest, SkipsCredentials) {
  auto hp = ParseHostPort("nats-route://user:pa%40ss@10.0.0.2:6223");
  ASSERT_TRUE(hp.ok()) << hp.message();
  EXPECT_EQ(hp->host, "10.0.0.2");
  EXPECT_EQ(hp->port, 6223);
}

TEST(UrlCredentialsTest, UserAndPasswordDecoded) {
  UrlCredentials c = ParseUrlCredentials("nats-route://ruser:p%40ss%3Aw@127.0.0.1:6222");
  EXPECT_TRUE(c.present);
  EXPECT_TRUE(c.has_password);
  EXPECT_EQ(c.user, "ruser");
  EXPECT_EQ(c.password, "p@ss:w");
  // The last '@' ends the user info, as Go's url.Parse reads it.
  c = ParseUrlCredentials("nats://u:a@b@host:1");
  EXPECT_EQ(c.user, "u");
  EXPECT_EQ(c.password, "a@b");
  c = ParseUrlCredentials("nats://only@host:1");
  EXPECT_TRUE(c.present);
  EXPECT_FALSE(c.has_password);
  EXPECT_EQ(c.user, "only");
  EXPECT_FALSE(ParseUrlCredentials("nats://host:1").present);
  EXPECT_FALSE(ParseUrlCredentials("host:1").present);
  EXPECT_TRUE(ParseUrlCredentials("u:p@host:1").present);                // no scheme
  EXPECT_EQ(ParseUrlCredentials("nats://u:100%@h:1").password, "100%");  // a lone '%' stays
}

TEST(UrlCredentialsTest, StripLeavesTheRest) {
  EXPECT_EQ(StripUrlCredentials("nats://u:p@127.0.0.1:6222"), "nats://127.0.0.1:6222");
  EXPECT_EQ(StripUrlCredentials("u:p@[::1]:6222"), "[::1]:6222");
  EXPECT_EQ(StripUrlCredentials("nats://127.0.0.1:6222"), "nats://127.0.0.1:6222");
}

}  // namespace
}  // namespace tern::base
