#include "server/config/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <set>

#include "server/config/config.h"
#include "server/config/values.h"
#include "server/options.h"

namespace tern::server::config {
namespace {

// Indexed by the enum's value.
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kQueuePolicyNames[] = {"random", "round_robin"};
constexpr std::string_view kTlsVersions[] = {"1.2", "1.3"};
constexpr std::string_view kClusterQueuePolicyNames[] = {"local_first", "random", "round_robin"};

constexpr int64_t kIntMax = INT_MAX;

// clang-format off

// One tls {} block, attached wherever a listener takes TLS. The client
// listener adds handshake_first, which only the NATS protocol has.
const Spec kTlsFields[] = {
    {.name = "cert_file", .kind = Kind::kString, .path = {HopTo<&TlsOptions::cert_file>},
     .help = "PEM certificate chain; with key_file, turns TLS on.",
     .metavar = "file", .default_note = "none (TLS off)"},
    {.name = "key_file", .kind = Kind::kString, .path = {HopTo<&TlsOptions::key_file>},
     .help = "PEM private key of cert_file.", .metavar = "file", .default_note = "none"},
    {.name = "ca_file", .kind = Kind::kString, .path = {HopTo<&TlsOptions::ca_file>},
     .help = "PEM CA certificates that client certificates must chain to.",
     .metavar = "file", .default_note = "none"},
    {.name = "verify", .kind = Kind::kBool, .path = {HopTo<&TlsOptions::verify>},
     .help = "Require a client certificate and verify it against ca_file."},
    {.name = "verify_and_map", .kind = Kind::kBool, .path = {HopTo<&TlsOptions::verify_and_map>},
     .help = "Like verify; the certificate will also name the user once authorization lands."},
    {.name = "timeout", .kind = Kind::kDuration, .path = {HopTo<&TlsOptions::timeout>},
     .help = "Time a TLS handshake may take.", .min = 1},
    {.name = "min_version", .kind = Kind::kString, .path = {HopTo<&TlsOptions::min_version>},
     .help = "Oldest TLS version accepted.", .choices = kTlsVersions},
};

constexpr std::pair<std::string_view, std::string_view> kNatsTlsFlags[] = {
    {"cert_file", "tlscert"}, {"key_file", "tlskey"}, {"ca_file", "tlscacert"}, {"verify", "tlsverify"}};

// A linger rule, as one element of the linger list.
const Spec kLingerFields[] = {
    {.name = "subject", .kind = Kind::kString, .path = {HopTo<&LingerRule::subject>},
     .help = "Subject pattern, wildcards allowed.", .required = true},
    {.name = "for", .kind = Kind::kDuration, .path = {HopTo<&LingerRule::hold>},
     .help = "How long a message is held."},
    {.name = "max_bytes", .kind = Kind::kSize, .path = {HopTo<&LingerRule::max_bytes>},
     .help = "Bound for the bytes this rule holds."},
};

const CompactForm kLingerCompact = {
    .parse = [](std::string_view text, void* list, std::vector<std::string>* problems) {
      return ParseLingerRules(text, static_cast<std::vector<LingerRule>*>(list), problems);
    },
    .format = [](const void* list) {
      return FormatLingerRules(*static_cast<const std::vector<LingerRule>*>(list));
    },
};

// One permissions block, as a user's `permissions` and as
// authorization.default_permissions (nats-server's names). `publish: [a, b]`
// is nats-server's short form of `publish: {allow: [a, b]}`.
const Spec kPermissionFields[] = {
    {.name = "publish", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::publish>, HopTo<&SubjectPermissionOptions::allow>},
     .help = "Short for publish.allow.", .metavar = "subject,...", .check_item = CheckPublishPattern},
    {.name = "publish.allow", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::publish>, HopTo<&SubjectPermissionOptions::allow>},
     .help = "Subjects it may publish to (wildcards allowed); unset = all.",
     .metavar = "subject,...", .default_note = "all", .check_item = CheckPublishPattern},
    {.name = "publish.deny", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::publish>, HopTo<&SubjectPermissionOptions::deny>},
     .help = "Subjects it may not publish to; deny wins over allow.",
     .metavar = "subject,...", .default_note = "none", .check_item = CheckPublishPattern},
    {.name = "subscribe", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::subscribe>, HopTo<&SubjectPermissionOptions::allow>},
     .help = "Short for subscribe.allow.", .metavar = "subject [queue],...", .check_item = CheckSubscribePattern},
    {.name = "subscribe.allow", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::subscribe>, HopTo<&SubjectPermissionOptions::allow>},
     .help = "Subjects it may subscribe to; \"subject queue\" allows only that queue group.",
     .metavar = "subject [queue],...", .default_note = "all", .check_item = CheckSubscribePattern},
    {.name = "subscribe.deny", .kind = Kind::kStringList,
     .path = {HopTo<&PermissionOptions::subscribe>, HopTo<&SubjectPermissionOptions::deny>},
     .help = "Subjects it may not subscribe to (or receive through a wider wildcard).",
     .metavar = "subject [queue],...", .default_note = "none", .check_item = CheckSubscribePattern},
    {.name = "allow_responses", .kind = Kind::kBool, .path = {HopTo<&PermissionOptions::allow_responses>},
     .help = "May publish to the reply subject of a request it received (once, within 2m), "
             "without a publish grant; turns the publish allow list on."},
    {.name = "allow_responses.max", .kind = Kind::kInt, .path = {HopTo<&PermissionOptions::responses_max>},
     .help = "Replies allowed per request received.", .default_note = "1", .max = kIntMax},
    {.name = "allow_responses.expires", .kind = Kind::kDuration,
     .path = {HopTo<&PermissionOptions::responses_expires>},
     .help = "How long after the request a reply is allowed.", .default_note = "2m"},
};

