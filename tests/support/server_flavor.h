// Which server a black-box test drives, and how each one is told its limits.
// tern-server takes every limit as a flag; nats-server takes most of them only
// from a config file, so its flavour writes one. Tests state limits once, in
// ServerLimits, and stay ignorant of either spelling.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern::testing {

// Unset fields keep the server's own default.
struct ServerLimits {
  std::optional<uint64_t> max_payload;
  std::optional<uint64_t> max_control_line;
  std::optional<uint64_t> max_pending;
  std::optional<int> max_connections;
  std::optional<int> max_subscriptions;
  std::optional<std::chrono::milliseconds> ping_interval;
  std::optional<int> max_pings_out;
  std::optional<std::chrono::milliseconds> write_deadline;
  std::optional<std::string> queue_policy;  // "random" or "round_robin"
  // A nats-server configuration file (authorization {} ...), read by both
  // flavours: tern takes nats-server's files as they are, so one file is
  // the equivalent config for both. The test owns it (and may rewrite it
  // and send SIGHUP).
  std::optional<std::string> config_file;
};

class ServerFlavor {
 public:
  virtual ~ServerFlavor() = default;

  virtual std::string Name() const = 0;
  virtual std::string BinaryPath() const = 0;
  // Full argv (without argv[0]) for a server on host:port. May write files
  // (a config file) under work_dir, which exists and outlives the process.
  virtual std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits& limits,
                                             const std::string& work_dir) const = 0;
  // Whether `code` is this server's clean exit after SIGTERM. tern must exit
  // 0. nats-server 2.9 races its signal handler's exit(1) against main
  // returning 0 once shutdown completes, so either may be seen.
  virtual bool IsCleanSigtermExit(int code) const = 0;
  // Empty when the flavour can run this limit set; otherwise why not, for GTEST_SKIP.
  virtual std::string Unsupported(const ServerLimits& limits) const = 0;
};

// "tern" or "nats"; nullptr for an unknown name.
std::unique_ptr<ServerFlavor> MakeFlavor(const std::string& name);

// The tern-server binary: env TERN_SERVER_BIN, else the build-tree path baked
// in at compile time (TERN_SERVER_BIN_DEFAULT), else empty.
std::string TernServerBinary();
// env NATS_SERVER_BIN, else nats-server on PATH, else /usr/bin/nats-server.
std::string NatsServerBinary();

// Formats for tern flags: 1024 -> "1KiB", 1500 -> "1500"; 1000ms -> "1s".
std::string FormatSize(uint64_t bytes);
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace tern::testing
