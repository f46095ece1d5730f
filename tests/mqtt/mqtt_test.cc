#include "mqtt_test.h"

#include <unistd.h>

namespace tern::testing {

void MqttTest::SetUp() {
  flavor_ = MakeFlavor(GetParam());
  ASSERT_NE(flavor_, nullptr);
  if (::access(flavor_->BinaryPath().c_str(), X_OK) != 0) GTEST_SKIP() << flavor_->BinaryPath() << " not installed";
}

void MqttTest::StartServer(std::vector<std::string> tern_args) {
  server_ = std::make_unique<ServerProcess>(*flavor_, ServerLimits{}, IsTern() ? tern_args : std::vector<std::string>{});
  ASSERT_TRUE(server_->Start()) << server_->error();
}

std::string MqttFlavorName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param == "tern-mqtt" ? "tern" : info.param;
}

}  // namespace tern::testing
