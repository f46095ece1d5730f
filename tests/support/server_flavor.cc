#include "server_flavor.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tern::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

class TernFlavor : public ServerFlavor {
 public:
  std::string Name() const override { return "tern"; }
  std::string BinaryPath() const override { return TernServerBinary(); }
  bool IsCleanSigtermExit(int code) const override { return code == 0; }
  std::string Unsupported(const ServerLimits&) const override { return ""; }

  std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits& l,
                                     const std::string&) const override {
    // The WebSocket and MQTT listeners are on (8080, 1883, 8083) by
    // default; tests that run side by side must not all take those ports.
    std::vector<std::string> a = {"-a",          host, "-p", std::to_string(port), "--websocket.port", "0",
                                  "--mqtt.port", "0",  "--mqtt.websocket.port", "0"};
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
    return a;
  }
};

// nats-server v2.9 option names (server/opts.go): max_subscriptions, ping_max,
// max_control_line... Sizes as plain integers, durations as Go duration strings.
class NatsFlavor : public ServerFlavor {
 public:
  std::string Name() const override { return "nats"; }
  std::string BinaryPath() const override { return NatsServerBinary(); }
  bool IsCleanSigtermExit(int code) const override { return code == 0 || code == 1; }

  std::string Unsupported(const ServerLimits& l) const override {
    if (l.queue_policy && *l.queue_policy != "random") {
      return "nats-server has no queue policy option (always random)";
    }
    return "";
  }

  std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits& l,
                                     const std::string& work_dir) const override {
    std::vector<std::string> a = {"-a", host, "-p", std::to_string(port)};
    std::ostringstream conf;
    if (l.max_payload) conf << "max_payload: " << *l.max_payload << "\n";
    if (l.max_control_line) conf << "max_control_line: " << *l.max_control_line << "\n";
    if (l.max_pending) conf << "max_pending: " << *l.max_pending << "\n";
    if (l.max_connections) conf << "max_connections: " << *l.max_connections << "\n";
    if (l.max_subscriptions) conf << "max_subscriptions: " << *l.max_subscriptions << "\n";
    if (l.ping_interval) conf << "ping_interval: \"" << l.ping_interval->count() << "ms\"\n";
    if (l.max_pings_out) conf << "ping_max: " << *l.max_pings_out << "\n";
    if (l.write_deadline) conf << "write_deadline: \"" << l.write_deadline->count() << "ms\"\n";
    const std::string text = conf.str();
    if (!text.empty()) {
      const std::string path = work_dir + "/nats-server.conf";
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
  std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits&,
                                     const std::string&) const override {
    return {"-a", host, "-p", "-1", "--websocket.port", "0", "--mqtt.port", std::to_string(port),
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
  std::string Unsupported(const ServerLimits&) const override { return ""; }
  std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits&,
                                     const std::string& work_dir) const override {
    const std::string path = work_dir + "/mosquitto.conf";
    std::ofstream(path) << "listener " << port << " " << host << "\nallow_anonymous true\npersistence false\n"
                        << "log_dest stderr\n";
    return {"-c", path};
  }
};

}  // namespace

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
