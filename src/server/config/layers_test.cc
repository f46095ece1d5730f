#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

TEST_F(ConfigTest, NothingGivenMeansDefaults) {
  ConfigResult r = LoadOk({});
  Options d;
  EXPECT_EQ(r.options.port, d.port);
  EXPECT_EQ(r.options.addr, d.addr);
  EXPECT_EQ(r.options.max_payload, d.max_payload);
  EXPECT_EQ(r.options.log_level, d.log_level);
  EXPECT_TRUE(r.options.layers.empty());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_FALSE(r.help);
  EXPECT_FALSE(r.version);
}

// Every subset of {file, env, flag}: the highest layer present wins and is
// recorded as the option's layer.
TEST_F(ConfigTest, PrecedenceInEveryCombination) {
  for (int mask = 0; mask < 8; ++mask) {
    SCOPED_TRACE("mask " + std::to_string(mask));
    bool file = mask & 1, env_set = mask & 2, flag = mask & 4;
    std::vector<std::string> args;
    Env env;
    if (file) args = {"-c", WriteYaml("port: 1001\nlog:\n  level: debug\n")};
    if (env_set) env = {{"TERN_PORT", "1002"}, {"TERN_LOG_LEVEL", "warn"}};
    if (flag) args.insert(args.end(), {"--port", "1003", "--log.level=error"});
    ConfigResult r = LoadOk(args, env);
    int want_port = flag ? 1003 : env_set ? 1002 : file ? 1001 : 4222;
    log::Level want_level = flag      ? log::Level::kError
                            : env_set ? log::Level::kWarn
                            : file    ? log::Level::kDebug
                                      : log::Level::kInfo;
    ConfigLayer want_layer = flag      ? ConfigLayer::kFlag
                             : env_set ? ConfigLayer::kEnv
                             : file    ? ConfigLayer::kFile
                                       : ConfigLayer::kDefault;
    EXPECT_EQ(r.options.port, want_port);
    EXPECT_EQ(r.options.log_level, want_level);
    auto layer = [&](const std::string& name) {
      auto it = r.options.layers.find(name);
      return it == r.options.layers.end() ? ConfigLayer::kDefault : it->second;
    };
    EXPECT_EQ(layer("port"), want_layer);
    EXPECT_EQ(layer("log.level"), want_layer);
  }
}

TEST_F(ConfigTest, LayersMergeOptionByOption) {
  std::string path = WriteYaml("max_payload: 2MiB\nport: 1\nname: from-file\n");
  ConfigResult r = LoadOk({"-c", path, "--name", "from-flag"}, {{"TERN_PORT", "2"}, {"TERN_WORKERS", "3"}});
  EXPECT_EQ(r.options.max_payload, 2u << 20);
  EXPECT_EQ(r.options.port, 2);
  EXPECT_EQ(r.options.workers, 3);
  EXPECT_EQ(r.options.server_name, "from-flag");
  EXPECT_EQ(r.options.config_file, path);
  EXPECT_EQ(r.options.layers.at("max_payload"), ConfigLayer::kFile);
  EXPECT_EQ(r.options.layers.at("config"), ConfigLayer::kFlag);
}

TEST_F(ConfigTest, ConfigPathFlagBeatsEnv) {
  std::string a = WriteYaml("port: 1111\n", "a.yaml");
  std::string b = WriteYaml("port: 2222\n", "b.yaml");
  EXPECT_EQ(LoadOk({}, {{"TERN_CONFIG", a}}).options.port, 1111);
  EXPECT_EQ(LoadOk({"--config", b}, {{"TERN_CONFIG", a}}).options.port, 2222);
  EXPECT_EQ(LoadOk({"-c", a, "-c", b}).options.port, 2222);
}

TEST_F(ConfigTest, MissingConfigFileNamesWhereThePathCameFrom) {
  std::string missing = (dir_ / "nope.yaml").string();
  EXPECT_TRUE(HasError(Load({"-c", missing}), "-c (config): cannot read config file '" + missing + "'"));
  EXPECT_TRUE(HasError(Load({}, {{"TERN_CONFIG", missing}}), "TERN_CONFIG: cannot read config file"));
  EXPECT_TRUE(
      HasError(Load({"--config", dir_.string()}), "--config: config file '" + dir_.string() + "' is a directory"));
}

TEST_F(ConfigTest, BadValueMessagesNameOptionAndSource) {
  EXPECT_EQ(Load({"--max_payload", "12XB"}).errors,
            std::vector<std::string>{"--max_payload: '12XB' is not a size (e.g. 1MiB, 512KB, 1024)"});
  EXPECT_EQ(Load({}, {{"TERN_MAX_PAYLOAD", "12XB"}}).errors,
            std::vector<std::string>{"TERN_MAX_PAYLOAD: '12XB' is not a size (e.g. 1MiB, 512KB, 1024)"});
  std::string path = WriteYaml("port: 4222\nmax_payload: 12XB\n");
  EXPECT_EQ(Load({"-c", path}).errors,
            std::vector<std::string>{path + ":2: max_payload: '12XB' is not a size (e.g. 1MiB, 512KB, 1024)"});
  EXPECT_TRUE(HasError(Load({"-p", "http"}), "-p (port): 'http' is not a port (0-65535, or -1 for a random port)"));
}

