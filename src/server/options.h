// Every setting of a tern-server node, with its default. config/ fills one
// of these from file (YAML or a nats-server .conf), environment and flags;
// the server only reads it. Names follow nats-server's where it has the
// option; docs/config.md is the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"

namespace tern::server {

enum class QueuePolicy { kRandom, kRoundRobin };

// Which layer gave an option its value; see config/config.h for the precedence.
enum class ConfigLayer : uint8_t { kDefault, kFile, kEnv, kFlag };

// Hold messages that found no subscriber for subjects matching `subject`.
struct LingerRule {
  std::string subject;                       // pattern, wildcards allowed
  std::chrono::milliseconds hold{3000};      // how long a message waits
  uint64_t max_bytes = 64ull * 1024 * 1024;  // bound for this rule's held messages
};

// When a NATS client listener with TLS starts the handshake. nats-server's
// default sends INFO in plain text first and the client upgrades
// ("TLS after INFO"); clients configured for TLS-first (nats.go
// TLSHandshakeFirst, nats.js tlsHandshakeFirst) start TLS at once. kAuto
// waits up to `handshake_first_fallback` for a ClientHello before sending a
// plain INFO, so both kinds of client work on one port.
enum class TlsHandshakeFirst : uint8_t { kOff, kOn, kAuto };

// One `tls {}` block; the same shape for every listener (client,
// websocket, and later mqtt, cluster, http). Enabled when cert_file is set.
struct TlsOptions {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  std::string ca_file;    // PEM CAs that client certificates must chain to
  bool verify = false;    // require a client certificate and verify it against ca_file
  // Like verify, and the certificate's subject or SAN names the user
  // (nats-server's verify_and_map; the mapping comes with authorization).
  bool verify_and_map = false;
  std::chrono::milliseconds timeout{2000};  // handshake must finish within this (nats-server: tls.timeout)
  std::string min_version = "1.2";          // "1.2" or "1.3"
  TlsHandshakeFirst handshake_first = TlsHandshakeFirst::kOff;  // client listener only
  std::chrono::milliseconds handshake_first_fallback{50};       // kAuto only

  bool enabled() const { return !cert_file.empty(); }
};

// The native protocol over WebSocket (nats-server's `websocket {}` block).
struct WebsocketOptions {
  std::string host;  // empty: the client listener's addr
  int port = 8080;  // 0 = off, -1 = a random free port
  // nats-server refuses a websocket listener without TLS unless no_tls is
  // set; tern serves plain ws:// when there is no tls block, and no_tls
  // forces plain even with one.
  bool no_tls = false;
  TlsOptions tls;
  bool same_origin = false;                  // Origin must equal the Host header
  std::vector<std::string> allowed_origins;  // if non-empty, Origin must be one of these
  bool compression = false;                  // accept permessage-deflate when a client offers it
  std::chrono::milliseconds handshake_timeout{2000};
  uint64_t max_frame = 1024 * 1024 + 4096;  // largest frame accepted: max_payload plus protocol overhead

  bool enabled() const { return port != 0; }
  bool secure() const { return tls.enabled() && !no_tls; }
};

// The connect/disconnect/auth-failure log (http.event_log).
struct EventLogOptions {
  int max_events = 10000;               // kept in memory for /eventz
  std::string file;                     // empty: memory only; else JSON lines appended here
  uint64_t max_size = 10ull * 1024 * 1024;  // rotate when the file passes this
  int max_files = 5;                    // file, file.1 ... file.(max_files-1)
};

// The HTTP listener (http_port): monitoring JSON and /metrics, and, when
// a token is configured, admin actions and the publish bridge.
struct HttpOptions {
  std::string host;  // empty: addr
  TlsOptions tls;    // https:// when set
  // Bearer token for POST /admin/... and POST /pub/...; empty: both refused.
  std::string admin_token;
  bool bridge = false;  // POST /pub/{subject} (with the admin token)
  std::chrono::milliseconds header_timeout{5000};  // a request's head must arrive within this
  uint64_t max_body = 64 * 1024;                   // largest request body
  EventLogOptions event_log;
};

struct Options {
  std::string server_name;  // default: the server id
  std::string addr = "0.0.0.0";
  int port = 4222;
  int http_port = 0;  // monitoring (nats-server -m); 0 = off, -1 = a random free port
  int workers = 0;    // 0: one per core

  log::Level log_level = log::Level::kInfo;
  std::string log_file;  // empty: stderr

  TlsOptions tls;  // the client listener's (nats-server: top-level tls {})
  WebsocketOptions websocket;

  uint64_t max_payload = 1024 * 1024;
  uint64_t max_control_line = 4096;
  int max_connections = 65536;
  int max_subscriptions = 0;  // per connection; 0 = unlimited
  uint64_t max_pending = 64ull * 1024 * 1024;
  std::chrono::milliseconds write_deadline{10'000};
  std::chrono::milliseconds ping_interval{120'000};
  int max_pings_out = 2;
  std::chrono::milliseconds auth_timeout{2'000};
  std::chrono::milliseconds shutdown_grace{5'000};  // flush budget on SIGTERM/SIGINT
  // Lame duck (SIGUSR2, POST /admin/lameduck): stop accepting, tell clients
  // (INFO ldm), wait the grace period, then close clients spread over the
  // rest of the duration, then exit. nats-server's names and defaults.
  std::chrono::milliseconds lame_duck_duration{120'000};
  std::chrono::milliseconds lame_duck_grace_period{10'000};
  int max_closed_clients = 10000;  // kept for /connz?state=closed

  HttpOptions http;

  QueuePolicy queue_policy = QueuePolicy::kRandom;
  std::vector<LingerRule> linger;

  std::string config_file;  // where the file layer came from, for logs and reload
  // Option name ("log.level") -> layer that set it; absent means default. A
  // reload re-reads the file but must keep what flags and environment set.
  std::map<std::string, ConfigLayer> layers;
};

}  // namespace tern::server
