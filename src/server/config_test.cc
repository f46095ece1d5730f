#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tern::server {
namespace {

using std::chrono::milliseconds;
using Env = std::map<std::string, std::string>;

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Passes when some error contains `needle`; on failure prints every error.
::testing::AssertionResult HasError(const ConfigResult& r, std::string_view needle) {
  for (const auto& e : r.errors) {
    if (e.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error contains \"" << needle << "\"; errors:" << Joined(r.errors);
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tern-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteYaml(const std::string& text, const std::string& name = "tern.yaml") {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  static ConfigResult Load(std::vector<std::string> args, const Env& env = {}) {
    args.insert(args.begin(), "tern-server");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return LoadConfig(static_cast<int>(argv.size()), argv.data(), env);
  }

  static ConfigResult LoadOk(std::vector<std::string> args, const Env& env = {}) {
    ConfigResult r = Load(std::move(args), env);
    EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
    return r;
  }

  std::filesystem::path dir_;
};

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

TEST(ParseDurationTest, Valid) {
  const std::pair<const char*, int64_t> cases[] = {
      {"0", 0},          {"0s", 0},      {"250ms", 250}, {"3s", 3000},           {"2m", 120'000},   {"1h", 3'600'000},
      {"1m30s", 90'000}, {"1.5s", 1500}, {".5s", 500},   {"1h0m1ms", 3'600'001}, {"0.25m", 15'000}, {"10ms", 10},
  };
  for (auto [text, ms] : cases) {
    milliseconds d{-1};
    EXPECT_TRUE(ParseDuration(text, &d)) << text;
    EXPECT_EQ(d.count(), ms) << text;
  }
}

TEST(ParseDurationTest, Invalid) {
  for (const char* text : {"", "10", "3S", "-1s", "1.5ms", "s", "3 s", " 3s", "1.s", "3sec", "1e3ms", "1..5s", "3s ",
                           "99999999999999999999h", "9223372036854775807h", "2562047788015h59m", "2d"}) {
    milliseconds d{42};
    EXPECT_FALSE(ParseDuration(text, &d)) << text;
    EXPECT_EQ(d.count(), 42) << "output untouched on failure: " << text;
  }
}

TEST(ParseSizeTest, Valid) {
  const std::pair<const char*, uint64_t> cases[] = {
      {"0", 0},
      {"1024", 1024},
      {"10b", 10},
      {"1K", 1000},
      {"64KB", 65536},
      {"64kb", 65536},
      {"64KiB", 65536},
      {"1M", 1'000'000},
      {"1MiB", 1 << 20},
      {"1mb", 1 << 20},
      {"2GB", 2ull << 30},
      {"1G", 1'000'000'000},
      {"1TiB", 1ull << 40},
      {"3Mi", 3u << 20},
  };
  for (auto [text, bytes] : cases) {
    uint64_t v = 7;
    EXPECT_TRUE(ParseSize(text, &v)) << text;
    EXPECT_EQ(v, bytes) << text;
  }
}

TEST(ParseSizeTest, Invalid) {
  for (const char* text :
       {"", "12XB", "1.5MB", "-1", "MB", "1 MB", "+1", "20000000000000000000", "16777216TiB", "1KBB"}) {
    uint64_t v = 7;
    EXPECT_FALSE(ParseSize(text, &v)) << text;
    EXPECT_EQ(v, 7u) << text;
  }
}

TEST(FormatTest, PicksTheLargestExactUnit) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(3000)), "3s");
  EXPECT_EQ(FormatDuration(milliseconds(120'000)), "2m");
  EXPECT_EQ(FormatDuration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(FormatSize(1 << 20), "1MiB");
  EXPECT_EQ(FormatSize(64 << 10), "64KiB");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(0), "0");
  for (int64_t ms : {1, 999, 1000, 61'000, 3'600'000}) {
    milliseconds back{};
    ASSERT_TRUE(ParseDuration(FormatDuration(milliseconds(ms)), &back));
    EXPECT_EQ(back.count(), ms);
  }
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

TEST_F(ConfigTest, HelpAndVersionSkipTheOtherLayers) {
  std::string missing = (dir_ / "missing.yaml").string();
  ConfigResult r = Load({"-h", "-c", missing}, {{"TERN_PORT", "bad"}});
  EXPECT_TRUE(r.help);
  EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_TRUE(Load({"--help"}).help);
  EXPECT_TRUE(Load({"-v"}).version);
  EXPECT_TRUE(Load({"--version"}).version);
}

TEST_F(ConfigTest, LingerAsYamlList) {
  std::string path = WriteYaml(R"(linger:
  - subject: room.>
    for: 3s
    max_bytes: 64MiB
  - subject: chat.*
    for: 1500ms
  - subject: news
    max_bytes: 1KB
)");
  ConfigResult r = LoadOk({"-c", path});
  ASSERT_EQ(r.options.linger.size(), 3u);
  EXPECT_EQ(r.options.linger[0].subject, "room.>");
  EXPECT_EQ(r.options.linger[0].hold, milliseconds(3000));
  EXPECT_EQ(r.options.linger[0].max_bytes, 64u << 20);
  EXPECT_EQ(r.options.linger[1].subject, "chat.*");
  EXPECT_EQ(r.options.linger[1].hold, milliseconds(1500));
  EXPECT_EQ(r.options.linger[1].max_bytes, LingerRule{}.max_bytes);
  EXPECT_EQ(r.options.linger[2].hold, LingerRule{}.hold);
  EXPECT_EQ(r.options.linger[2].max_bytes, 1024u);
  // The compact form is accepted in the file too.
  EXPECT_EQ(LoadOk({"-c", WriteYaml("linger: a.>=2s\n")}).options.linger.at(0).hold, milliseconds(2000));
}

TEST_F(ConfigTest, LingerYamlErrorsNameTheRule) {
  std::string path = WriteYaml(R"(linger:
  - for: 3s
  - subject: a..b
  - subject: ok
    fro: 3s
  - subject: ok2
    for: 3
    max_bytes: lots
  - just-a-string
)");
  ConfigResult r = Load({"-c", path});
  EXPECT_TRUE(HasError(r, path + ":2: linger[0]: subject is missing"));
  EXPECT_TRUE(HasError(r, path + ":3: linger[1]: 'a..b' is not a valid subject"));
  EXPECT_TRUE(HasError(r, path + ":4: linger[2]: unknown key 'fro' (expected subject, for, max_bytes)"));
  EXPECT_TRUE(HasError(r, "linger[3].for: '3' is not a duration"));
  EXPECT_TRUE(HasError(r, "linger[3].max_bytes: 'lots' is not a size"));
  EXPECT_TRUE(HasError(r, path + ":9: linger[4]: expected a map"));
  EXPECT_EQ(r.errors.size(), 6u) << Joined(r.errors);
}

TEST_F(ConfigTest, LingerCompactForm) {
  ConfigResult r = LoadOk({"--linger", "room.>=3s/64MiB, chat.*=1s,news"});
  ASSERT_EQ(r.options.linger.size(), 3u);
  EXPECT_EQ(r.options.linger[0].subject, "room.>");
  EXPECT_EQ(r.options.linger[0].max_bytes, 64u << 20);
  EXPECT_EQ(r.options.linger[1].subject, "chat.*");
  EXPECT_EQ(r.options.linger[1].hold, milliseconds(1000));
  EXPECT_EQ(r.options.linger[2].subject, "news");
  EXPECT_EQ(FormatLingerRules(r.options.linger), "room.>=3s/64MiB,chat.*=1s/64MiB,news=3s/64MiB");

  // A repeated flag adds; a flag replaces the file's list; "" clears it.
  std::string path = WriteYaml("linger:\n  - subject: from.file\n");
  EXPECT_EQ(LoadOk({"--linger", "a=1s", "--linger", "b=2s"}).options.linger.size(), 2u);
  EXPECT_EQ(LoadOk({"-c", path, "--linger", "a=1s"}).options.linger.at(0).subject, "a");
  EXPECT_TRUE(LoadOk({"-c", path}, {{"TERN_LINGER", ""}}).options.linger.empty());
  EXPECT_EQ(LoadOk({}, {{"TERN_LINGER", "x.*=250ms/1MiB"}}).options.linger.at(0).hold, milliseconds(250));

  EXPECT_TRUE(HasError(Load({"--linger", "a.>.b=1s"}), "--linger: 'a.>.b' is not a valid subject"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=1s,,b"}), "--linger: empty rule"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=0s"}), "a: hold time must be at least 1ms"));
  EXPECT_TRUE(HasError(Load({"--linger", "a=1s,a=2s"}), "linger (from --linger): subject 'a' is listed twice"));
}

TEST(ParseLingerRulesTest, CollectsEveryBadRule) {
  std::vector<LingerRule> rules;
  std::vector<std::string> problems;
  EXPECT_FALSE(ParseLingerRules("a b=1s,ok=2x,fine=1s/9QB,good", &rules, &problems));
  EXPECT_EQ(problems.size(), 3u) << Joined(problems);
  rules.clear();
  problems.clear();
  EXPECT_TRUE(ParseLingerRules("x.*.y=1m/1KB,>", &rules, &problems)) << Joined(problems);
  EXPECT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].hold, milliseconds(60'000));
}

TEST(HelpTextTest, ListsEveryOptionInAllForms) {
  const std::vector<std::string> names = {"config",
                                          "name",
                                          "addr",
                                          "port",
                                          "http_port",
                                          "workers",
                                          "log.level",
                                          "log.file",
                                          "max_payload",
                                          "max_control_line",
                                          "max_connections",
                                          "max_subscriptions",
                                          "max_pending",
                                          "write_deadline",
                                          "ping_interval",
                                          "max_pings_out",
                                          "auth_timeout",
                                          "shutdown_grace",
                                          "queue_policy",
                                          "linger"};
  EXPECT_EQ(OptionNames(), names);
  std::string help = HelpText();
  for (const auto& name : names) {
    std::string env = "TERN_";
    for (char c : name) env += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    EXPECT_NE(help.find("--" + name + " <"), std::string::npos) << name;
    EXPECT_NE(help.find(env), std::string::npos) << env;
  }
  for (const char* text :
       {"-c, --config <file>", "-p, --port <port>", "-a, --addr <host> (also --net)", "-m, --http_port",
        "-l, --log, --log.file", "-n, --name", "(also --ping_max)", "default: 4222", "default: 1MiB", "default: 2m",
        "default: info", "<trace|debug|info|warn|error|off>", "<random|round_robin>", "-DV", "--help", "--version"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text << "\n" << help;
  }
}

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

}  // namespace
}  // namespace tern::server