// Each option with a value it must refuse, through each of the three forms.
TEST_F(ConfigTest, EveryOptionRejectsBadValuesInEveryForm) {
  const std::pair<std::string, std::string> cases[] = {
      {"addr", ""},
      {"port", "abc"},
      {"port", "70000"},
      {"port", "-2"},
      {"http_port", "x"},
      {"workers", "-1"},
      {"workers", "many"},
      {"workers", "5000"},
      {"log.level", "loud"},
      {"max_payload", "0"},
      {"max_payload", "2GiB"},
      {"max_control_line", "1x"},
      {"max_connections", "0"},
      {"max_subscriptions", "-1"},
      {"max_pending", "big"},
      {"write_deadline", "10"},
      {"ping_interval", "0s"},
      {"max_pings_out", "0"},
      {"auth_timeout", "2 s"},
      {"shutdown_grace", "soon"},
      {"queue_policy", "fifo"},
      {"linger", "a..b=3s"},
      {"linger", "a=3x"},
      {"linger", "a=3s/lots"},
  };
  for (const auto& [name, bad] : cases) {
    SCOPED_TRACE(name + " = '" + bad + "'");
    std::string env_name = "TERN_";
    for (char c : name) env_name += c == '.' ? '_' : static_cast<char>(std::toupper(c));

    ConfigResult by_flag = Load({"--" + name + "=" + bad});
    ASSERT_EQ(by_flag.errors.size(), 1u) << Joined(by_flag.errors);
    EXPECT_EQ(by_flag.errors[0].rfind("--" + name + ": ", 0), 0u) << by_flag.errors[0];

    ConfigResult by_env = Load({}, {{env_name, bad}});
    ASSERT_EQ(by_env.errors.size(), 1u) << Joined(by_env.errors);
    EXPECT_EQ(by_env.errors[0].rfind(env_name + ": ", 0), 0u) << by_env.errors[0];

    std::string path = WriteYaml("# bad value on line 2\n" + name + ": '" + bad + "'\n");
    ConfigResult by_file = Load({"-c", path});
    ASSERT_EQ(by_file.errors.size(), 1u) << Joined(by_file.errors);
    EXPECT_EQ(by_file.errors[0].rfind(path + ":2: " + name + ": ", 0), 0u) << by_file.errors[0];
  }
}

TEST_F(ConfigTest, PayloadAbovePendingNamesBothAndWhereTheyCameFrom) {
  ConfigResult r = Load({"--max_payload", "2MiB"}, {{"TERN_MAX_PENDING", "1MiB"}});
  EXPECT_EQ(r.errors,
            std::vector<std::string>{
                "max_payload (2MiB, from --max_payload) must not exceed max_pending (1MiB, from TERN_MAX_PENDING)"});
  EXPECT_TRUE(HasError(Load({"--max_pending", "1KiB"}), "max_payload (1MiB, from default)"));
  LoadOk({"--max_payload", "2MiB", "--max_pending", "2MiB"});
}

TEST_F(ConfigTest, CollectsEveryErrorFromEveryLayer) {
  std::string path = WriteYaml("max_paylod: 1\nping_interval: 3\n");
  ConfigResult r = Load({"-c", path, "--port", "x", "--bogus", "1", "stray"}, {{"TERN_WORKERS", "z"}});
  EXPECT_EQ(r.errors.size(), 6u) << Joined(r.errors);
  EXPECT_TRUE(HasError(r, path + ":1: unknown option 'max_paylod' (did you mean max_payload?)"));
  EXPECT_TRUE(HasError(r, path + ":2: ping_interval: '3' is not a duration"));
  EXPECT_TRUE(HasError(r, "--port: 'x' is not a port"));
  EXPECT_TRUE(HasError(r, "unknown flag '--bogus'"));
  EXPECT_TRUE(HasError(r, "unexpected argument 'stray'"));
  EXPECT_TRUE(HasError(r, "TERN_WORKERS: 'z' is not a whole number"));
}

TEST_F(ConfigTest, UnknownAndMalformedFlags) {
  EXPECT_EQ(Load({"--max_paylod=1"}).errors,
            std::vector<std::string>{"unknown flag '--max_paylod' (did you mean --max_payload?)"});
  EXPECT_TRUE(HasError(Load({"-x"}), "unknown flag '-x'"));
  EXPECT_TRUE(HasError(Load({"--"}), "unexpected argument '--'"));
  EXPECT_TRUE(HasError(Load({"-"}), "unexpected argument '-'"));
  EXPECT_TRUE(HasError(Load({"--port"}), "--port: needs a value"));
  EXPECT_TRUE(HasError(Load({"-D=1"}), "-D: takes no value"));
}

