#include "server_test.h"

#include <cstdlib>
#include <cstring>

namespace tern::testing {

bool NatsReferenceEnabled() {
  const char* v = std::getenv("TERN_TEST_AGAINST_NATS");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

std::string FlavorParamName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

void ServerTest::SetUp() {
  flavor_ = MakeFlavor(GetParam());
  ASSERT_NE(flavor_, nullptr) << "unknown flavour " << GetParam();
  if (IsNats() && !NatsReferenceEnabled()) {
    GTEST_SKIP() << "nats-server reference run is off; set TERN_TEST_AGAINST_NATS=1 to check this expectation "
                    "against nats-server";
  }
}

void ServerTest::StartServer(const ServerLimits& limits) {
  if (std::string why = flavor_->Unsupported(limits); !why.empty()) {
    GTEST_SKIP() << why;
  }
  server_ = std::make_unique<ServerProcess>(*flavor_, limits);
  ASSERT_TRUE(server_->Start()) << flavor_->Name() << " server did not start: " << server_->error();
}

::testing::AssertionResult ServerTest::Connect(RawClient& client, const std::string& connect_json,
                                               const ConnectOptions& options) {
  if (!server_) return ::testing::AssertionFailure() << "no server started";
  return client.ConnectAndHandshake(server_->port(), connect_json, options);
}

}  // namespace tern::testing
