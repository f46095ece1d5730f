// nats-server configuration files through LoadConfig: what maps, what is
// warned about, what is refused; and that nats-server itself takes the
// same files, when it is installed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

std::string FindNatsServer() {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/nats-server";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// nats-server 2.9 has no -t: start it with the file and see whether it
// reports ready (or, logging to a file, is still up after a while) or
// exits, as it does at once on a bad file. The files use random ports (-1)
// so that nothing else on the machine is in the way.
::testing::AssertionResult NatsServerAccepts(const std::string& file) {
  static const std::string binary = FindNatsServer();
  std::string log = file + ".nats-server.log";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(binary.c_str(), "nats-server", "-c", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto read_log = [&] {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < start + std::chrono::seconds(10)) {
    bool quiet_but_up = std::chrono::steady_clock::now() > start + std::chrono::milliseconds(1500);
    if (read_log().find("Server is ready") != std::string::npos || quiet_but_up) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      return ::testing::AssertionSuccess();
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) return ::testing::AssertionFailure() << "nats-server: " << read_log();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return ::testing::AssertionFailure() << "nats-server hung: " << read_log();
}

class NatsFileTest : public ConfigTest {
 protected:
  // A real certificate and key (nats-server loads them), or false when
  // there is no openssl to make one.
  bool RealCert() {
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout " + Key() +
                      " -out " + Cert() + " >/dev/null 2>&1 && cp " + Cert() + " " + Ca();
    return std::system(cmd.c_str()) == 0;
  }
  void ExpectNatsServerAccepts(const std::string& file) {
    if (FindNatsServer().empty()) {
      GTEST_LOG_(INFO) << "nats-server is not installed: not cross-checked";
      return;
    }
    EXPECT_TRUE(NatsServerAccepts(file)) << file;
  }
};

TEST_F(NatsFileTest, ARealisticServerFile) {
  std::string log = (dir_ / "nats.log").string(), pid = (dir_ / "nats.pid").string();
  std::string path = WriteFile("nats-server.conf", R"(# A single node, as the nats-server docs write one.
server_name: "edge-1"
listen: 127.0.0.1:-1
http: -1

max_payload: 2MB
max_pending: 64MB
max_control_line: 8KB
max_connections: 10K
max_subs: 1000
ping_interval: "30s"
ping_max: 3
write_deadline: "5s"

debug: true
trace: false
logtime: true
logfile: ")" + log + R"("
pid_file: ")" + pid + R"("
)");
  ConfigResult r = LoadOk({"-c", path});
  const Options& o = r.options;
  EXPECT_EQ(o.server_name, "edge-1");
  EXPECT_EQ(o.addr, "127.0.0.1");
  EXPECT_EQ(o.port, -1);
  EXPECT_EQ(o.http_port, -1);
  EXPECT_EQ(o.max_payload, 2u << 20);
  EXPECT_EQ(o.max_pending, 64u << 20);
  EXPECT_EQ(o.max_control_line, 8u << 10);
  EXPECT_EQ(o.max_connections, 10'000);  // nats-server: K is 1000, KB 1024
  EXPECT_EQ(o.max_subscriptions, 1000);
  EXPECT_EQ(o.ping_interval, milliseconds(30'000));
  EXPECT_EQ(o.max_pings_out, 3);
  EXPECT_EQ(o.write_deadline, milliseconds(5000));
  EXPECT_EQ(o.log_level, log::Level::kDebug);
  EXPECT_EQ(o.log_file, log);
  EXPECT_FALSE(o.websocket.enabled());  // no websocket block: off, as in nats-server
  EXPECT_FALSE(o.mqtt.enabled());       // nor MQTT without an mqtt block
  EXPECT_EQ(o.layers.at("max_subscriptions"), ConfigLayer::kFile);
  EXPECT_EQ(r.warnings.size(), 2u) << Joined(r.warnings);
  EXPECT_TRUE(HasWarning(r, path + ":17: logtime: nats-server option not supported by tern, ignored"));
  EXPECT_TRUE(HasWarning(r, path + ":19: pid_file: nats-server option not supported by tern, ignored"));
  ExpectNatsServerAccepts(path);
}

TEST_F(NatsFileTest, TlsAndWebsocketBlocks) {
  bool real_cert = RealCert();
  std::string path = WriteFile("tls.conf", R"(port: -1
tls {
  cert_file: ")" + Cert() + R"("
  key_file: ")" + Key() + R"("
  ca_file: ")" + Ca() + R"("
  verify: true
  timeout: 0.5
}
websocket {
  port: -1
  same_origin: true
  allowed_origins: ["https://app.example.com", "https://admin.example.com"]
  compression: true
  handshake_timeout: "5s"
  tls {
    cert_file: ")" + Cert() + R"("
    key_file: ")" + Key() + R"("
  }
}
)");
  ConfigResult r = LoadOk({"-c", path});
  const Options& o = r.options;
  EXPECT_EQ(o.tls.cert_file, Cert());
  EXPECT_EQ(o.tls.ca_file, Ca());
  EXPECT_TRUE(o.tls.verify);
  EXPECT_EQ(o.tls.timeout, milliseconds(500));  // a bare number is seconds
  EXPECT_EQ(o.websocket.port, -1);
  EXPECT_EQ(o.websocket.host, "0.0.0.0");  // nats-server's websocket default, not the client host
  EXPECT_TRUE(o.websocket.same_origin);
  EXPECT_EQ(o.websocket.allowed_origins,
            (std::vector<std::string>{"https://app.example.com", "https://admin.example.com"}));
  EXPECT_TRUE(o.websocket.compression);
  EXPECT_EQ(o.websocket.handshake_timeout, milliseconds(5000));
  EXPECT_TRUE(o.websocket.secure());
  EXPECT_TRUE(r.warnings.empty()) << Joined(r.warnings);
  if (real_cert) ExpectNatsServerAccepts(path);
}

// nats-server 2.10's handshake_first and min_version (2.9 refuses both).
TEST_F(NatsFileTest, NewerTlsSettings) {
  auto tls_with = [&](const std::string& line) {
    return Load({"-c", WriteFile("t.conf", "tls {\n  cert_file: " + Cert() + "\n  key_file: " + Key() + "\n  " + line +
                                               "\n}\n")});
  };
  EXPECT_EQ(tls_with("handshake_first: true").options.tls.handshake_first, TlsHandshakeFirst::kOn);
  EXPECT_EQ(tls_with("first: auto").options.tls.handshake_first, TlsHandshakeFirst::kAuto);
  ConfigResult delay = tls_with("handshake_first: \"300ms\"");
  EXPECT_EQ(delay.options.tls.handshake_first, TlsHandshakeFirst::kAuto);
  EXPECT_EQ(delay.options.tls.handshake_first_fallback, milliseconds(300));
  EXPECT_EQ(tls_with("min_version: \"1.3\"").options.tls.min_version, "1.3");
  EXPECT_EQ(tls_with("min_version: 1.3").options.tls.min_version, "1.3");
  EXPECT_TRUE(HasError(tls_with("min_version: 1.1"), ":4: tls.min_version: '1.1' is not one of 1.2, 1.3"));
}

TEST_F(NatsFileTest, IncludesVariablesAndAuthTimeout) {
  WriteFile("conf.d/limits.conf", "max_payload: 512KB\nmax_connections: 100\n");
  std::string path = WriteFile("main.conf", R"(# Values shared by name, as nats-server's docs show.
CLIENT_PORT = -1
NAME: $SERVER_NAME
include conf.d/limits.conf
port: $CLIENT_PORT
server_name: $NAME
authorization {
  timeout: 3
}
)");
  ConfigResult r = LoadOk({"-c", path}, {{"SERVER_NAME", "from-env"}});
  EXPECT_EQ(r.options.port, -1);
  EXPECT_EQ(r.options.server_name, "from-env");
  EXPECT_EQ(r.options.max_payload, 512u << 10);
  EXPECT_EQ(r.options.max_connections, 100);
  EXPECT_EQ(r.options.auth_timeout, milliseconds(3000));
  EXPECT_TRUE(r.warnings.empty()) << Joined(r.warnings);  // CLIENT_PORT and NAME only hold values
  setenv("SERVER_NAME", "from-env", 1);
  ExpectNatsServerAccepts(path);
  unsetenv("SERVER_NAME");
}

TEST_F(NatsFileTest, NatsUnits) {
  auto load = [&](const std::string& text) { return Load({"-c", WriteFile("u.conf", text)}); };
  EXPECT_EQ(load("ping_interval: 120\n").options.ping_interval, milliseconds(120'000));
  EXPECT_EQ(load("write_deadline: 10\n").options.write_deadline, milliseconds(10'000));
  EXPECT_EQ(load("lame_duck_duration: \"30s\"\n").options.lame_duck_duration, milliseconds(30'000));
  EXPECT_EQ(load("lame_duck_grace_period: 2\n").options.lame_duck_grace_period, milliseconds(2'000));
  EXPECT_EQ(load("ping_interval: 2s\n").options.ping_interval, milliseconds(2000));  // bare, as 2.9+ reads it
  EXPECT_EQ(load("ping_interval: \"1m30s\"\n").options.ping_interval, milliseconds(90'000));
  EXPECT_EQ(
      load("websocket {\n  port: -1\n  no_tls: true\n  handshake_timeout: 4\n}\n").options.websocket.handshake_timeout,
      milliseconds(4000));
  EXPECT_EQ(load("authorization { timeout: 0.25 }\n").options.auth_timeout, milliseconds(250));
  EXPECT_EQ(load("max_payload: 1M\n").options.max_payload, 1'000'000u);
  EXPECT_EQ(load("max_payload: 1048576\n").options.max_payload, 1u << 20);
  // In nats-server's syntax m is a million, even for a duration.
  ConfigResult million = load("ping_interval: 1m\n");
  EXPECT_EQ(million.options.ping_interval, milliseconds(1'000'000'000));
  EXPECT_TRUE(HasWarning(million, ":1: ping_interval: '1m' is 1000000 seconds in nats-server's syntax"));
  EXPECT_TRUE(HasError(load("write_deadline: \"10\"\n"), ":1: write_deadline: '10' is not a duration"));
  EXPECT_TRUE(HasError(load("debug: 1\n"), ":1: debug: '1' is not true or false"));
  EXPECT_EQ(load("trace: true\ndebug: false\n").options.log_level, log::Level::kTrace);
  EXPECT_EQ(load("trace_verbose: true\n").options.log_level, log::Level::kTrace);
  EXPECT_EQ(load("debug: false\n").options.log_level, log::Level::kInfo);
  EXPECT_EQ(load("LISTEN: \"[::1]:4333\"\n").options.addr, "::1");  // keys are case-insensitive, as there
  EXPECT_EQ(load("listen: 4333\n").options.port, 4333);
  EXPECT_EQ(load("listen: \":4333\"\n").options.addr, "0.0.0.0");
  EXPECT_EQ(load("net: 10.0.0.1\n").options.addr, "10.0.0.1");
  EXPECT_EQ(load("monitor_port: 8222\n").options.http_port, 8222);
}

// Every nats option tern lacks is named, with file:line. Harmless ones warn;
// the rest stop start-up, so nobody runs an open server believing it locked.
TEST_F(NatsFileTest, UnsupportedOptionsWarnOrRefuse) {
  std::string path = WriteFile("full.conf", R"(port: -1
syslog: true
prof_port: 6060
authorization {
  timeout: 2
  users: [
    {user: alice, password: secret}
  ]
}
accounts { A { users: [{user: bob, password: b}] } }
no_auth_user: bob
cluster { name: c1, listen: 0.0.0.0:6222, permissions: {publish: "x"} }
jetstream { store_dir: /tmp/js }
mqtt { port: 1883, reject_qos2_publish: true }
tls {
  cert_file: ")" + Cert() + R"("
  key_file: ")" + Key() + R"("
  cipher_suites: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]
  pinned_certs: ["aaaa"]
}
websocket {
  port: -1
  no_tls: true
  authorization { token: t }
  advertise: "ws.example.com:443"
}
max_subscriptionz: 10
)");
  ConfigResult r = Load({"-c", path});
  const char* refuse = ": nats-server option not supported by tern; refusing to start without it: ";
  EXPECT_TRUE(HasError(r, path + ":10: accounts" + refuse + "tern has no accounts"));
  EXPECT_TRUE(HasError(r, path + ":11: no_auth_user): 'bob' is not one of authorization.users"));
  EXPECT_TRUE(HasError(r, path + ":12: cluster.permissions" + refuse + "tern has no route permissions"));
  EXPECT_TRUE(HasError(r, path + ":13: jetstream" + refuse + "tern has no JetStream"));
  EXPECT_TRUE(HasError(r, path + ":14: mqtt.reject_qos2_publish" + refuse + "tern delivers QoS 2"));
  EXPECT_TRUE(HasError(r, path + ":18: tls.cipher_suites" + refuse + "tern cannot honour this TLS setting"));
  EXPECT_TRUE(HasError(r, path + ":19: tls.pinned_certs" + refuse));
  EXPECT_TRUE(HasError(r, path + ":24: websocket.authorization" + refuse));
  EXPECT_TRUE(
      HasError(r, path + ":27: max_subscriptionz: unknown nats-server option (did you mean max_subscriptions?)"));
  EXPECT_EQ(r.errors.size(), 9u) << Joined(r.errors);
  EXPECT_TRUE(HasWarning(r, path + ":2: syslog: nats-server option not supported by tern, ignored: tern logs to"));
  EXPECT_TRUE(HasWarning(r, path + ":3: prof_port: nats-server option not supported by tern, ignored: tern "
                                   "has no profiling endpoint"));
  EXPECT_TRUE(HasWarning(r, path + ":25: websocket.advertise: nats-server option not supported by tern, ignored"));
  EXPECT_EQ(r.warnings.size(), 3u) << Joined(r.warnings);
}

TEST_F(NatsFileTest, ClusterBlockMapsOntoClusterOptions) {
  std::string path = WriteFile("cluster.conf", R"(port: -1
client_advertise: "10.1.1.1:4222"
cluster {
  name: east
  listen: 127.0.0.1:6333
  routes: ["nats-route://127.0.0.1:6334", "nats://127.0.0.1:6335"]
  cluster_advertise: "10.1.1.1:6333"
  connect_retries: 3
}
)");
  ConfigResult r = Load({"-c", path});
  EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
  const ClusterOptions& c = r.options.cluster;
  EXPECT_EQ(c.name, "east");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 6333);
  EXPECT_EQ(c.routes, (std::vector<std::string>{"nats-route://127.0.0.1:6334", "nats://127.0.0.1:6335"}));
  EXPECT_EQ(c.advertise, "10.1.1.1:6333");
  EXPECT_EQ(r.options.client_advertise, "10.1.1.1:4222");
  EXPECT_TRUE(c.enabled());
  EXPECT_TRUE(HasWarning(r, path + ":8: cluster.connect_retries: nats-server option not supported by tern, ignored"));
}

TEST_F(NatsFileTest, ClusterAuthorizationIsTheRoutesSecret) {
  std::string path = WriteFile("cluster-auth.conf", R"(cluster {
  listen: 127.0.0.1:6333
  authorization {
    user: route_user
    password: top_secret
    timeout: 0.5
  }
  routes = [nats-route://foo:bar@127.0.0.1:6334]
}
)");
  ConfigResult r = Load({"-c", path});
  EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
  const ClusterAuthOptions& a = r.options.cluster.authorization;
  EXPECT_EQ(a.user, "route_user");
  EXPECT_EQ(a.password, "top_secret");
  EXPECT_EQ(a.timeout, milliseconds(500));
  EXPECT_EQ(r.options.cluster.routes, (std::vector<std::string>{"nats-route://foo:bar@127.0.0.1:6334"}));

  std::string other = WriteFile("cluster-token.conf", "cluster { authorization { token: t } }\n");
  EXPECT_TRUE(HasError(Load({"-c", other}), other + ":1: cluster.authorization.token: nats-server option not "
                                                    "supported by tern; refusing to start without it"));
}

TEST_F(NatsFileTest, ValueErrorsNameTheNatsKeyAndTheTernOption) {
  std::string path = WriteFile("bad.conf", R"(port: "http"
max_subs: many
listen: 127.0.0.1:4333
max_payload: [1]
tls { timeout: "soon" }
websocket { port: -1 }
ws_port: 1
)");
  ConfigResult r = Load({"-c", path});
  EXPECT_TRUE(HasError(r, path + ":1: port: 'http' is not a port"));
  EXPECT_TRUE(HasError(r, path + ":2: max_subs (max_subscriptions): 'many' is not a whole number"));
  EXPECT_TRUE(HasError(r, path + ":3: listen (addr and port): set twice (also on line 1, by port)"));
  EXPECT_TRUE(HasError(r, path + ":4: max_payload: expected a single value, found a list"));
  EXPECT_TRUE(HasError(r, path + ":5: tls.timeout: 'soon' is not a duration"));
  EXPECT_TRUE(HasError(r, path + ":6: websocket: has no tls block and no `no_tls: true`; nats-server refuses this"));
  EXPECT_TRUE(HasError(r, path + ":7: ws_port: unknown nats-server option"));
  EXPECT_EQ(r.errors.size(), 7u) << Joined(r.errors);

  EXPECT_TRUE(HasError(Load({"-c", WriteFile("syntax.conf", "port: 4222\ntls {\n  cert_file: \"x\n")}),
                       "syntax.conf:3: string is not closed"));
}

// The cross-check can tell a refusal: nats-server stops on the same file
// tern refuses for nats-server's own reason.
TEST_F(NatsFileTest, NatsServerRefusesAWebsocketWithoutTlsToo) {
  std::string path = WriteFile("ws.conf", "port: -1\nwebsocket {\n  port: -1\n}\n");
  EXPECT_TRUE(HasError(Load({"-c", path}), "nats-server refuses this"));
  if (FindNatsServer().empty()) GTEST_SKIP() << "nats-server is not installed";
  EXPECT_FALSE(NatsServerAccepts(path));
}

TEST_F(NatsFileTest, DetectedBySyntaxWithoutTheExtension) {
  ConfigResult r = LoadOk({"-c", WriteFile("server.cfg", "port = -1\nmax_payload = 1MB\nping_interval = 60\n")});
  EXPECT_EQ(r.options.ping_interval, milliseconds(60'000));
  EXPECT_EQ(r.options.max_payload, 1u << 20);
  // A tern YAML file without an extension stays YAML.
  EXPECT_EQ(LoadOk({"-c", WriteFile("tern.cfg", "log:\n  level: debug\n")}).options.log_level, log::Level::kDebug);
}

TEST_F(NatsFileTest, FlagsAndEnvironmentStillWinAndReloadRereadsTheConf) {
  std::string path = WriteFile("r.conf", "port: 4333\nmax_connections: 10\nping_interval: \"1m\"\n");
  ConfigResult start = LoadOk({"-c", path, "--max_connections", "20"}, {{"TERN_PORT", "4444"}});
  EXPECT_EQ(start.options.port, 4444);
  EXPECT_EQ(start.options.max_connections, 20);
  EXPECT_EQ(start.options.ping_interval, milliseconds(60'000));
  WriteFile("r.conf", "port: 4333\nmax_connections: 10\nping_interval: 90\ndebug: true\n");
  ConfigResult r = ReloadFromFile(start.options, {});
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_EQ(r.options.ping_interval, milliseconds(90'000));
  EXPECT_EQ(r.options.log_level, log::Level::kDebug);
  EXPECT_EQ(r.options.max_connections, 20);
  EXPECT_EQ(r.options.port, 4444);
  EXPECT_TRUE(r.needs_restart.empty());
}

}  // namespace
}  // namespace tern::server

namespace tern::server::config {
namespace {

TEST_F(NatsFileTest, MqttBlockMapsAndItsTlsPortSpeaksTls) {
  std::string plain = WriteFile("mqtt.conf", "port: -1\nmqtt {\n  port: 1884\n  max_ack_pending: 100\n}\n");
  ConfigResult r = Load({"-c", plain});
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_EQ(r.options.mqtt.port, 1884);
  EXPECT_EQ(r.options.mqtt.max_inflight, 100);
  EXPECT_EQ(r.options.mqtt.websocket.port, 0);
  std::string tls = WriteFile("mqtts.conf", "port: -1\nmqtt {\n  listen: 127.0.0.1:8884\n  tls {\n    cert_file: \"" +
                                                Cert() + "\"\n    key_file: \"" + Key() + "\"\n  }\n}\n");
  r = Load({"-c", tls});
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_EQ(r.options.mqtt.port, 0);
  EXPECT_EQ(r.options.mqtt.tls_port, 8884);
  EXPECT_EQ(r.options.mqtt.host, "127.0.0.1");
  EXPECT_TRUE(r.options.mqtt.tls.enabled());
}

// nats-server's mqtt { no_auth_user } names the user of MQTT clients that
// send none; it must be one of the users, as the top-level one.
TEST_F(NatsFileTest, MqttNoAuthUserIsRead) {
  const std::string users = "authorization {\n  users = [{user: dev, password: d}, {user: app, password: a}]\n}\n";
  std::string good = WriteFile("mqtt-anon.conf", "port: -1\n" + users + "mqtt {\n  port: -1\n  no_auth_user: dev\n}\n");
  ConfigResult r = Load({"-c", good});
  ASSERT_TRUE(r.errors.empty()) << Joined(r.errors);
  EXPECT_EQ(r.options.mqtt.no_auth_user, "dev");
  std::string bad = WriteFile("mqtt-nobody.conf", "port: -1\n" + users + "mqtt {\n  no_auth_user: nobody\n}\n");
  r = Load({"-c", bad});
  EXPECT_TRUE(HasError(r, "'nobody' is not one of authorization.users"));
}

}  // namespace
}  // namespace tern::server::config
