// A nats-server configuration file mapped onto tern's options. Names are
// nats-server's (case-insensitive, as there), units too: a bare number is
// seconds where nats-server takes a duration, sizes arrive as bytes.
//
// Every key is accounted for. A key tern has maps; a harmless one it lacks
// is ignored with a warning; one whose silent omission would weaken
// security or change what is delivered (authorization, accounts, cluster,
// jetstream, TLS settings tern cannot honour ...) is an error, so that
// nobody runs an open server believing it locked. Unknown keys are errors,
// as in nats-server.
#include <fmt/format.h>

#include <cctype>

#include "server/config/builder.h"
#include "server/config/values.h"

namespace tern::server::config {
namespace {

enum class Act : uint8_t {
  kOption,    // the tern option `target` (relative to the block's prefix), same meaning
  kListen,    // host:port or a port; target = "<host option> <port option>"
  kHttp,      // monitoring host:port or port (http.host, http_port)
  kHttps,     // the same over TLS with the top-level tls {} block (http.tls)
  kLogLevel,  // debug, trace, trace_verbose: booleans that combine into log.level
  kBlock,     // a nested block read with `block`, its tern prefix in `target`
  kUsers,     // authorization.users: a list of users, each with permissions
  kDefaultPermissions,  // authorization.default_permissions
  kWarn,      // ignored with a warning saying why
  kRefuse,    // an error saying why
};

struct NatsBlock;

struct NatsKey {
  std::string_view names;  // nats-server spellings, lower case, space separated
  Act act;
  std::string_view target = {};
  std::string_view why = {};
  const NatsBlock* block = nullptr;
};

struct NatsBlock {
  std::span<const NatsKey> keys;
  // An unlisted key: refused with this reason, or (empty) unknown.
  std::string_view refuse_unknown = {};
};

constexpr std::string_view kNoAuthHere =
    "tern authenticates clients with the top-level authorization block only, so these clients would get in "
    "unchecked";
constexpr std::string_view kNoAuthFeature =
    "tern does not have this authorization feature, so clients would not be checked as this file asks";
constexpr std::string_view kNoJwt =
    "tern has no JWT (operator/account) authentication, so clients would not be checked";
constexpr std::string_view kNoJetStream =
    "tern has no JetStream: streams and consumers would not exist and nothing would be persisted";

// clang-format off
constexpr NatsKey kTlsKeys[] = {
    {"cert_file", Act::kOption, "cert_file"},
    {"key_file", Act::kOption, "key_file"},
    {"ca_file", Act::kOption, "ca_file"},
    {"verify", Act::kOption, "verify"},
    {"verify_and_map", Act::kOption, "verify_and_map"},
    {"timeout", Act::kOption, "timeout"},
    {"handshake_first first immediate", Act::kOption, "handshake_first"},
    {"min_version", Act::kOption, "min_version"},
};
constexpr NatsBlock kTls = {kTlsKeys,
    "tern cannot honour this TLS setting, so the listener would accept what this file forbids"};

constexpr NatsKey kAuthorizationKeys[] = {
    {"timeout", Act::kOption, "auth_timeout"},
    {"user username", Act::kOption, "authorization.user"},
    {"pass password", Act::kOption, "authorization.password"},
    {"token", Act::kOption, "authorization.token"},
    {"users", Act::kUsers, "authorization.users"},
    {"default_permission default_permissions", Act::kDefaultPermissions, "authorization.default_permissions"},
};
constexpr NatsBlock kAuthorization = {kAuthorizationKeys, kNoAuthFeature};

constexpr NatsKey kWebsocketKeys[] = {
    {"listen", Act::kListen, "host port"},
    {"host net", Act::kOption, "host"},
    {"port", Act::kOption, "port"},
    {"no_tls", Act::kOption, "no_tls"},
    {"tls", Act::kBlock, "tls", {}, &kTls},
    {"same_origin", Act::kOption, "same_origin"},
    {"allowed_origins allowed_origin allow_origins allow_origin origins origin", Act::kOption, "allowed_origins"},
    {"handshake_timeout", Act::kOption, "handshake_timeout"},
    {"compression compress", Act::kOption, "compression"},
    {"advertise", Act::kWarn, {}, "tern advertises only client URLs to clients, not WebSocket ones"},
    {"authorization authentication jwt_cookie user_cookie pass_cookie token_cookie no_auth_user", Act::kRefuse, {},
     kNoAuthHere},
};
constexpr NatsBlock kWebsocket = {kWebsocketKeys};

// cluster { authorization {} }: the one user and password routes present.
// nats-server takes users, tokens and permissions here too, but uses only
// user, password and timeout for routes.
constexpr NatsKey kClusterAuthorizationKeys[] = {
    {"user username", Act::kOption, "user"},
    {"pass password", Act::kOption, "password"},
    {"timeout", Act::kOption, "timeout"},
};
constexpr NatsBlock kClusterAuthorization = {kClusterAuthorizationKeys,
    "tern checks routes by cluster authorization user and password only, so routes would get in unchecked"};

constexpr NatsKey kClusterKeys[] = {
    {"name", Act::kOption, "name"},
    {"listen", Act::kListen, "host port"},
    {"host net", Act::kOption, "host"},
    {"port", Act::kOption, "port"},
    {"routes", Act::kOption, "routes"},
    {"cluster_advertise advertise", Act::kOption, "advertise"},
    {"tls", Act::kBlock, "tls", {}, &kTls},
    {"connect_retries", Act::kWarn, {}, "tern redials known peers forever, with backoff"},
    {"no_advertise", Act::kWarn, {}, "tern always tells clients the other nodes' URLs"},
    {"pool_size compression", Act::kWarn, {}, "tern holds one uncompressed route per pair of nodes"},
    {"authorization", Act::kBlock, "authorization", {}, &kClusterAuthorization},
    {"permissions", Act::kRefuse, {}, "tern has no route permissions, so every subject would cross"},
};
constexpr NatsBlock kCluster = {kClusterKeys};

// nats-server's mqtt {} block. Its QoS 1/2 machinery is JetStream's
// (streams, consumers, replicas); tern keeps sessions itself, so those
// knobs have nothing to act on.
constexpr NatsKey kMqttKeys[] = {
    {"listen", Act::kListen, "host port"},
    {"host net", Act::kOption, "host"},
    {"port", Act::kOption, "port"},
    {"tls", Act::kBlock, "tls", {}, &kTls},
    {"max_ack_pending max_pending max_inflight", Act::kOption, "max_inflight"},
    {"ack_wait ackwait", Act::kWarn, {}, "tern redelivers unacknowledged QoS 1/2 messages on reconnect, as the spec says"},
    {"js_domain stream_replicas consumer_replicas consumer_memory_storage consumer_inactive_threshold "
     "js_api_timeout", Act::kWarn, {}, "tern keeps MQTT sessions itself, not in JetStream"},
    {"no_auth_user", Act::kOption, "no_auth_user"},
    {"authorization authentication", Act::kRefuse, {}, kNoAuthHere},
    {"reject_qos2_publish downgrade_qos2_subscribe", Act::kRefuse, {},
     "tern delivers QoS 2 as asked, so this file's QoS 2 restriction would not hold"},
};
constexpr NatsBlock kMqtt = {kMqttKeys};

constexpr NatsKey kTopKeys[] = {
    {"listen", Act::kListen, "addr port"},
    {"host net", Act::kOption, "addr"},
    {"port", Act::kOption, "port"},
    {"server_name", Act::kOption, "name"},
    {"http", Act::kHttp, "http_port"},
    {"https", Act::kHttps, "http_port"},
    {"https_port", Act::kHttps, "http_port"},
    {"http_port monitor_port", Act::kOption, "http_port"},
    {"max_payload", Act::kOption, "max_payload"},
    {"max_control_line", Act::kOption, "max_control_line"},
    {"max_connections max_conn", Act::kOption, "max_connections"},
    {"max_subscriptions max_subs", Act::kOption, "max_subscriptions"},
    {"max_pending", Act::kOption, "max_pending"},
    {"write_deadline", Act::kOption, "write_deadline"},
    {"ping_interval", Act::kOption, "ping_interval"},
    {"ping_max", Act::kOption, "max_pings_out"},
    {"debug trace trace_verbose", Act::kLogLevel},
    {"logfile log_file", Act::kOption, "log.file"},
    {"tls", Act::kBlock, "tls", {}, &kTls},
    {"websocket ws", Act::kBlock, "websocket", {}, &kWebsocket},
    {"authorization", Act::kBlock, "", {}, &kAuthorization},

    {"logtime logtime_utc", Act::kWarn, {}, "tern's log format is its own"},
    {"syslog remote_syslog", Act::kWarn, {}, "tern logs to stderr or log.file"},
    {"logfile_size_limit log_size_limit logfile_max_num log_max_num", Act::kWarn, {}, "tern does not rotate its log"},
    {"max_traced_msg_len", Act::kWarn, {}, "tern does not shorten traced messages"},
    {"pidfile pid_file ports_file_dir", Act::kWarn, {}, "tern writes no pid or ports file"},
    {"prof_port", Act::kWarn, {}, "tern has no profiling endpoint"},
    {"http_base_path", Act::kWarn, {}, "tern serves monitoring at the root of its HTTP port"},
    {"max_closed_clients", Act::kOption, "max_closed_clients"},
    {"client_advertise", Act::kOption, "client_advertise"},
    {"cluster", Act::kBlock, "cluster", {}, &kCluster},
    {"connect_error_reports reconnect_error_reports", Act::kWarn, {}, "tern logs every failed route dial at debug level"},
    {"server_tags", Act::kWarn, {}, "tern has no server tags"},
    {"lame_duck_duration", Act::kOption, "lame_duck_duration"},
    {"lame_duck_grace_period", Act::kOption, "lame_duck_grace_period"},
    {"disable_sublist_cache no_sublist_cache", Act::kWarn, {}, "tern's match cache is always on"},
    {"no_header_support", Act::kWarn, {}, "tern always supports headers (clients still choose)"},
    {"no_system_account no_system no_sys_acc", Act::kWarn, {}, "tern has no system account"},
    {"max_sub_tokens max_subscription_tokens", Act::kWarn, {}, "tern does not limit subject tokens"},
    {"ocsp ocsp_cache", Act::kWarn, {},
     "tern does not staple OCSP responses; clients that require one will not connect"},
    {"allow_non_tls", Act::kWarn, {}, "with tls set, tern requires TLS of every client"},

    {"no_auth_user", Act::kOption, "no_auth_user"},
    {"accounts", Act::kRefuse, {},
     "tern has no accounts, so all clients would share one subject space with no isolation"},
    {"operator operators root roots root_operator root_operators resolver account_resolver accounts_resolver "
     "resolver_tls resolver_preload resolver_pinned_accounts trusted trusted_keys system_account system",
     Act::kRefuse, {}, kNoJwt},
    {"gateway", Act::kRefuse, {}, "tern has no gateways, so messages would not reach other clusters"},
    {"leaf leafnodes", Act::kRefuse, {}, "tern has no leaf nodes, so messages would not reach the remotes"},
    {"jetstream store_dir storedir default_js_domain", Act::kRefuse, {}, kNoJetStream},
    {"mqtt", Act::kBlock, "mqtt", {}, &kMqtt},
    {"mappings maps", Act::kRefuse, {},
     "tern has no subject mappings, so messages would go to the subjects as published"},
};
constexpr NatsBlock kTop = {kTopKeys};
// clang-format on

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Join(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  if (name.empty()) return std::string(prefix);
  return fmt::format("{}.{}", prefix, name);
}

const NatsKey* FindNats(const NatsBlock& block, std::string_view key) {
  for (const auto& k : block.keys) {
    if (HasWord(k.names, key)) return &k;
  }
  return nullptr;
}

class NatsReader {
 public:
  explicit NatsReader(Builder* b) : b_(b) {}

