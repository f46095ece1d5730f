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

// Membership from etcd (its v3 JSON gateway): each node keeps a key under
// `prefix` alive with a lease and dials the nodes it finds there.
struct EtcdOptions {
  std::vector<std::string> endpoints;  // http://host:port of the etcd members
  std::string prefix = "/tern/nodes";
  std::chrono::milliseconds ttl{10'000};  // lease TTL: how long a dead node stays listed
  bool enabled() const { return !endpoints.empty(); }
};

// How a queue group with members on several nodes is served (see
// core::ClusterQueuePolicy).
enum class ClusterQueuePolicy { kLocalFirst, kRandom, kRoundRobin };

// The shared secret routes present (nats-server: cluster { authorization
// {} }). Set, it is required of every route this node accepts, and it is
// what this node sends when dialling a URL without credentials of its own.
struct ClusterAuthOptions {
  std::string user;
  std::string password;                      // bcrypt hash or plain text
  std::chrono::milliseconds timeout{2'000};  // an accepted route must authenticate within it
  bool enabled() const { return !user.empty() || !password.empty(); }
};

// Routes between the nodes of a cluster (nats-server: cluster {}).
struct ClusterOptions {
  std::string name;                            // routes between differently named clusters are refused
  std::string listen;                          // host:port (nats-server's --cluster URL); else host and port
  std::string host;                            // empty: the client listener's addr
  int port = 0;                                // 0: 6222 once the cluster is on; -1: a random free port
  std::vector<std::string> routes;             // seed URLs: host:port, nats-route://, nats://
  std::string advertise;                       // host:port peers dial to reach this node
  TlsOptions tls;                              // routes authenticate each other by mutual TLS when set
  ClusterAuthOptions authorization;            // and/or by a shared user and password
  uint64_t max_pending = 64ull * 1024 * 1024;  // per route; past it messages are dropped and counted
  ClusterQueuePolicy queue_policy = ClusterQueuePolicy::kLocalFirst;
  std::chrono::milliseconds ping_interval{2'000};    // route keepalive; stale after max_pings_out misses
  std::chrono::milliseconds barrier_timeout{2'000};  // longest an interest barrier waits for a peer
  EtcdOptions etcd;

  // On when anything asks for a route: a listen address or port, seeds, etcd.
  bool enabled() const { return !listen.empty() || port != 0 || !routes.empty() || etcd.enabled(); }
};

// Subject rules of one direction; entries may name a queue group
// ("jobs.* workers", subscribe only).
struct SubjectPermissionOptions {
  std::vector<std::string> allow;
  std::vector<std::string> deny;
};

// nats-server's permissions block. allow_responses is `true` or
// {max, expires}; either turns it on.
struct PermissionOptions {
  SubjectPermissionOptions publish;
  SubjectPermissionOptions subscribe;
  bool allow_responses = false;
  int responses_max = 0;                   // 0: nats-server's default, 1
  std::chrono::milliseconds responses_expires{0};  // 0: nats-server's default, 2m
  bool empty() const {
    return publish.allow.empty() && publish.deny.empty() && subscribe.allow.empty() && subscribe.deny.empty() &&
           !responses_on();
  }
  bool responses_on() const { return allow_responses || responses_max != 0 || responses_expires.count() != 0; }
};

// Per-user limits; 0 = only the global limit applies.
struct UserLimitOptions {
  int max_connections = 0;
  int max_subscriptions = 0;
  uint64_t max_payload = 0;
};

// One entry of authorization.users.
struct UserOptions {
  std::string user;      // name; for a certificate-mapped user, the subject or SAN
  std::string password;  // bcrypt ($2a$/$2b$/$2y$) or plain text (warned about)
  std::string nkey;      // a user NKey (U...) instead of user/password
  PermissionOptions permissions;  // empty: default_permissions
  UserLimitOptions limits;
};

// nats-server's authorization {} block, plus tern's connection limits.
struct AuthorizationOptions {
  std::string token;
  std::string user, password;  // a single user (nats-server: --user/--pass)
  std::vector<UserOptions> users;
  PermissionOptions default_permissions;
  int max_connections_per_ip = 0;  // 0 = unlimited
  int connection_rate = 0;         // new connections per second per source IP; 0 = unlimited
  int connection_burst = 0;        // bucket size; 0 = connection_rate
  // Users (or, for token setups, "token") allowed to read _TERN.STATS and
  // _TERN.INTEREST once authorization is configured.
  std::vector<std::string> system_users;
  int verifier_threads = 0;  // threads that check bcrypt passwords; 0 = one per core

  bool any_auth() const { return !token.empty() || !user.empty() || !users.empty(); }
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
  bool bridge = false;  // POST /pub/{subject} and /req/{subject} (with the admin token)
  std::chrono::milliseconds header_timeout{5000};  // a request's head must arrive within this
  uint64_t max_body = 64 * 1024;                   // largest request body
  EventLogOptions event_log;
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
  // The user (of authorization.users) an MQTT client without a user name
  // becomes; overrides the top-level no_auth_user for MQTT, as in nats-server.
  std::string no_auth_user;

  bool enabled() const { return port != 0 || tls.enabled() || websocket.enabled(); }
};

struct Options {
  std::string server_name;  // default: the server id
  std::string addr = "0.0.0.0";
  int port = 4222;
  int http_port = 0;  // monitoring (nats-server -m); 0 = off, -1 = a random free port
  int workers = 0;    // 0: one per core
  int idle_spin_us = 50;  // a worker's poll before it sleeps (io::EventLoop::Wait); 0 = off

  log::Level log_level = log::Level::kInfo;
  std::string log_file;  // empty: stderr

  TlsOptions tls;  // the client listener's (nats-server: top-level tls {})
  WebsocketOptions websocket;
  ClusterOptions cluster;
  // host:port clients of other nodes are told to reach this one at
  // (connect_urls); empty: addr:port, or the cluster's host if addr is any.
  std::string client_advertise;
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
  // SIGUSR2 (lame duck): client disconnects are spread over the duration,
  // after the grace period in which clients only hear INFO ldm (nats-server's
  // defaults and names).
  std::chrono::milliseconds lame_duck_duration{120'000};
  std::chrono::milliseconds lame_duck_grace_period{10'000};

  AuthorizationOptions authorization;
  std::string no_auth_user;  // clients without credentials become this user
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
