#include "server_flavor.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace tern::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

// stdout of `binary arg`, empty when it cannot be run.
std::string OutputOf(const std::string& binary, const std::string& arg) {
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) return "";
  std::string out;
  if (FILE* p = ::popen(("'" + binary + "' " + arg + " 2>&1").c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string GoDuration(std::chrono::milliseconds d) { return Quoted(std::to_string(d.count()) + "ms"); }

std::string LacksFlag(const std::string& flag, const char* what) {
  return std::string("tern-server has no ") + what + " yet: `tern-server --help` does not list " + flag +
         " (the config work has not landed in main)";
}

class TernFlavor : public ServerFlavor {
 public:
  std::string Name() const override { return "tern"; }
  std::string BinaryPath() const override { return TernServerBinary(); }
  bool IsCleanSigtermExit(int code) const override { return code == 0; }
  std::string Unsupported(const ServerLimits&, const ServerListeners& listeners) const override {
    if (listeners.tls) {
      if (!TernHasFlag("--tlscert")) return LacksFlag("--tlscert", "TLS flags");
      if (listeners.tls->handshake_first && !TernHasFlag("--tls.handshake_first")) {
        return LacksFlag("--tls.handshake_first", "TLS-first flag");
      }
    }
    if (listeners.websocket) {
      if (!TernHasFlag("--websocket.port")) return LacksFlag("--websocket.port", "WebSocket flags");
      if (listeners.websocket->tls && !TernHasFlag("--websocket.tls.cert_file")) {
        return LacksFlag("--websocket.tls.cert_file", "wss flags");
      }
    }
    return "";
  }

  std::vector<std::string> ArgsFor(const ServerSetup& setup) const override {
    const ServerLimits& l = setup.limits;
    std::vector<std::string> a = {"-a", setup.host, "-p", std::to_string(setup.port)};
    auto flag = [&a](const char* name, const std::string& value) {
      a.push_back(std::string("--") + name);
      a.push_back(value);
    };
    if (l.max_payload) flag("max_payload", FormatSize(*l.max_payload));
    if (l.max_control_line) flag("max_control_line", FormatSize(*l.max_control_line));
    if (l.max_pending) flag("max_pending", FormatSize(*l.max_pending));
    if (l.max_connections) flag("max_connections", std::to_string(*l.max_connections));
    if (l.max_subscriptions) flag("max_subscriptions", std::to_string(*l.max_subscriptions));
    if (l.ping_interval) flag("ping_interval", FormatDuration(*l.ping_interval));
    if (l.max_pings_out) flag("max_pings_out", std::to_string(*l.max_pings_out));
    if (l.write_deadline) flag("write_deadline", FormatDuration(*l.write_deadline));
    if (l.queue_policy) flag("queue_policy", *l.queue_policy);
    if (const auto& tls = setup.listeners.tls) {
      // nats-server's own flag spellings, which tern takes too.
      a.push_back("--tls");
      flag("tlscert", tls->cert_file);
      flag("tlskey", tls->key_file);
      if (!tls->ca_file.empty()) flag("tlscacert", tls->ca_file);
      if (tls->verify) a.push_back("--tlsverify");
      if (tls->timeout) flag("tls.timeout", FormatDuration(*tls->timeout));
      if (tls->handshake_first) flag("tls.handshake_first", "true");
    }
    if (const auto& ws = setup.listeners.websocket) {
      flag("websocket.port", std::to_string(setup.websocket_port));
      if (ws->tls) {
        flag("websocket.tls.cert_file", ws->cert_file);
        flag("websocket.tls.key_file", ws->key_file);
      }
      if (ws->handshake_timeout) flag("websocket.handshake_timeout", FormatDuration(*ws->handshake_timeout));
      if (ws->max_frame) flag("websocket.max_frame", FormatSize(*ws->max_frame));
    } else if (TernHasFlag("--websocket.port")) {
      // The default listener (8080) would collide between tests running in parallel.
      flag("websocket.port", "0");
    }
    if (TernHasFlag("--mqtt.port")) {
      // So would the MQTT ones (1883, 8083).
      flag("mqtt.port", "0");
      flag("mqtt.websocket.port", "0");
    }
    if (l.config_file) flag("config", *l.config_file);
    return a;
  }
};

std::string VersionText() {
  const auto v = NatsServerVersion();
  return "v" + std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

// nats-server v2.9 option names (server/opts.go): max_subscriptions, ping_max,
// max_control_line... Sizes as plain integers, durations as Go duration strings.
class NatsFlavor : public ServerFlavor {
 public:
  std::string Name() const override { return "nats"; }
  std::string BinaryPath() const override { return NatsServerBinary(); }
  bool IsCleanSigtermExit(int code) const override { return code == 0 || code == 1; }

  std::string Unsupported(const ServerLimits& l, const ServerListeners& listeners) const override {
    if (l.queue_policy && *l.queue_policy != "random") {
      return "nats-server has no queue policy option (always random)";
    }
    if (listeners.tls && listeners.tls->handshake_first && NatsServerVersion() < std::vector<int>{2, 10, 4}) {
      return "this nats-server (" + VersionText() + ") has no tls.handshake_first (added in v2.10.4)";
    }
    if (listeners.websocket && listeners.websocket->max_frame) {
      return "nats-server has no WebSocket frame size limit: it streams a frame's payload into its parser "
             "as it arrives";
    }
    if (l.config_file && (l.max_payload || l.max_control_line || l.max_pending || l.max_connections ||
                          l.max_subscriptions || l.ping_interval || l.max_pings_out || l.write_deadline ||
                          listeners.tls || listeners.websocket)) {
      return "the nats flavour takes limits or listeners, or a config file, not both";
    }
    return "";
  }

  std::vector<std::string> ArgsFor(const ServerSetup& setup) const override {
    const ServerLimits& l = setup.limits;
    std::vector<std::string> a = {"-a", setup.host, "-p", std::to_string(setup.port)};
    std::ostringstream conf;
    if (l.max_payload) conf << "max_payload: " << *l.max_payload << "\n";
    if (l.max_control_line) conf << "max_control_line: " << *l.max_control_line << "\n";
    if (l.max_pending) conf << "max_pending: " << *l.max_pending << "\n";
    if (l.max_connections) conf << "max_connections: " << *l.max_connections << "\n";
    if (l.max_subscriptions) conf << "max_subscriptions: " << *l.max_subscriptions << "\n";
    if (l.ping_interval) conf << "ping_interval: \"" << l.ping_interval->count() << "ms\"\n";
    if (l.max_pings_out) conf << "ping_max: " << *l.max_pings_out << "\n";
    if (l.write_deadline) conf << "write_deadline: \"" << l.write_deadline->count() << "ms\"\n";
    if (const auto& tls = setup.listeners.tls) {
      conf << "tls {\n  cert_file: " << Quoted(tls->cert_file) << "\n  key_file: " << Quoted(tls->key_file) << "\n";
      if (!tls->ca_file.empty()) conf << "  ca_file: " << Quoted(tls->ca_file) << "\n";
      if (tls->verify) conf << "  verify: true\n";
      // Seconds, as a number: nats-server's tls.timeout is a float.
      if (tls->timeout) conf << "  timeout: " << static_cast<double>(tls->timeout->count()) / 1000.0 << "\n";
      if (tls->handshake_first) conf << "  handshake_first: true\n";
      conf << "}\n";
    }
    if (const auto& ws = setup.listeners.websocket) {
      // Its host defaults to every interface, not the client listener's.
      conf << "websocket {\n  host: " << Quoted(setup.host) << "\n  port: " << setup.websocket_port << "\n";
      if (ws->tls) {
        conf << "  tls {\n    cert_file: " << Quoted(ws->cert_file) << "\n    key_file: " << Quoted(ws->key_file)
             << "\n  }\n";
      } else {
        conf << "  no_tls: true\n";
      }
      if (ws->handshake_timeout) conf << "  handshake_timeout: " << GoDuration(*ws->handshake_timeout) << "\n";
      conf << "}\n";
    }
    const std::string text = conf.str();
    if (l.config_file) {
      a.push_back("-c");
      a.push_back(*l.config_file);
    } else if (!text.empty()) {
      const std::string path = setup.work_dir + "/nats-server.conf";
      std::ofstream(path) << text;
      a.push_back("-c");
      a.push_back(path);
    }
    return a;
  }
};

// MQTT tests: tern with its MQTT listener on the port the harness waits
// for, and the NATS port wherever the kernel puts it (-1), unless the test
// passes -p itself for cross-protocol checks.
class TernMqttFlavor : public TernFlavor {
 public:
  std::string Name() const override { return "tern-mqtt"; }
  std::vector<std::string> ArgsFor(const ServerSetup& setup) const override {
    return {"-a", setup.host, "-p", "-1", "--websocket.port", "0", "--mqtt.port", std::to_string(setup.port),
            "--mqtt.websocket.port", "0"};
  }
};

// Debian's mosquitto 2.0, the reference for MQTT behaviour: one plain
// listener, anonymous clients, no persistence file.
class MosquittoFlavor : public ServerFlavor {
 public:
  std::string Name() const override { return "mosquitto"; }
  std::string BinaryPath() const override { return EnvOr("MOSQUITTO_BIN", "/usr/sbin/mosquitto"); }
  bool IsCleanSigtermExit(int code) const override { return code == 0; }
  std::string Unsupported(const ServerLimits&, const ServerListeners&) const override { return ""; }
  std::vector<std::string> ArgsFor(const ServerSetup& setup) const override {
    const std::string path = setup.work_dir + "/mosquitto.conf";
    std::ofstream(path) << "listener " << setup.port << " " << setup.host << "\nallow_anonymous true\npersistence false\n"
                        << "log_dest stderr\n";
    return {"-c", path};
  }
};

}  // namespace

std::vector<std::string> ServerFlavor::BuildArgs(const std::string& host, int port, const ServerLimits& limits,
                                                 const std::string& work_dir) const {
  ServerSetup setup;
  setup.host = host;
  setup.port = port;
  setup.limits = limits;
  setup.work_dir = work_dir;
  return ArgsFor(setup);
}

std::unique_ptr<ServerFlavor> MakeFlavor(const std::string& name) {
  if (name == "tern") return std::make_unique<TernFlavor>();
  if (name == "nats") return std::make_unique<NatsFlavor>();
  if (name == "tern-mqtt") return std::make_unique<TernMqttFlavor>();
  if (name == "mosquitto") return std::make_unique<MosquittoFlavor>();
  return nullptr;
}

std::string TernServerBinary() {
#ifdef TERN_SERVER_BIN_DEFAULT
  return EnvOr("TERN_SERVER_BIN", TERN_SERVER_BIN_DEFAULT);
#else
  return EnvOr("TERN_SERVER_BIN", "");
#endif
}

std::string NatsServerBinary() {
  std::string from_env = EnvOr("NATS_SERVER_BIN", "");
  if (!from_env.empty()) return from_env;
  std::istringstream path(EnvOr("PATH", "/usr/bin"));
  std::string dir;
  while (std::getline(path, dir, ':')) {
    std::string candidate = dir + "/nats-server";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "/usr/bin/nats-server";
}

bool TernHasFlag(const std::string& flag) {
  static std::once_flag once;
  static std::string help;
  std::call_once(once, [] { help = OutputOf(TernServerBinary(), "--help"); });
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    const size_t end = at + flag.size();
    const bool word_ends = end == help.size() || !(std::isalnum(static_cast<unsigned char>(help[end])) ||
                                                   help[end] == '_' || help[end] == '.' || help[end] == '-');
    if (word_ends) return true;
  }
  return false;
}

std::vector<int> NatsServerVersion() {
  static std::once_flag once;
  static std::vector<int> version;
  std::call_once(once, [] {
    // "nats-server: v2.9.10"
    const std::string out = OutputOf(NatsServerBinary(), "--version");
    const size_t v = out.find(" v");
    version = {0, 0, 0};
    if (v == std::string::npos) return;
    std::istringstream in(out.substr(v + 2));
    char dot;
    in >> version[0] >> dot >> version[1] >> dot >> version[2];
  });
  return version;
}

std::string FormatSize(uint64_t bytes) {
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "KiB";
  return std::to_string(bytes);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() != 0 && d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace tern::testing