  void Read(const Node& root) {
    ReadBlock(root, kTop, "", "");
    FinishLogLevel();
    // nats-server's https uses the client listener's tls block.
    if (https_) {
      if (!b_->opts.tls.enabled()) {
        b_->errors.push_back(fmt::format("{}: https_port needs a top-level tls {{}} block", *root.file));
      }
      b_->opts.http.tls = b_->opts.tls;
    }
    // nats-server has no websocket listener without a websocket block (or
    // with one that has no port); tern's default would open one.
    if (!saw_websocket_port_) {
      Set(SpecNamed("websocket.port"), "0", fmt::format("{}: no websocket port", *root.file));
    }
    // Likewise MQTT, which nats-server serves over WebSocket on its
    // websocket listener; tern's MQTT WebSocket listener is its own.
    if (!saw_mqtt_port_) Set(SpecNamed("mqtt.port"), "0", fmt::format("{}: no mqtt block", *root.file));
    Set(SpecNamed("mqtt.websocket.port"), "0", fmt::format("{}: nats-server has no separate MQTT WebSocket listener", *root.file));
  }

 private:
  void ReadBlock(const Node& map, const NatsBlock& block, std::string_view prefix, std::string_view path) {
    for (const Entry& e : map.entries) {
      std::string key = Lower(e.key);
      std::string shown = Join(path, e.key);
      const NatsKey* k = FindNats(block, key);
      if (k == nullptr) {
        // A key that only holds a value for $VAR is no option (nats-server's IsUsedVariable).
        if (e.used_as_variable) continue;
        if (!block.refuse_unknown.empty()) {
          Refuse(e, shown, block.refuse_unknown);
        } else {
          std::vector<std::string> names;
          for (const auto& nk : block.keys) {
            for (auto w : Words(nk.names)) names.emplace_back(Join(path, w));
          }
          b_->errors.push_back(
              fmt::format("{}: {}: unknown nats-server option{}", e.Where(), shown, Suggest(shown, names)));
        }
        continue;
      }
      switch (k->act) {
        case Act::kOption:
          Option(e, shown, Join(prefix, k->target));
          break;
        case Act::kListen: {
          auto targets = Words(k->target);
          Listen(e, shown, Join(prefix, targets[0]), Join(prefix, targets[1]));
          break;
        }
        case Act::kHttp:
          Http(e, shown, Join(prefix, k->target));
          break;
        case Act::kHttps:
          Http(e, shown, Join(prefix, k->target));
          https_ = true;
          break;
        case Act::kLogLevel:
          LogFlag(e, shown, key);
          break;
        case Act::kBlock:
          if (e.value.type != Node::Type::kMap) {
            b_->errors.push_back(
                fmt::format("{}: {}: expected a block {{ ... }}, found a {}", e.Where(), shown, e.value.TypeName()));
          } else {
            ReadBlock(e.value, *k->block, Join(prefix, k->target), shown);
            if (k->block == &kWebsocket) CheckWebsocket(e);
            if (k->block == &kMqtt) FinishMqtt(e);
          }
          break;
        case Act::kUsers:
          Users(e, shown);
          break;
        case Act::kDefaultPermissions:
          if (Node perms; Permissions(e.value, shown, &perms)) {
            ApplyTern(Wrap("authorization", Wrap("default_permissions", std::move(perms))));
          }
          break;
        case Act::kWarn:
          b_->warnings.push_back(
              fmt::format("{}: {}: nats-server option not supported by tern, ignored: {}", e.Where(), shown, k->why));
          break;
        case Act::kRefuse:
          Refuse(e, shown, k->why);
          break;
      }
    }
  }

