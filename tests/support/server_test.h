// Base fixture for black-box tests parameterised over the server flavour.
// Every suite is instantiated for "tern" and "nats"; the nats-server cases
// run only with TERN_TEST_AGAINST_NATS=1 (they are the reference the tern
// expectations were checked against) and are skipped otherwise.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "raw_client.h"
#include "server_flavor.h"
#include "server_process.h"

namespace tern::testing {

bool NatsReferenceEnabled();  // env TERN_TEST_AGAINST_NATS=1

class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;

  // Starts server_ with these limits; GTEST_SKIPs when the flavour cannot
  // express them, fails when the server does not come up. Use START_SERVER.
  void StartServer(const ServerLimits& limits = {});

  const ServerFlavor& flavor() const { return *flavor_; }
  bool IsNats() const { return GetParam() == "nats"; }
  int port() const { return server_->port(); }

  // A client that has read INFO, sent CONNECT (connect_json) and got PONG.
  ::testing::AssertionResult Connect(RawClient& client,
                                     const std::string& connect_json = "{\"verbose\":false,\"pedantic\":false}",
                                     const ConnectOptions& options = {});

  std::unique_ptr<ServerFlavor> flavor_;
  std::unique_ptr<ServerProcess> server_;
};

std::string FlavorParamName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace tern::testing

// Inside a TEST_P body: start the fixture's server or leave the test.
#define START_SERVER(...)                         \
  do {                                            \
    StartServer(__VA_ARGS__);                     \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (0)

#define TERN_INSTANTIATE_FLAVORS(Suite)                                                                 \
  INSTANTIATE_TEST_SUITE_P(Servers, Suite, ::testing::Values(std::string("tern"), std::string("nats")), \
                           ::tern::testing::FlavorParamName)
