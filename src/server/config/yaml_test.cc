#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

TEST_F(ConfigTest, UnknownAndMisshapenYaml) {
  auto errors_for = [&](const std::string& yaml) { return Load({"-c", WriteYaml(yaml)}); };
  EXPECT_TRUE(HasError(errors_for("log:\n  lvl: debug\n"), ":2: unknown option 'log.lvl'"));
  EXPECT_TRUE(
      HasError(errors_for("log: debug\n"), ":1: log: is a section; expected a map such as `log: {level: ...}`"));
  EXPECT_TRUE(HasError(errors_for("port: {a: 1}\n"), ":1: port: expected a single value, found a map"));
  EXPECT_TRUE(HasError(errors_for("port: [1, 2]\n"), ":1: port: expected a single value, found a list"));
  EXPECT_TRUE(HasError(errors_for("port:\n"), ":1: port: needs a value"));
  EXPECT_TRUE(HasError(errors_for("- port\n"), "expected a map of options at the top level"));
  EXPECT_TRUE(HasError(errors_for("port: [1\n"), ":2:1: "));  // YAML syntax error, with line and column
  EXPECT_TRUE(HasError(errors_for("config: other.yaml\n"), ":1: config: cannot be set in the config file"));
  EXPECT_TRUE(HasError(errors_for("max_pings_out: 3\nping_max: 4\n"),
                       ":2: ping_max (max_pings_out): set twice (also on line 1)"));
  EXPECT_TRUE(
      HasError(errors_for("log.level: warn\nlog:\n  level: info\n"), ":3: log.level: set twice (also on line 1)"));
}

TEST_F(ConfigTest, YamlAcceptsNestedDottedAliasAndEmptyFiles) {
  ConfigResult r = LoadOk({"-c", WriteYaml("log.level: warn\nping_max: 7\nserver_name: n1\nnet: 127.0.0.1\n")});
  EXPECT_EQ(r.options.log_level, log::Level::kWarn);
  EXPECT_EQ(r.options.max_pings_out, 7);
  EXPECT_EQ(r.options.server_name, "n1");
  EXPECT_EQ(r.options.addr, "127.0.0.1");
  r = LoadOk({"-c", WriteYaml("log:\n  level: trace\n  file: /tmp/t.log\nqueue_policy: round_robin\n")});
  EXPECT_EQ(r.options.log_level, log::Level::kTrace);
  EXPECT_EQ(r.options.log_file, "/tmp/t.log");
  EXPECT_EQ(r.options.queue_policy, QueuePolicy::kRoundRobin);
  LoadOk({"-c", WriteYaml("")});
  LoadOk({"-c", WriteYaml("# only a comment\n")});
}

}  // namespace
}  // namespace tern::server
