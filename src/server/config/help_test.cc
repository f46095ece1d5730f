#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "server/config/config_test_util.h"

namespace tern::server {
namespace {

const std::vector<std::string> kNames = {
    "config",
    "name",
    "addr",
    "port",
    "http_port",
    "workers",
    "idle_spin_us",
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
    "lame_duck_duration",
    "lame_duck_grace_period",
    "max_closed_clients",
    "queue_policy",
    "linger",
    "tls",
    "tls.cert_file",
    "tls.key_file",
    "tls.ca_file",
    "tls.verify",
    "tls.verify_and_map",
    "tls.timeout",
    "tls.min_version",
    "tls.handshake_first",
    "websocket.host",
    "websocket.port",
    "websocket.no_tls",
    "websocket.same_origin",
    "websocket.allowed_origins",
    "websocket.compression",
    "websocket.handshake_timeout",
    "websocket.max_frame",
    "websocket.tls.cert_file",
    "websocket.tls.key_file",
    "websocket.tls.ca_file",
    "websocket.tls.verify",
    "websocket.tls.verify_and_map",
    "websocket.tls.timeout",
    "websocket.tls.min_version",
    "client_advertise",
    "cluster.name",
    "cluster.listen",
    "cluster.host",
    "cluster.port",
    "cluster.routes",
    "cluster.advertise",
    "cluster.max_pending",
    "cluster.queue_policy",
    "cluster.ping_interval",
    "cluster.barrier_timeout",
    "cluster.tls.cert_file",
    "cluster.tls.key_file",
    "cluster.tls.ca_file",
    "cluster.tls.verify",
    "cluster.tls.verify_and_map",
    "cluster.tls.timeout",
    "cluster.tls.min_version",
    "cluster.etcd.endpoints",
    "cluster.etcd.prefix",
    "cluster.etcd.ttl",
    "cluster.authorization.user",
    "cluster.authorization.password",
    "cluster.authorization.timeout",
    "authorization.token",
    "authorization.user",
    "authorization.password",
    "authorization.users",
    "authorization.system_users",
    "authorization.max_connections_per_ip",
    "authorization.connection_rate",
    "authorization.connection_burst",
    "authorization.verifier_threads",
    "authorization.default_permissions.publish",
    "authorization.default_permissions.publish.allow",
    "authorization.default_permissions.publish.deny",
    "authorization.default_permissions.subscribe",
    "authorization.default_permissions.subscribe.allow",
    "authorization.default_permissions.subscribe.deny",
    "authorization.default_permissions.allow_responses",
    "authorization.default_permissions.allow_responses.max",
    "authorization.default_permissions.allow_responses.expires",
    "no_auth_user",
    "http.host",
    "http.admin_token",
    "http.bridge",
    "http.header_timeout",
    "http.max_body",
    "http.event_log.max_events",
    "http.event_log.file",
    "http.event_log.max_size",
    "http.event_log.max_files",
    "http.tls.cert_file",
    "http.tls.key_file",
    "http.tls.ca_file",
    "http.tls.verify",
    "http.tls.verify_and_map",
    "http.tls.timeout",
    "http.tls.min_version",
    "mqtt.host",
    "mqtt.port",
    "mqtt.tls_port",
    "mqtt.max_keepalive",
    "mqtt.max_inflight",
    "mqtt.max_queued",
    "mqtt.max_packet_size",
    "mqtt.no_auth_user",
    "mqtt.tls.cert_file",
    "mqtt.tls.key_file",
    "mqtt.tls.ca_file",
    "mqtt.tls.verify",
    "mqtt.tls.verify_and_map",
    "mqtt.tls.timeout",
    "mqtt.tls.min_version",
    "mqtt.websocket.host",
    "mqtt.websocket.port",
    "mqtt.websocket.no_tls",
    "mqtt.websocket.same_origin",
    "mqtt.websocket.allowed_origins",
    "mqtt.websocket.compression",
    "mqtt.websocket.handshake_timeout",
    "mqtt.websocket.max_frame",
    "mqtt.websocket.tls.cert_file",
    "mqtt.websocket.tls.key_file",
    "mqtt.websocket.tls.ca_file",
    "mqtt.websocket.tls.verify",
    "mqtt.websocket.tls.verify_and_map",
    "mqtt.websocket.tls.timeout",
    "mqtt.websocket.tls.min_version",
    "data_dir",
};

TEST(HelpTextTest, ListsEveryOptionInAllForms) {
  EXPECT_EQ(OptionNames(), kNames);
  std::string help = HelpText();
  for (const auto& name : kNames) {
    EXPECT_TRUE(help.find("--" + name + " <") != std::string::npos ||
                help.find("--" + name + " [<") != std::string::npos)
        << name;
    EXPECT_NE(help.find(EnvNameOf(name) + ","), std::string::npos) << name;
  }
  for (const char* text : {"-c, --config <file>",
                           "-p, --port <port>",
                           "-a, --addr <host> (also --net)",
                           "-m, --http_port",
                           "-l, --log, --log.file",
                           "-n, --name",
                           "(also --ping_max)",
                           "default: 4222",
                           "default: 1MiB",
                           "default: 2m",
                           "default: info",
                           "<trace|debug|info|warn|error|off>",
                           "<random|round_robin>",
                           "-DV",
                           "--help",
                           "--version",
                           "--tlscert, --tls.cert_file <file>",
                           "--tlskey, --tls.key_file <file>",
                           "--tlscacert, --tls.ca_file <file>",
                           "--tlsverify, --tls.verify [<bool>]",
                           "--tls [<bool>]",
                           "<1.2|1.3>",
                           "<false|true|auto|duration>",
                           "TERN_WEBSOCKET_TLS_CERT_FILE, default: none (TLS off)",
                           "TERN_WEBSOCKET_PORT, default: 8080",
                           "TERN_WEBSOCKET_MAX_FRAME, default: 1028KiB",
                           "TERN_TLS_TIMEOUT, default: 2s",
                           "TERN_TLS_HANDSHAKE_FIRST, default: false",
                           "TLS on the WebSocket listener",
                           "--auth, --authorization.token <token>",
                           "--user, --authorization.user <name>",
                           "--pass, --authorization.password <password>"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text << "\n" << help;
  }
  // queue_policy is stored atomically by the server, so SIGHUP may change it.
  size_t queue = help.find("--queue_policy");
  ASSERT_NE(queue, std::string::npos);
  EXPECT_NE(help.substr(queue, help.find("--linger") - queue).find("Reloadable."), std::string::npos);
}

// docs/config.md's option table matches the schema: every option has a row,
// and no row names an option that does not exist.
TEST(HelpTextTest, DocsTableMatchesTheSchema) {
  std::ifstream in(std::string(TERN_SOURCE_DIR) + "/docs/config.md");
  ASSERT_TRUE(in) << "docs/config.md";
  std::stringstream text;
  text << in.rdbuf();
  std::string docs = text.str();
  std::set<std::string> rows;
  std::regex row(R"(\n\| `([a-z_.]+)` \| `(TERN_[A-Z_]+)` \|)");
  for (auto it = std::sregex_iterator(docs.begin(), docs.end(), row); it != std::sregex_iterator(); ++it) {
    rows.insert((*it)[1]);
    EXPECT_EQ((*it)[2], EnvNameOf((*it)[1])) << (*it)[1];
  }
  for (const auto& name : OptionNames()) EXPECT_TRUE(rows.contains(name)) << name << " has no row in docs/config.md";
  for (const auto& name : rows) {
    auto names = OptionNames();
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name << " is not an option";
  }
}

}  // namespace
}  // namespace tern::server