TEST_F(ConfigTest, UnknownTernVariablesWarnWithoutFailing) {
  ConfigResult r = LoadOk({}, {{"TERN_PROT", "1"}, {"HOME", "/root"}, {"TERNARY", "x"}});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "TERN_PROT: not a tern-server option, ignored (did you mean TERN_PORT?)");
}

TEST_F(ConfigTest, NatsServerFlagSpellings) {
  std::string path = WriteYaml("workers: 2\n");
  ConfigResult r =
      LoadOk({"-a", "127.0.0.1", "-p", "4333", "-m", "8222", "-l", "/tmp/tern.log", "-c", path, "--name", "n1"});
  EXPECT_EQ(r.options.addr, "127.0.0.1");
  EXPECT_EQ(r.options.port, 4333);
  EXPECT_EQ(r.options.http_port, 8222);
  EXPECT_EQ(r.options.log_file, "/tmp/tern.log");
  EXPECT_EQ(r.options.workers, 2);
  EXPECT_EQ(r.options.server_name, "n1");

  EXPECT_EQ(LoadOk({"--net", "10.0.0.1"}).options.addr, "10.0.0.1");
  EXPECT_EQ(LoadOk({"--addr=10.0.0.2"}).options.addr, "10.0.0.2");
  EXPECT_EQ(LoadOk({"--log", "/tmp/a.log"}).options.log_file, "/tmp/a.log");
  EXPECT_EQ(LoadOk({"-n", "a"}).options.server_name, "a");
  EXPECT_EQ(LoadOk({"--server_name", "b"}).options.server_name, "b");
  EXPECT_EQ(LoadOk({"--http_port", "0"}).options.http_port, 0);
  EXPECT_EQ(LoadOk({"-port", "5"}).options.port, 5);  // Go's flag package takes one dash too
  EXPECT_EQ(LoadOk({"-p", "-1"}).options.port, -1);   // random port, as in nats-server
  EXPECT_EQ(LoadOk({"--ping_max", "9"}).options.max_pings_out, 9);

  auto level = [&](std::vector<std::string> args) { return LoadOk(std::move(args)).options.log_level; };
  EXPECT_EQ(level({"-D"}), log::Level::kDebug);
  EXPECT_EQ(level({"--debug"}), log::Level::kDebug);
  EXPECT_EQ(level({"-V"}), log::Level::kTrace);
  EXPECT_EQ(level({"--trace"}), log::Level::kTrace);
  EXPECT_EQ(level({"-DV"}), log::Level::kTrace);
  EXPECT_EQ(level({"-D", "-V"}), log::Level::kTrace);
  EXPECT_EQ(level({"-V", "-D"}), log::Level::kTrace);  // debug and trace both on, as in nats-server
  EXPECT_EQ(level({"-D", "--log.level=warn"}), log::Level::kWarn);
  EXPECT_EQ(level({"--log.level=warn", "-D"}), log::Level::kDebug);
  // A shortcut is a flag: it beats the environment.
  EXPECT_EQ(LoadOk({"-D"}, {{"TERN_LOG_LEVEL", "error"}}).options.log_level, log::Level::kDebug);
}

// nats-server's --cluster nats://user:pass@host:port: the credentials are
// the cluster's authorization, and leave the URL (which logs show).
TEST_F(ConfigTest, ClusterUrlCredentialsBecomeTheClusterAuthorization) {
  ConfigResult r = LoadOk({"--cluster", "nats://ruser:p%40ss@127.0.0.1:6222"});
  EXPECT_EQ(r.options.cluster.authorization.user, "ruser");
  EXPECT_EQ(r.options.cluster.authorization.password, "p@ss");
  EXPECT_EQ(r.options.cluster.listen, "nats://127.0.0.1:6222");
  EXPECT_EQ(r.options.layers.at("cluster.authorization.password"), ConfigLayer::kFlag);
  EXPECT_TRUE(HasError(Load({"--cluster", "nats://ruser@127.0.0.1:6222"}), "expected cluster password to be set"));
  EXPECT_TRUE(
      HasError(Load({"--cluster.authorization.user", "u", "--cluster", "127.0.0.1:6222"}),
               "cluster.authorization.user (from --cluster.authorization.user) and cluster.authorization.password"));
  ConfigResult yaml =
      LoadOk({"-c", WriteYaml("cluster:\n  listen: 127.0.0.1:6222\n  authorization:\n    user: u\n"
                              "    password: $2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUV12\n"
                              "    timeout: 3s\n")});
  EXPECT_EQ(yaml.options.cluster.authorization.user, "u");
  EXPECT_EQ(yaml.options.cluster.authorization.timeout, milliseconds(3000));
}

TEST_F(ConfigTest, HelpAndVersionSkipTheOtherLayers) {
  std::string missing = (dir_ / "missing.yaml").string();
  ConfigResult r = Load({"-h", "-c", missing}, {{"TERN_PORT", "bad"}});
  EXPECT_TRUE(r.help);
  EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_TRUE(Load({"--help"}).help);
  EXPECT_TRUE(Load({"-v"}).version);
  EXPECT_TRUE(Load({"--version"}).version);
}

}  // namespace
}  // namespace tern::server
