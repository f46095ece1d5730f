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

// MQTT 3.1.1 and 5.0 (docs/mqtt.md). On by default at 1883, as mosquitto
// and EMQX are, and like the WebSocket listener; a nats-server .conf turns
// it on only with an `mqtt {}` block, as nats-server does.
struct MqttOptions {
  std::string host;  // empty: the client listener's addr
  int port = 1883;   // plain TCP; 0 = off, -1 = a random free port
  // With cert_file set, a TLS listener on tls_port as well.
  TlsOptions tls;
  int tls_port = 8883;
  // MQTT over WebSocket at /mqtt, subprotocol "mqtt"; wss:// with websocket.tls.
  WebsocketOptions websocket{.port = 8083};
  // The most a client may ask for: a 5.0 client asking for more (or for
  // none) is told this in CONNACK's Server Keep Alive; a 3.1.1 client asking
  // for more is refused, as mosquitto does (3.1.1 cannot be told).
  std::chrono::milliseconds max_keepalive{65535 * 1000};  // whole seconds on the wire
  // QoS 1/2 messages sent to a client and not yet acknowledged; a 5.0
  // client's smaller Receive Maximum wins. Also the Receive Maximum this
  // server announces for the client's QoS 2 publishes.
  int max_inflight = 32;
  // QoS 1/2 messages held per session beyond the in-flight window (also
  // while the client is away); past it they are dropped and counted.
  int max_queued = 1000;
  uint64_t max_packet_size = 1024 * 1024;  // largest packet accepted, announced to 5.0 clients

  bool enabled() const { return port != 0 || tls.enabled() || websocket.enabled(); }
};

struct Options {
  std::string server_name;  // default: the server id
  std::string addr = "0.0.0.0";
  int port = 4222;
  int http_port = 0;  // monitoring; reserved until the monitor lands (0 = off)
  int workers = 0;    // 0: one per core

  log::Level log_level = log::Level::kInfo;
  std::string log_file;  // empty: stderr

  TlsOptions tls;  // the client listener's (nats-server: top-level tls {})
  WebsocketOptions websocket;
  MqttOptions mqtt;
  std::string data_dir = "./data";  // embedded state (MQTT sessions, retained messages)

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

  QueuePolicy queue_policy = QueuePolicy::kRandom;
  std::vector<LingerRule> linger;

  std::string config_file;  // where the file layer came from, for logs and reload
  // Option name ("log.level") -> layer that set it; absent means default. A
  // reload re-reads the file but must keep what flags and environment set.
  std::map<std::string, ConfigLayer> layers;
};

}  // namespace tern::server