  // ---- authorization: nats-server's shapes rewritten in tern's names,
  // then read as the YAML layer reads them, so the checks are the same.

  static Node Wrap(std::string key, Node value) {
    Node map;
    map.type = Node::Type::kMap;
    map.file = value.file;
    map.line = value.line;
    Entry e;
    e.key = std::move(key);
    e.line = value.line;
    e.value = std::move(value);
    map.entries.push_back(std::move(e));
    return map;
  }

  void ApplyTern(const Node& root) { ApplyTree(root, b_); }

  static Node AsList(const Node& v) {
    if (v.type == Node::Type::kList) return v;
    Node list;
    list.type = Node::Type::kList;
    list.file = v.file;
    list.line = v.line;
    list.items.push_back(v);
    return list;
  }

  // publish / subscribe: a subject, a list (both the allow list), or {allow, deny}.
  bool SubjectRules(const Entry& e, const std::string& shown, Node* out) {
    const Node v = e.value;  // `out` may be a copy of it
    *out = Node();
    if (v.is_scalar() || v.type == Node::Type::kList) {
      *out = Wrap("allow", AsList(v));
      return true;
    }
    if (v.type != Node::Type::kMap) {
      b_->errors.push_back(fmt::format("{}: {}: expected a subject, a list or {{allow, deny}}", e.Where(), shown));
      return false;
    }
    out->type = Node::Type::kMap;
    out->file = v.file;
    out->line = v.line;
    for (const Entry& r : v.entries) {
      std::string key = Lower(r.key);
      if (key != "allow" && key != "deny") {
        b_->errors.push_back(
            fmt::format("{}: {}.{}: unknown key (expected allow or deny)", r.Where(), shown, r.key));
        return false;
      }
      Entry copy = r;
      copy.key = key;
      copy.value = AsList(r.value);
      out->entries.push_back(std::move(copy));
    }
    return true;
  }

