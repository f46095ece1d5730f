#include "server/auth/limiter.h"

#include <gtest/gtest.h>

namespace tern::server::auth {
namespace {

using namespace std::chrono_literals;

TEST(ConnectionLimiterTest, RateIsPerAddressWithABurst) {
  ConnectionLimiter l;
  l.Configure(10, 3, 0);
  auto t0 = ConnectionLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.AllowNew("10.0.0.1", t0));
  EXPECT_FALSE(l.AllowNew("10.0.0.1", t0));
  EXPECT_TRUE(l.AllowNew("10.0.0.2", t0));  // another address has its own bucket
  EXPECT_TRUE(l.AllowNew("10.0.0.1", t0 + 100ms));  // 10/s: one more after 100 ms
  EXPECT_FALSE(l.AllowNew("10.0.0.1", t0 + 100ms));
}

TEST(ConnectionLimiterTest, OpenWhenUnconfigured) {
  ConnectionLimiter l;
  EXPECT_FALSE(l.rate_limited());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.AllowNew("10.0.0.1"));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.AcquireIp("10.0.0.1"));
}

TEST(ConnectionLimiterTest, PerAddressAndPerUserCounts) {
  ConnectionLimiter l;
  l.Configure(0, 0, 2);
  EXPECT_TRUE(l.AcquireIp("a"));
  EXPECT_TRUE(l.AcquireIp("a"));
  EXPECT_FALSE(l.AcquireIp("a"));
  l.ReleaseIp("a");
  EXPECT_TRUE(l.AcquireIp("a"));

  EXPECT_TRUE(l.AcquireUser("u", 1));
  EXPECT_FALSE(l.AcquireUser("u", 1));
  EXPECT_EQ(l.UserCount("u"), 1);
  l.ReleaseUser("u");
  EXPECT_EQ(l.UserCount("u"), 0);
  EXPECT_TRUE(l.AcquireUser("u", 0));  // 0: unlimited, still counted
}

}  // namespace
}  // namespace tern::server::auth