// One element of authorization.users.
std::vector<Spec> BuildUserFields() {
  std::vector<Spec> f = {
      {.name = "user", .kind = Kind::kString, .path = {HopTo<&UserOptions::user>},
       .help = "User name (for tls.verify_and_map: the certificate's subject or a SAN)."},
      {.name = "password", .kind = Kind::kString, .path = {HopTo<&UserOptions::password>},
       .help = "bcrypt hash (tern passwd) or plain text (warned about).", .aliases = "pass", .secret = true},
      {.name = "nkey", .kind = Kind::kString, .path = {HopTo<&UserOptions::nkey>},
       .help = "Public user NKey (U...) instead of user and password."},
      {.name = "max_connections", .kind = Kind::kInt,
       .path = {HopTo<&UserOptions::limits>, HopTo<&UserLimitOptions::max_connections>},
       .help = "Connections this user may hold at once; 0 = unlimited.", .max = kIntMax},
      {.name = "max_subscriptions", .kind = Kind::kInt,
       .path = {HopTo<&UserOptions::limits>, HopTo<&UserLimitOptions::max_subscriptions>},
       .help = "Subscriptions per connection; 0 = max_subscriptions.", .max = kIntMax},
      {.name = "max_payload", .kind = Kind::kSize,
       .path = {HopTo<&UserOptions::limits>, HopTo<&UserLimitOptions::max_payload>},
       .help = "Largest payload it may publish; 0 = max_payload."},
  };
  Attach(&f, "permissions", {HopTo<&UserOptions::permissions>}, kPermissionFields);
  return f;
}

std::span<const Spec> UserFields() {
  static const std::vector<Spec> fields = BuildUserFields();
  return fields;
}

// Users are written in the file only; the compact form exists to show a
// change in the reload log without showing a secret.
const CompactForm kUsersCompact = {
    .parse = [](std::string_view, void*, std::vector<std::string>* problems) {
      problems->push_back("cannot be written as text: set it in the config file");
      return false;
    },
    .format = [](const void* list) {
      return FormatUsers(*static_cast<const std::vector<UserOptions>*>(list));
    },
};