  bool Permissions(const Node& given, const std::string& shown, Node* out) {
    const Node v = given;  // `out` may be a copy of it
    *out = Node();
    if (v.type != Node::Type::kMap) {
      b_->errors.push_back(fmt::format("{}: {}: expected a block {{ ... }}, found a {}", v.Where(), shown, v.TypeName()));
      return false;
    }
    out->type = Node::Type::kMap;
    out->file = v.file;
    out->line = v.line;
    for (const Entry& p : v.entries) {
      std::string key = Lower(p.key);
      std::string here = fmt::format("{}.{}", shown, p.key);
      Entry copy = p;
      if (key == "publish" || key == "pub" || key == "subscribe" || key == "sub") {
        copy.key = key.starts_with("pub") ? "publish" : "subscribe";
        if (!SubjectRules(p, here, &copy.value)) return false;
      } else if (key == "allow_responses" || key == "allow_response") {
        copy.key = "allow_responses";
        if (p.value.type == Node::Type::kMap) {
          // {max, expires}: on, with those bounds.
          Node bounds;
          bounds.type = Node::Type::kMap;
          bounds.file = p.value.file;
          bounds.line = p.value.line;
          for (const Entry& r : p.value.entries) {
            std::string k = Lower(r.key);
            Entry c = r;
            if (k == "max" || k == "max_msgs" || k == "max_messages" || k == "max_responses") {
              c.key = "max";
            } else if (k == "expires" || k == "expiration" || k == "ttl") {
              c.key = "expires";
            } else {
              b_->errors.push_back(fmt::format("{}: {}.{}: unknown key (expected max or expires)", r.Where(), here,
                                               r.key));
              return false;
            }
            bounds.entries.push_back(std::move(c));
          }
          Node on;
          on.type = Node::Type::kBool;
          on.text = on.raw = "true";
          on.file = p.value.file;
          on.line = p.value.line;
          Entry flag = copy;
          flag.value = on;
          out->entries.push_back(std::move(flag));
          for (Entry& c : bounds.entries) {
            c.key = "allow_responses." + c.key;
            out->entries.push_back(std::move(c));
          }
          continue;
        }
      } else {
        b_->errors.push_back(fmt::format(
            "{}: {}: unknown key (expected publish, subscribe or allow_responses)", p.Where(), here));
        return false;
      }
      out->entries.push_back(std::move(copy));
    }
    return true;
  }

