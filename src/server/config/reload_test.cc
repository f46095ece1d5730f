#include <set>

#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

class ReloadTest : public ConfigTest {};

TEST_F(ReloadTest, KeepsFlagsAndEnvAppliesReloadableReportsTheRest) {
  std::string path = WriteYaml("port: 4222\nmax_connections: 10\nping_interval: 1m\nlog:\n  level: info\n");
  ConfigResult start = LoadOk({"-c", path, "--max_pending", "32MiB"}, {{"TERN_PING_INTERVAL", "30s"}});
  ASSERT_EQ(start.options.max_connections, 10);

  WriteYaml(
      "port: 5000\nmax_pending: 1MiB\nping_interval: 5s\nmax_payload: 2MiB\nlinger: a=1s\n"
      "log:\n  level: debug\n");
  ConfigResult r = ReloadFromFile(start.options);
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_EQ(r.options.log_level, log::Level::kDebug);
  EXPECT_EQ(r.options.max_payload, 2u << 20);
  EXPECT_EQ(r.options.max_connections, Options{}.max_connections);  // removed from the file: back to default
  EXPECT_EQ(r.options.max_pending, 32u << 20);                      // flag still wins
  EXPECT_EQ(r.options.ping_interval, milliseconds(30'000));         // env still wins
  EXPECT_EQ(r.options.port, 4222);                                  // kept until restart
  EXPECT_TRUE(r.options.linger.empty());
  EXPECT_EQ(r.options.config_file, path);
  EXPECT_EQ(r.options.layers.at("max_pending"), ConfigLayer::kFlag);
  EXPECT_EQ(r.options.layers.at("port"), ConfigLayer::kFile);

  std::map<std::string, std::pair<std::string, std::string>> reloaded, restart;
  for (const auto& c : r.reloaded) reloaded[c.name] = {c.before, c.after};
  for (const auto& c : r.needs_restart) restart[c.name] = {c.before, c.after};
  EXPECT_EQ(
      reloaded,
      (std::map<std::string, std::pair<std::string, std::string>>{
          {"log.level", {"info", "debug"}}, {"max_payload", {"1MiB", "2MiB"}}, {"max_connections", {"10", "65536"}}}));
  EXPECT_EQ(restart, (std::map<std::string, std::pair<std::string, std::string>>{{"port", {"4222", "5000"}},
                                                                                 {"linger", {"", "a=1s/64MiB"}}}));

  // Reloading the same file again changes nothing further but still reports
  // the pending restart.
  ConfigResult again = ReloadFromFile(r.options);
  ASSERT_TRUE(again.errors.empty()) << Joined(again.errors);
  EXPECT_TRUE(again.reloaded.empty());
  EXPECT_EQ(again.needs_restart.size(), 2u);
}

TEST_F(ReloadTest, BadFileLeavesOptionsUntouched) {
  std::string path = WriteYaml("port: 4333\nlog:\n  level: warn\n");
  ConfigResult start = LoadOk({"-c", path});
  WriteYaml("port: 4333\nlog:\n  level: chatty\nmax_pings_out: 0\n");
  ConfigResult r = ReloadFromFile(start.options);
  EXPECT_EQ(r.errors.size(), 2u) << Joined(r.errors);
  EXPECT_TRUE(HasError(r, path + ":3: log.level: 'chatty' is not one of trace, debug, info, warn, error, off"));
  EXPECT_EQ(r.options.log_level, log::Level::kWarn);
  EXPECT_EQ(r.options.port, 4333);
  EXPECT_TRUE(r.reloaded.empty());

  std::filesystem::remove(path);
  EXPECT_TRUE(HasError(ReloadFromFile(start.options), "reload: cannot read config file"));
  EXPECT_TRUE(HasError(ReloadFromFile(Options{}), "no config file"));
}

TEST_F(ReloadTest, ChecksCrossOptionRulesAgainstKeptOverrides) {
  std::string path = WriteYaml("max_payload: 1MiB\n");
  ConfigResult start = LoadOk({"-c", path, "--max_pending", "4MiB"});
  WriteYaml("max_payload: 8MiB\n");
  EXPECT_TRUE(
      HasError(ReloadFromFile(start.options),
               "max_payload (8MiB, from " + path + ":1: max_payload) must not exceed max_pending (4MiB, from flag)"));
}

// An empty name means the server id: a reload log says so rather than
// showing nothing before the arrow.
TEST_F(ReloadTest, EmptyValuesShowWhatTheyMean) {
  std::string path = WriteYaml("port: 4222\n");
  ConfigResult start = LoadOk({"-c", path});
  WriteYaml("name: edge-1\nlog:\n  file: /tmp/tern-reload-test.log\nqueue_policy: round_robin\n");
  ConfigResult r = ReloadFromFile(start.options);
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  std::map<std::string, std::pair<std::string, std::string>> reloaded, restart;
  for (const auto& c : r.reloaded) reloaded[c.name] = {c.before, c.after};
  for (const auto& c : r.needs_restart) restart[c.name] = {c.before, c.after};
  EXPECT_EQ(restart,
            (std::map<std::string, std::pair<std::string, std::string>>{{"name", {"the server id", "edge-1"}}}));
  EXPECT_EQ(reloaded,
            (std::map<std::string, std::pair<std::string, std::string>>{
                {"log.file", {"stderr", "/tmp/tern-reload-test.log"}}, {"queue_policy", {"random", "round_robin"}}}));
  EXPECT_EQ(r.options.queue_policy, QueuePolicy::kRoundRobin);
  EXPECT_EQ(r.options.server_name, "");
}

TEST_F(ReloadTest, ListenersAndTlsNeedARestart) {
  std::string path = WriteYaml("websocket:\n  port: 8081\n");
  ConfigResult start = LoadOk({"-c", path});
  WriteYaml("websocket:\n  port: 8082\n  compression: true\ntls:\n  cert_file: " + Cert() + "\n  key_file: " + Key() +
            "\n");
  ConfigResult r = ReloadFromFile(start.options);
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  std::set<std::string> restart;
  for (const auto& c : r.needs_restart) restart.insert(c.name);
  EXPECT_EQ(restart,
            (std::set<std::string>{"websocket.port", "websocket.compression", "tls.cert_file", "tls.key_file"}));
  EXPECT_TRUE(r.reloaded.empty());
  EXPECT_EQ(r.options.websocket.port, 8081);
  EXPECT_FALSE(r.options.tls.enabled());
}

}  // namespace
}  // namespace tern::server