// Help order. Reloadable follows what a live server can take without
// re-binding or rebuilding its workers: logging, per-connection limits read
// at accept/subscribe time, ping/deadline timers and the queue policy.
std::vector<Spec> BuildSchema() {
  std::vector<Spec> s = {
      {.name = "config", .kind = Kind::kString, .path = {HopTo<&Options::config_file>},
       .help = "Config file to read: YAML, or a nats-server configuration file (.conf).",
       .flags = "c", .metavar = "file", .default_note = "none", .in_file = false},
      {.name = "name", .kind = Kind::kString, .path = {HopTo<&Options::server_name>},
       .help = "Server name shown to clients and peers.",
       .flags = "n", .aliases = "server_name", .metavar = "name", .default_note = "the server id"},
      {.name = "addr", .kind = Kind::kString, .path = {HopTo<&Options::addr>},
       .help = "Address to listen on for client connections.",
       .flags = "a", .aliases = "net", .metavar = "host", .min = 1},
      {.name = "port", .kind = Kind::kPort, .path = {HopTo<&Options::port>},
       .help = "Port for client connections; -1 picks a random free port.",
       .flags = "p", .min = -1, .max = 65535},
      {.name = "http_port", .kind = Kind::kPort, .path = {HopTo<&Options::http_port>},
       .help = "Port for HTTP monitoring, /metrics and the dashboard (8222 by convention); 0 = off, -1 = random.",
       .flags = "m", .min = -1, .max = 65535},
      {.name = "workers", .kind = Kind::kInt, .path = {HopTo<&Options::workers>},
       .help = "Worker threads; 0 = one per core.", .max = 1024},
      {.name = "idle_spin_us", .kind = Kind::kInt, .path = {HopTo<&Options::idle_spin_us>},
       .help = "Microseconds a busy worker polls for I/O before it sleeps (lower latency on VMs); 0 = off.",
       .max = 10'000},
      {.name = "log.level", .kind = Kind::kEnum, .path = {HopTo<&Options::log_level>},
       .help = "Least severe log level written (-D = debug, -V/-DV = trace).",
       .choices = kLevelNames, .reloadable = true, .enum_type = &kEnumOf<log::Level>},
      {.name = "log.file", .kind = Kind::kString, .path = {HopTo<&Options::log_file>},
       .help = "File to append the log to.",
       .flags = "l log", .metavar = "file", .default_note = "stderr", .reloadable = true},
      {.name = "max_payload", .kind = Kind::kSize, .path = {HopTo<&Options::max_payload>},
       .help = "Largest message payload a client may publish (at most max_pending).",
       .min = 1, .max = int64_t{1} << 30, .reloadable = true},
      {.name = "max_control_line", .kind = Kind::kSize, .path = {HopTo<&Options::max_control_line>},
       .help = "Longest protocol line (PUB/SUB/CONNECT ...) a client may send.",
       .min = 1, .max = int64_t{1} << 30, .reloadable = true},
      {.name = "max_connections", .kind = Kind::kInt, .path = {HopTo<&Options::max_connections>},
       .help = "Client connections accepted at once.",
       .min = 1, .max = kIntMax, .reloadable = true},
      {.name = "max_subscriptions", .kind = Kind::kInt, .path = {HopTo<&Options::max_subscriptions>},
       .help = "Subscriptions per connection; 0 = unlimited.",
       .max = kIntMax, .reloadable = true},
      {.name = "max_pending", .kind = Kind::kSize, .path = {HopTo<&Options::max_pending>},
       .help = "Bytes buffered for a connection before it is a slow consumer and closed.",
       .min = 1, .reloadable = true},
      {.name = "write_deadline", .kind = Kind::kDuration, .path = {HopTo<&Options::write_deadline>},
       .help = "How long a blocked write may take before the connection is a slow consumer.",
       .min = 1, .reloadable = true},
      {.name = "ping_interval", .kind = Kind::kDuration, .path = {HopTo<&Options::ping_interval>},
       .help = "Interval between server PINGs to each client.",
       .min = 1, .reloadable = true},
      {.name = "max_pings_out", .kind = Kind::kInt, .path = {HopTo<&Options::max_pings_out>},
       .help = "Unanswered PINGs before a client is considered stale and closed.",
       .aliases = "ping_max", .min = 1, .max = kIntMax, .reloadable = true},
      {.name = "auth_timeout", .kind = Kind::kDuration, .path = {HopTo<&Options::auth_timeout>},
       .help = "Time a new client has to send CONNECT (and be authenticated).",
       .aliases = "authorization.timeout", .min = 1, .reloadable = true},
      {.name = "shutdown_grace", .kind = Kind::kDuration, .path = {HopTo<&Options::shutdown_grace>},
       .help = "Time to flush clients on SIGTERM/SIGINT before exiting.",
       .reloadable = true},
      {.name = "lame_duck_duration", .kind = Kind::kDuration, .path = {HopTo<&Options::lame_duck_duration>},
       .help = "SIGUSR2 (lame duck): stop accepting, tell clients (INFO ldm) and peers, close the clients "
               "spread over this time, then exit.",
       .min = 1, .reloadable = true},
      {.name = "lame_duck_grace_period", .kind = Kind::kDuration, .path = {HopTo<&Options::lame_duck_grace_period>},
       .help = "Part of lame_duck_duration before the first client is closed.",
       .reloadable = true},
      {.name = "max_closed_clients", .kind = Kind::kInt, .path = {HopTo<&Options::max_closed_clients>},
       .help = "Closed connections kept for /connz?state=closed.", .max = 1000000},
      {.name = "queue_policy", .kind = Kind::kEnum, .path = {HopTo<&Options::queue_policy>},
       .help = "How a queue group member is chosen for each message.",
       .choices = kQueuePolicyNames, .reloadable = true, .enum_type = &kEnumOf<QueuePolicy>},
      {.name = "linger", .kind = Kind::kStructList, .path = {HopTo<&Options::linger>},
       .help = "Hold messages that found no subscriber, per subject pattern (see docs/config.md).",
       .metavar = "subject=for[/max_bytes],...", .default_note = "none",
       .list = &kListOf<LingerRule>, .element = kLingerFields, .compact = &kLingerCompact,
       .check_element = [](const void* rule) { return CheckLingerRule(*static_cast<const LingerRule*>(rule)); }},

      {.name = "tls", .kind = Kind::kSwitch,
       .help = "Require TLS on the client listener: start-up fails unless tls.cert_file and tls.key_file are set.",
       .heading = "TLS on the client listener (nats-server: tls {})", .in_file = false},
  };
  Attach(&s, "tls", {HopTo<&Options::tls>}, kTlsFields, {}, kNatsTlsFlags);
  s.push_back({.name = "tls.handshake_first", .kind = Kind::kHandshakeFirst, .path = {HopTo<&Options::tls>},
               .help = "TLS before INFO, for TLS-first clients. auto: wait 50ms (or the duration given) "
                       "for a ClientHello, else send a plain INFO, so both kinds of client work.",
               .metavar = "false|true|auto|duration"});

  const std::vector<Hop> ws = {HopTo<&Options::websocket>};
  const Spec websocket[] = {
      {.name = "host", .kind = Kind::kString, .path = {HopTo<&WebsocketOptions::host>},
       .help = "Address for WebSocket connections.", .metavar = "host", .default_note = "addr"},
      {.name = "port", .kind = Kind::kPort, .path = {HopTo<&WebsocketOptions::port>},
       .help = "Port for the native protocol over WebSocket; 0 = off, -1 = a random free port.",
       .min = -1, .max = 65535},
      {.name = "no_tls", .kind = Kind::kBool, .path = {HopTo<&WebsocketOptions::no_tls>},
       .help = "Serve plain ws:// even when websocket.tls is set."},
      {.name = "same_origin", .kind = Kind::kBool, .path = {HopTo<&WebsocketOptions::same_origin>},
       .help = "Accept a browser only when its Origin matches the Host it connected to."},
      {.name = "allowed_origins", .kind = Kind::kStringList, .path = {HopTo<&WebsocketOptions::allowed_origins>},
       .help = "If set, the Origin header must be one of these.",
       .metavar = "scheme://host[:port],...", .default_note = "any", .check_item = CheckOrigin},
      {.name = "compression", .kind = Kind::kBool, .path = {HopTo<&WebsocketOptions::compression>},
       .help = "Accept permessage-deflate when a client offers it."},
      {.name = "handshake_timeout", .kind = Kind::kDuration, .path = {HopTo<&WebsocketOptions::handshake_timeout>},
       .help = "Time the HTTP upgrade may take.", .min = 1},
      {.name = "max_frame", .kind = Kind::kSize, .path = {HopTo<&WebsocketOptions::max_frame>},
       .help = "Largest WebSocket frame accepted.", .min = 1},
  };
  Attach(&s, "websocket", ws, websocket, "Native protocol over WebSocket (nats-server: websocket {})");
  Attach(&s, "websocket.tls", {HopTo<&Options::websocket>, HopTo<&WebsocketOptions::tls>}, kTlsFields,
         "TLS on the WebSocket listener (nats-server: websocket { tls {} })");

  s.push_back({.name = "client_advertise", .kind = Kind::kString, .path = {HopTo<&Options::client_advertise>},
               .help = "host:port that clients of other nodes are told to reach this node at (connect_urls).",
               .metavar = "host:port", .default_note = "addr:port"});
  const std::vector<Hop> cl = {HopTo<&Options::cluster>};
  const Spec cluster[] = {
      {.name = "name", .kind = Kind::kString, .path = {HopTo<&ClusterOptions::name>},
       .help = "Cluster name; a route to a node of another cluster is refused.",
       .flags = "cluster_name", .metavar = "name", .default_note = "none"},
      {.name = "listen", .kind = Kind::kString, .path = {HopTo<&ClusterOptions::listen>},
       .help = "host:port for routes from other nodes (turns the cluster on).",
       .flags = "cluster", .metavar = "[nats://]host:port", .default_note = "off", .check_item = CheckHostPort},
      {.name = "host", .kind = Kind::kString, .path = {HopTo<&ClusterOptions::host>},
       .help = "Address for routes, when cluster.listen is not given.", .metavar = "host", .default_note = "addr"},
      {.name = "port", .kind = Kind::kPort, .path = {HopTo<&ClusterOptions::port>},
       .help = "Port for routes; 0 = 6222 once the cluster is on, -1 = a random free port.",
       .min = -1, .max = 65535},
      {.name = "routes", .kind = Kind::kStringList, .path = {HopTo<&ClusterOptions::routes>},
       .help = "Seed routes to join (peers learned from them are dialled too).",
       .flags = "routes", .metavar = "[nats-route://]host:port,...", .default_note = "none",
       .check_item = CheckHostPort},
      {.name = "advertise", .kind = Kind::kString, .path = {HopTo<&ClusterOptions::advertise>},
       .help = "host:port peers are told to dial this node at.",
       .aliases = "cluster_advertise", .metavar = "host:port", .default_note = "the listener",
       .check_item = CheckHostPort},
      {.name = "max_pending", .kind = Kind::kSize, .path = {HopTo<&ClusterOptions::max_pending>},
       .help = "Bytes buffered per route; past it messages to that node are dropped and counted.", .min = 1},
      {.name = "queue_policy", .kind = Kind::kEnum, .path = {HopTo<&ClusterOptions::queue_policy>},
       .help = "Queue groups across nodes: a local member first, or random / round_robin over all members.",
       .choices = kClusterQueuePolicyNames, .reloadable = true, .enum_type = &kEnumOf<ClusterQueuePolicy>},
      {.name = "ping_interval", .kind = Kind::kDuration, .path = {HopTo<&ClusterOptions::ping_interval>},
       .help = "Route keepalive; a route missing max_pings_out answers is closed and redialled.", .min = 1},
      {.name = "barrier_timeout", .kind = Kind::kDuration, .path = {HopTo<&ClusterOptions::barrier_timeout>},
       .help = "Longest an interest barrier (CONNECT interest_barrier) waits for a peer's answer.", .min = 1},
  };
  Attach(&s, "cluster", cl, cluster, "Cluster routes (nats-server: cluster {})");
  Attach(&s, "cluster.tls", {HopTo<&Options::cluster>, HopTo<&ClusterOptions::tls>}, kTlsFields,
         "TLS on routes, both ways (nats-server: cluster { tls {} })");
  const Spec etcd[] = {
      {.name = "endpoints", .kind = Kind::kStringList, .path = {HopTo<&EtcdOptions::endpoints>},
       .help = "etcd members (http://host:port) to register with and learn peers from.",
       .metavar = "http://host:port,...", .default_note = "none (etcd off)"},
      {.name = "prefix", .kind = Kind::kString, .path = {HopTo<&EtcdOptions::prefix>},
       .help = "Key prefix the nodes of this cluster register under.", .min = 1},
      {.name = "ttl", .kind = Kind::kDuration, .path = {HopTo<&EtcdOptions::ttl>},
       .help = "Lease TTL: how long a node that stopped renewing stays listed.", .min = 2000},
  };
  Attach(&s, "cluster.etcd", {HopTo<&Options::cluster>, HopTo<&ClusterOptions::etcd>}, etcd,
         "Membership from etcd (v3 JSON gateway)");
  const Spec cluster_auth[] = {
      {.name = "user", .kind = Kind::kString, .path = {HopTo<&ClusterAuthOptions::user>},
       .help = "User every route must present (and the one this node sends to a URL without credentials).",
       .metavar = "name", .default_note = "none", .reloadable = true},
      {.name = "password", .kind = Kind::kString, .path = {HopTo<&ClusterAuthOptions::password>},
       .help = "Its password: a bcrypt hash (tern passwd) or plain text; only plain text can also be sent.",
       .metavar = "password", .default_note = "none", .reloadable = true, .secret = true},
      {.name = "timeout", .kind = Kind::kDuration, .path = {HopTo<&ClusterAuthOptions::timeout>},
       .help = "Time an accepted route has to authenticate.", .min = 1, .reloadable = true},
  };
  Attach(&s, "cluster.authorization", {HopTo<&Options::cluster>, HopTo<&ClusterOptions::authorization>},
         cluster_auth, "Route authentication by shared secret (nats-server: cluster { authorization {} })");
  const std::vector<Hop> authz = {HopTo<&Options::authorization>};
  const Spec authorization[] = {
      {.name = "token", .kind = Kind::kString, .path = {HopTo<&AuthorizationOptions::token>},
       .help = "The one token every client must send (bcrypt hash or plain text).",
       .flags = "auth", .metavar = "token", .default_note = "none", .reloadable = true, .secret = true},
      {.name = "user", .kind = Kind::kString, .path = {HopTo<&AuthorizationOptions::user>},
       .help = "A single user name (with authorization.password); or list authorization.users.",
       .flags = "user", .metavar = "name", .default_note = "none", .reloadable = true},
      {.name = "password", .kind = Kind::kString, .path = {HopTo<&AuthorizationOptions::password>},
       .help = "Password of authorization.user (bcrypt hash or plain text).",
       .flags = "pass", .metavar = "password", .default_note = "none", .reloadable = true, .secret = true},
      {.name = "users", .kind = Kind::kStructList, .path = {HopTo<&AuthorizationOptions::users>},
       .help = "Users: {user, password | nkey, permissions, max_connections, ...} (docs/security.md).",
       .metavar = "file only", .default_note = "none", .reloadable = true,
       .list = &kListOf<UserOptions>, .element = UserFields(), .compact = &kUsersCompact},
      {.name = "system_users", .kind = Kind::kStringList, .path = {HopTo<&AuthorizationOptions::system_users>},
       .help = "Users who may ask _TERN.STATS and _TERN.INTEREST once authorization is on.",
       .metavar = "user,...", .default_note = "none", .reloadable = true},
      {.name = "max_connections_per_ip", .kind = Kind::kInt,
       .path = {HopTo<&AuthorizationOptions::max_connections_per_ip>},
       .help = "Client connections one source address may hold at once; 0 = unlimited.",
       .max = kIntMax, .reloadable = true},
      {.name = "connection_rate", .kind = Kind::kInt, .path = {HopTo<&AuthorizationOptions::connection_rate>},
       .help = "New connections per second one source address may open; 0 = unlimited.",
       .max = kIntMax, .reloadable = true},
      {.name = "connection_burst", .kind = Kind::kInt, .path = {HopTo<&AuthorizationOptions::connection_burst>},
       .help = "Connections one address may open at once above connection_rate; 0 = connection_rate.",
       .max = kIntMax, .reloadable = true},
      {.name = "verifier_threads", .kind = Kind::kInt, .path = {HopTo<&AuthorizationOptions::verifier_threads>},
       .help = "Threads that check bcrypt passwords, off the worker loops; 0 = one per core.", .max = 256},
  };
  Attach(&s, "authorization", authz, authorization, "Authentication and limits (nats-server: authorization {})");
  std::vector<Spec> defaults;
  Attach(&defaults, "authorization.default_permissions",
         {HopTo<&Options::authorization>, HopTo<&AuthorizationOptions::default_permissions>}, kPermissionFields);
  for (Spec& d : defaults) {
    d.reloadable = true;
    s.push_back(std::move(d));
  }
  s.push_back({.name = "no_auth_user", .kind = Kind::kString, .path = {HopTo<&Options::no_auth_user>},
               .help = "The user (of authorization.users) a client that sends no credentials becomes.",
               .metavar = "user", .default_note = "none: such clients are refused", .reloadable = true});

  const std::vector<Hop> http = {HopTo<&Options::http>};
  const Spec http_fields[] = {
      {.name = "host", .kind = Kind::kString, .path = {HopTo<&HttpOptions::host>},
       .help = "Address for the HTTP listener.", .metavar = "host", .default_note = "addr"},
      {.name = "admin_token", .kind = Kind::kString, .path = {HopTo<&HttpOptions::admin_token>},
       .help = "Bearer token that POST /admin/... and the bridge require; without one both are refused.",
       .metavar = "token", .default_note = "none (admin off)"},
      {.name = "bridge", .kind = Kind::kBool, .path = {HopTo<&HttpOptions::bridge>},
       .help = "Serve POST /pub/{subject} and POST /req/{subject} (with the admin token)."},
      {.name = "header_timeout", .kind = Kind::kDuration, .path = {HopTo<&HttpOptions::header_timeout>},
       .help = "Time an HTTP request's head may take to arrive (slow clients are cut off).", .min = 1},
      {.name = "max_body", .kind = Kind::kSize, .path = {HopTo<&HttpOptions::max_body>},
       .help = "Largest HTTP request body; a bigger one is refused with 413.", .min = 1, .max = int64_t{1} << 30},
      {.name = "event_log.max_events", .kind = Kind::kInt, .path = {HopTo<&HttpOptions::event_log>,
       HopTo<&EventLogOptions::max_events>},
       .help = "Connect/disconnect/auth-failure events kept in memory for /eventz.", .min = 1, .max = 10000000},
      {.name = "event_log.file", .kind = Kind::kString, .path = {HopTo<&HttpOptions::event_log>,
       HopTo<&EventLogOptions::file>},
       .help = "Also append the events to this file as JSON lines.", .metavar = "file", .default_note = "none"},
      {.name = "event_log.max_size", .kind = Kind::kSize, .path = {HopTo<&HttpOptions::event_log>,
       HopTo<&EventLogOptions::max_size>},
       .help = "Rotate the event file when it passes this size.", .min = 1},
      {.name = "event_log.max_files", .kind = Kind::kInt, .path = {HopTo<&HttpOptions::event_log>,
       HopTo<&EventLogOptions::max_files>},
       .help = "Event files kept, the current one included.", .min = 1, .max = 1000},
  };
  Attach(&s, "http", http, http_fields, "HTTP monitoring, admin actions, publish bridge (nats-server: http_port)");
  Attach(&s, "http.tls", {HopTo<&Options::http>, HopTo<&HttpOptions::tls>}, kTlsFields,
         "TLS on the HTTP listener (nats-server: https_port with the top-level tls {})");
  const Spec mqtt[] = {
      {.name = "host", .kind = Kind::kString, .path = {HopTo<&MqttOptions::host>},
       .help = "Address for MQTT connections (all three listeners).", .metavar = "host", .default_note = "addr"},
      {.name = "port", .kind = Kind::kPort, .path = {HopTo<&MqttOptions::port>},
       .help = "Port for MQTT over TCP; 0 = off, -1 = a random free port.", .min = -1, .max = 65535},
      {.name = "tls_port", .kind = Kind::kPort, .path = {HopTo<&MqttOptions::tls_port>},
       .help = "Port for MQTT over TLS, used when mqtt.tls.cert_file is set; -1 = a random free port.",
       .min = -1, .max = 65535},
      {.name = "max_keepalive", .kind = Kind::kDuration, .path = {HopTo<&MqttOptions::max_keepalive>},
       .help = "Longest keep alive a client may use: 5.0 clients are told (Server Keep Alive), "
               "3.1.1 clients asking for more are refused.", .min = 1000, .max = 65535 * 1000},
      {.name = "max_inflight", .kind = Kind::kInt, .path = {HopTo<&MqttOptions::max_inflight>},
       .help = "QoS 1/2 messages sent to a client and not yet acknowledged.", .min = 1, .max = 65535},
      {.name = "max_queued", .kind = Kind::kInt, .path = {HopTo<&MqttOptions::max_queued>},
       .help = "QoS 1/2 messages queued per session beyond max_inflight; more are dropped and counted.",
       .min = 0, .max = kIntMax},
      {.name = "max_packet_size", .kind = Kind::kSize, .path = {HopTo<&MqttOptions::max_packet_size>},
       .help = "Largest MQTT packet a client may send.", .min = 16, .max = 268435460},
      {.name = "no_auth_user", .kind = Kind::kString, .path = {HopTo<&MqttOptions::no_auth_user>},
       .help = "The user (of authorization.users) an MQTT client that sends no user name becomes.",
       .metavar = "user", .default_note = "no_auth_user", .reloadable = true},
  };
  const std::vector<Hop> mq = {HopTo<&Options::mqtt>};
  Attach(&s, "mqtt", mq, mqtt, "MQTT 3.1.1 and 5.0 (nats-server: mqtt {})");
  Attach(&s, "mqtt.tls", {HopTo<&Options::mqtt>, HopTo<&MqttOptions::tls>}, kTlsFields,
         "TLS for MQTT: a listener on mqtt.tls_port (nats-server: mqtt { tls {} })");
  Attach(&s, "mqtt.websocket", {HopTo<&Options::mqtt>, HopTo<&MqttOptions::websocket>}, websocket,
         "MQTT over WebSocket at /mqtt, subprotocol mqtt");
  Attach(&s, "mqtt.websocket.tls",
         {HopTo<&Options::mqtt>, HopTo<&MqttOptions::websocket>, HopTo<&WebsocketOptions::tls>}, kTlsFields,
         "TLS on the MQTT WebSocket listener (wss://)");
  s.push_back({.name = "data_dir", .kind = Kind::kString, .path = {HopTo<&Options::data_dir>},
               .help = "Directory for embedded state: MQTT sessions and retained messages.",
               .metavar = "dir", .min = 1});
  return s;
}

// clang-format on

// Two options must never share a spelling, or one would shadow the other.
void CheckUnique(const std::vector<Spec>& specs) {
  std::set<std::string> seen;
  for (const auto& s : specs) {
    std::vector<std::string> spellings = {s.name, EnvName(s.name)};
    for (auto w : Words(s.flags)) spellings.emplace_back(w);
    for (auto w : Words(s.aliases)) spellings.emplace_back(w);
    for (auto& w : spellings) {
      if (!seen.insert(w).second) {
        fmt::print(stderr, "config schema: '{}' is spelled twice\n", w);
        std::abort();
      }
    }
  }
}

}  // namespace