  void Users(const Entry& e, const std::string& shown) {
    if (e.value.type != Node::Type::kList) {
      b_->errors.push_back(fmt::format("{}: {}: expected a list of users, found a {}", e.Where(), shown,
                                       e.value.TypeName()));
      return;
    }
    Node users;
    users.type = Node::Type::kList;
    users.file = e.value.file;
    users.line = e.value.line;
    for (size_t i = 0; i < e.value.items.size(); ++i) {
      const Node& item = e.value.items[i];
      std::string here = fmt::format("{}[{}]", shown, i);
      if (item.type != Node::Type::kMap) {
        b_->errors.push_back(fmt::format("{}: {}: expected {{user, password}} or {{nkey}}", item.Where(), here));
        return;
      }
      Node user;
      user.type = Node::Type::kMap;
      user.file = item.file;
      user.line = item.line;
      for (const Entry& f : item.entries) {
        std::string key = Lower(f.key);
        Entry copy = f;
        if (key == "user" || key == "username") {
          copy.key = "user";
        } else if (key == "pass" || key == "password") {
          copy.key = "password";
        } else if (key == "nkey") {
          copy.key = "nkey";
        } else if (key == "permission" || key == "permissions") {
          copy.key = "permissions";
          if (!Permissions(f.value, here + "." + f.key, &copy.value)) return;
        } else {
          b_->errors.push_back(fmt::format(
              "{}: {}.{}: nats-server user option not supported by tern; refusing to start without it: {}",
              f.Where(), here, f.key, kNoAuthFeature));
          return;
        }
        user.entries.push_back(std::move(copy));
      }
      users.items.push_back(std::move(user));
    }
    ApplyTern(Wrap("authorization", Wrap("users", std::move(users))));
  }

