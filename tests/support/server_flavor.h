// Which server a black-box test drives, and how each one is told its limits
// and listeners. tern-server takes every option as a flag; nats-server takes
// most of them only from a config file, so its flavour writes one. Tests
// state options once, in ServerLimits and ServerListeners, and stay ignorant
// of either spelling.
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
};

// TLS on the client listener (nats-server: top-level tls {}).
struct TlsSetup {
  std::string cert_file, key_file;
  std::string ca_file;                               // CAs client certificates must chain to
  bool verify = false;                               // require a client certificate
  std::optional<std::chrono::milliseconds> timeout;  // handshake bound
  bool handshake_first = false;                      // TLS before INFO instead of after it
};

// A WebSocket listener on a port of its own (nats-server: websocket {}).
struct WebsocketSetup {
  bool tls = false;  // wss://, with these:
  std::string cert_file, key_file;
  std::optional<std::chrono::milliseconds> handshake_timeout;
  std::optional<uint64_t> max_frame;  // tern only: nats-server has no such limit
};

struct ServerListeners {
  std::optional<TlsSetup> tls;
  std::optional<WebsocketSetup> websocket;
};

// Everything a flavour needs to spell a server's command line.
struct ServerSetup {
  std::string host = "127.0.0.1";
  int port = 0;            // client listener
  int websocket_port = 0;  // when listeners.websocket is set
  ServerLimits limits;
  ServerListeners listeners;
  std::string work_dir;  // exists and outlives the process; config files go here
};

class ServerFlavor {
 public:
  virtual ~ServerFlavor() = default;

  virtual std::string Name() const = 0;
  virtual std::string BinaryPath() const = 0;
  // Full argv (without argv[0]). May write files (a config file) under
  // setup.work_dir.
  virtual std::vector<std::string> ArgsFor(const ServerSetup& setup) const = 0;
  // The same for a server with only a plain client listener on host:port.
  std::vector<std::string> BuildArgs(const std::string& host, int port, const ServerLimits& limits,
                                     const std::string& work_dir) const;
  // Whether `code` is this server's clean exit after SIGTERM. tern must exit
  // 0. nats-server 2.9 races its signal handler's exit(1) against main
  // returning 0 once shutdown completes, so either may be seen.
  virtual bool IsCleanSigtermExit(int code) const = 0;
  // Empty when the flavour can run this setup; otherwise why not, for GTEST_SKIP.
  virtual std::string Unsupported(const ServerLimits& limits, const ServerListeners& listeners = {}) const = 0;
};

// "tern" or "nats"; nullptr for an unknown name.
std::unique_ptr<ServerFlavor> MakeFlavor(const std::string& name);

// The tern-server binary: env TERN_SERVER_BIN, else the build-tree path baked
// in at compile time (TERN_SERVER_BIN_DEFAULT), else empty.
std::string TernServerBinary();
// env NATS_SERVER_BIN, else nats-server on PATH, else /usr/bin/nats-server.
std::string NatsServerBinary();

// Whether `tern-server --help` lists `flag` ("--tlscert"): how tests tell
// that an option has landed. Asked once per test process.
bool TernHasFlag(const std::string& flag);

// nats-server's version from `nats-server --version` as {major, minor,
// patch}; {0,0,0} when it cannot be run.
std::vector<int> NatsServerVersion();

// Formats for tern flags: 1024 -> "1KiB", 1500 -> "1500"; 1000ms -> "1s".
std::string FormatSize(uint64_t bytes);
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace tern::testing