void Attach(std::vector<Spec>* out, std::string_view prefix, const std::vector<Hop>& path, Table fields,
            std::string_view heading, std::span<const std::pair<std::string_view, std::string_view>> flags) {
  for (const Spec& field : fields) {
    Spec s = field;
    s.name = prefix.empty() ? field.name : fmt::format("{}.{}", prefix, field.name);
    s.path = path;
    s.path.insert(s.path.end(), field.path.begin(), field.path.end());
    for (auto [name, flag] : flags) {
      if (name == field.name) s.flags = s.flags.empty() ? std::string(flag) : fmt::format("{} {}", s.flags, flag);
    }
    if (&field == &fields.front() && !heading.empty()) s.heading = heading;
    out->push_back(std::move(s));
  }
}

Table Schema() {
  static const std::vector<Spec> specs = [] {
    std::vector<Spec> s = BuildSchema();
    CheckUnique(s);
    return s;
  }();
  return specs;
}

const Spec& SpecNamed(std::string_view name) {
  for (const auto& s : Schema()) {
    if (s.name == name) return s;
  }
  fmt::print(stderr, "config: no option named '{}'\n", name);
  std::abort();
}

void* FieldOf(const Spec& spec, void* root) {
  void* p = root;
  for (Hop hop : spec.path) p = hop(p);
  return p;
}