  void Refuse(const Entry& e, std::string_view shown, std::string_view why) {
    b_->errors.push_back(fmt::format(
        "{}: {}: nats-server option not supported by tern; refusing to start without it: {}", e.Where(), shown, why));
  }

  std::string Label(const Entry& e, std::string_view shown, std::string_view tern) const {
    return shown == tern ? fmt::format("{}: {}", e.Where(), shown) : fmt::format("{}: {} ({})", e.Where(), shown, tern);
  }

  // Two keys that set one option (an alias, or listen and port): nats-server
  // reads its map in no fixed order, so which would win is not defined.
  bool FirstTime(const Spec& s, const Entry& e, const std::string& label) {
    auto [it, fresh] = seen_.emplace(&s, std::make_pair(e.line, e.key));
    if (!fresh) {
      b_->errors.push_back(
          fmt::format("{}: set twice (also on line {}, by {})", label, it->second.first, it->second.second));
    }
    return fresh;
  }

  void Set(const Spec& s, const std::string& text, std::string label) {
    b_->Set(s, text, std::move(label), ConfigLayer::kFile);
  }

  void Option(const Entry& e, std::string_view shown, const std::string& tern) {
    const Spec* s = FindKey(Schema(), tern);
    if (s == nullptr) {
      b_->warnings.push_back(fmt::format("{}: {}: has no effect here, ignored", e.Where(), shown));
      return;
    }
    std::string label = Label(e, shown, tern);
    if (!FirstTime(*s, e, label)) return;
    if (tern == "websocket.port") saw_websocket_port_ = true;
    if (tern == "mqtt.port") saw_mqtt_port_ = true;
    const Node& v = e.value;
    if (s->kind == Kind::kStringList && (v.type == Node::Type::kList || v.is_scalar())) {
      std::vector<std::string> items;
      if (v.is_scalar()) items.push_back(v.text);
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (!v.items[i].is_scalar()) {
          b_->errors.push_back(
              fmt::format("{}[{}]: expected a single value, found a {}", label, i, v.items[i].TypeName()));
          return;
        }
        items.push_back(v.items[i].text);
      }
      b_->SetItems(*s, items, label, ConfigLayer::kFile);
      return;
    }
    if (!v.is_scalar()) {
      b_->errors.push_back(fmt::format("{}: expected a single value, found a {}", label, v.TypeName()));
      return;
    }
    std::string text = v.text;
    if (s->kind == Kind::kDuration && (v.type == Node::Type::kInteger || v.type == Node::Type::kFloat)) {
      text += "s";  // nats-server: a bare number is seconds
      if (!v.raw.empty() && std::isalpha(static_cast<unsigned char>(v.raw.back()))) {
        b_->warnings.push_back(
            fmt::format("{}: '{}' is {} seconds in nats-server's syntax (its suffixes are sizes: m = million); "
                        "write \"{}\" in quotes for a duration",
                        label, v.raw, v.text, v.raw));
      }
    } else if (s->kind == Kind::kDuration && v.type == Node::Type::kBool) {
      b_->errors.push_back(fmt::format("{}: '{}' is not a duration", label, v.raw));
      return;
    }
    Set(*s, text, label);
  }

  // "host:port", "[v6]:port" or a bare port, as nats-server's parseListen.
  bool SplitListen(const Entry& e, const std::string& label, std::string* host, std::string* port) {
    const Node& v = e.value;
    if (v.type == Node::Type::kInteger) {
      *port = v.text;
      return true;
    }
    size_t colon = v.text.rfind(':');
    if (v.type != Node::Type::kString || colon == std::string::npos) {
      b_->errors.push_back(fmt::format("{}: '{}' is not host:port or a port", label, v.raw));
      return false;
    }
    *host = v.text.substr(0, colon);
    *port = v.text.substr(colon + 1);
    if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
    return true;
  }

