// Fixture for MQTT transcript tests: each runs against tern-server (its MQTT
// listener on the port the harness waits for) and against Debian's
// mosquitto, the reference, in the same run; mosquitto cases skip when it
// is not installed. Where the two differ on purpose, the test says why.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "mqtt_client.h"
#include "server_flavor.h"
#include "server_process.h"

namespace tern::testing {

class MqttTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  // Starts the server; `tern_args` are extra tern-server flags (mosquitto
  // ignores them). Use START_MQTT.
  void StartServer(std::vector<std::string> tern_args = {});
  bool IsTern() const { return GetParam() == "tern-mqtt"; }
  bool IsMosquitto() const { return GetParam() == "mosquitto"; }
  int port() const { return server_->port(); }

  std::unique_ptr<ServerFlavor> flavor_;
  std::unique_ptr<ServerProcess> server_;
};

std::string MqttFlavorName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace tern::testing

#define START_MQTT(...)                           \
  do {                                            \
    StartServer(__VA_ARGS__);                     \
    if (IsSkipped() || HasFatalFailure()) return; \
  } while (0)

#define TERN_INSTANTIATE_MQTT(Suite)                                                                          \
  INSTANTIATE_TEST_SUITE_P(Servers, Suite, ::testing::Values(std::string("tern-mqtt"), std::string("mosquitto")), \
                           ::tern::testing::MqttFlavorName)