const void* FieldOf(const Spec& spec, const void* root) {
  // The hops only compute addresses; constness is restored on return.
  return FieldOf(spec, const_cast<void*>(root));
}

std::vector<std::string_view> Words(std::string_view words) {
  std::vector<std::string_view> out;
  while (!words.empty()) {
    size_t end = words.find(' ');
    if (end != 0) out.push_back(words.substr(0, end));
    if (end == std::string_view::npos) break;
    words.remove_prefix(end + 1);
  }
  return out;
}

bool HasWord(std::string_view words, std::string_view word) {
  for (auto w : Words(words)) {
    if (w == word) return true;
  }
  return false;
}

const Spec* FindKey(Table table, std::string_view key) {
  for (const auto& s : table) {
    if (s.name == key || HasWord(s.aliases, key)) return &s;
  }
  return nullptr;
}

const Spec* FindFlag(Table table, std::string_view key) {
  for (const auto& s : table) {
    if (s.name == key || HasWord(s.flags, key) || HasWord(s.aliases, key)) return &s;
  }
  return nullptr;
}

bool IsSection(Table table, std::string_view key) { return !FirstUnder(table, key).empty(); }

std::string_view FirstUnder(Table table, std::string_view key) {
  for (const auto& s : table) {
    std::string_view name = s.name;
    if (name.size() > key.size() && name.starts_with(key) && name[key.size()] == '.') {
      return name.substr(key.size() + 1);
    }
  }
  return {};
}

std::string EnvName(std::string_view name) {
  std::string out = "TERN_";
  for (char c : name) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Suggest(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = std::max<size_t>(2, wrong.size() / 4) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(wrong, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  return best == nullptr ? std::string() : fmt::format(" (did you mean {}?)", *best);
}

}  // namespace tern::server::config