  void Listen(const Entry& e, std::string_view shown, const std::string& host_name, const std::string& port_name) {
    std::string label = Label(e, shown, fmt::format("{} and {}", host_name, port_name));
    std::string host, port;
    if (!SplitListen(e, label, &host, &port)) return;
    const Spec& host_spec = SpecNamed(host_name);
    const Spec& port_spec = SpecNamed(port_name);
    // No host in listen means every interface, as in nats-server.
    if (FirstTime(host_spec, e, label)) Set(host_spec, host.empty() ? "0.0.0.0" : host, label);
    if (FirstTime(port_spec, e, label)) Set(port_spec, port, label);
    if (port_name == "websocket.port") saw_websocket_port_ = true;
    if (port_name == "mqtt.port") saw_mqtt_port_ = true;
  }

  void Http(const Entry& e, std::string_view shown, const std::string& tern) {
    std::string label = Label(e, shown, tern);
    std::string host, port;
    if (!SplitListen(e, label, &host, &port)) return;
    const Spec& s = SpecNamed(tern);
    if (FirstTime(s, e, label)) Set(s, port, label);
    if (!host.empty()) {
      const Spec& h = SpecNamed("http.host");
      if (FirstTime(h, e, label)) Set(h, host, label);
    }
  }

  void LogFlag(const Entry& e, std::string_view shown, const std::string& key) {
    if (e.value.type != Node::Type::kBool) {
      b_->errors.push_back(fmt::format("{}: {}: '{}' is not true or false", e.Where(), shown, e.value.raw));
      return;
    }
    bool on = e.value.text == "true";
    (key == "debug" ? debug_ : trace_) |= on;
    if (log_label_.empty() || on) log_label_ = Label(e, shown, "log.level");
  }

  // As nats-server's -D and -V: trace wins, debug next, else info.
  void FinishLogLevel() {
    if (log_label_.empty()) return;
    Set(SpecNamed("log.level"), trace_ ? "trace" : debug_ ? "debug" : "info", log_label_);
  }

  // nats-server refuses a websocket listener that has neither TLS nor
  // no_tls; tern would serve plain ws:// and nobody would have asked.
  void CheckWebsocket(const Entry& e) {
    bool has_port = false, has_host = false, has_tls = false, no_tls = false;
    for (const auto& entry : e.value.entries) {
      std::string key = Lower(entry.key);
      has_port |= key == "port" || key == "listen";
      has_host |= key == "host" || key == "net" || key == "listen";
      has_tls |= key == "tls";
      no_tls |= key == "no_tls" && entry.value.text == "true";
    }
    if (has_port && !has_tls && !no_tls) {
      b_->errors.push_back(
          fmt::format("{}: {}: has no tls block and no `no_tls: true`; nats-server refuses this, "
                      "and tern would serve plain ws://",
                      e.Where(), e.key));
    }
    // An unset host is every interface for nats-server's websocket, not the client listener's host.
    if (!has_host) Set(SpecNamed("websocket.host"), "0.0.0.0", fmt::format("{}: {}", e.Where(), e.key));
  }

  // nats-server's mqtt port speaks TLS when the block has a tls {}; tern
  // keeps TLS on a port of its own, so the port moves there.
  void FinishMqtt(const Entry& e) {
    bool has_tls = false;
    for (const auto& entry : e.value.entries) has_tls |= Lower(entry.key) == "tls";
    if (!has_tls || !saw_mqtt_port_) return;
    const int port = b_->opts.mqtt.port;
    std::string label = fmt::format("{}: {} (TLS on its port)", e.Where(), e.key);
    Set(SpecNamed("mqtt.tls_port"), std::to_string(port), label);
    Set(SpecNamed("mqtt.port"), "0", label);
  }

  Builder* b_;
  std::map<const Spec*, std::pair<int, std::string>> seen_;
  bool saw_websocket_port_ = false;
  bool https_ = false;
  bool saw_mqtt_port_ = false;
  bool debug_ = false, trace_ = false;
  std::string log_label_;
};

}  // namespace

void ApplyNatsTree(const Node& root, Builder* b) { NatsReader(b).Read(root); }

}  // namespace tern::server::config
