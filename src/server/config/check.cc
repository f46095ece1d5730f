// Rules between options, run once every layer is in. Each message names
// every option involved and where its value came from.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/host_port.h"
#include "server/config/builder.h"
#include "server/config/values.h"

namespace tern::server::config {
namespace {

std::string With(const Builder& b, std::string_view name) {
  return fmt::format("{} (from {})", name, b.Origin(SpecNamed(name)));
}

// The options of one tls block, under `prefix`.
std::vector<const Spec*> TlsSpecs(std::string_view prefix) {
  std::vector<const Spec*> out;
  for (const auto& s : Schema()) {
    std::string_view name = s.name;
    if (name.size() > prefix.size() && name.starts_with(prefix) && name[prefix.size()] == '.' &&
        name.find('.', prefix.size() + 1) == std::string_view::npos) {
      out.push_back(&s);
    }
  }
  return out;
}

void CheckTls(Builder* b, std::string_view prefix, const TlsOptions& tls) {
  std::string cert = fmt::format("{}.cert_file", prefix), key = fmt::format("{}.key_file", prefix);
  if (!tls.cert_file.empty() && tls.key_file.empty()) {
    b->errors.push_back(
        fmt::format("{} is set but {} is not: TLS needs the certificate and its private key", With(*b, cert), key));
  }
  if (tls.cert_file.empty() && !tls.key_file.empty()) {
    b->errors.push_back(
        fmt::format("{} is set but {} is not: TLS needs the certificate and its private key", With(*b, key), cert));
  }
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    // A setting that only means something with TLS must not let anyone
    // believe the listener is encrypted or checks certificates.
    const Options defaults;
    for (const Spec* s : TlsSpecs(prefix)) {
      if (s->name == cert || s->name == key) continue;
      if (FormatValue(*s, b->Field(*s)) == FormatValue(*s, FieldOf(*s, &defaults))) continue;
      b->errors.push_back(fmt::format("{} is set but TLS is off: {} and {} are not set", With(*b, s->name), cert, key));
    }
    return;
  }
  if ((tls.verify || tls.verify_and_map) && tls.ca_file.empty()) {
    std::string verify = fmt::format("{}.{}", prefix, tls.verify ? "verify" : "verify_and_map");
    b->errors.push_back(
        fmt::format("{} needs {}.ca_file: client certificates are verified against it", With(*b, verify), prefix));
  }
}

// nats-server's --cluster nats://user:pass@host:port: the URL's credentials
// become the cluster's authorization. They leave the URL, so no log shows
// them, and take its layer, so a reload keeps them as it keeps the flag.
void TakeListenCredentials(Builder* b) {
  ClusterOptions& c = b->opts.cluster;
  const base::UrlCredentials creds = base::ParseUrlCredentials(c.listen);
  if (!creds.present) return;
  const Spec& listen = SpecNamed("cluster.listen");
  if (!creds.has_password) {
    b->errors.push_back(
        fmt::format("{}: expected cluster password to be set (user:password@)", With(*b, "cluster.listen")));
    return;
  }
  const std::string label = b->Origin(listen);
  auto layer = b->opts.layers.find(std::string(listen.name));
  const ConfigLayer from = layer == b->opts.layers.end() ? ConfigLayer::kDefault : layer->second;
  c.authorization.user = creds.user;
  c.authorization.password = creds.password;
  c.listen = base::StripUrlCredentials(c.listen);
  b->Record(SpecNamed("cluster.authorization.user"), label, from);
  b->Record(SpecNamed("cluster.authorization.password"), label, from);
}

void CheckCluster(Builder* b) {
  TakeListenCredentials(b);
  const ClusterOptions& c = b->opts.cluster;
  for (std::string_view name : {"cluster.listen", "cluster.advertise", "client_advertise"}) {
    const auto& text = *static_cast<const std::string*>(b->Field(SpecNamed(name)));
    if (text.empty()) continue;
    if (std::string why = CheckHostPort(text); !why.empty())
      b->errors.push_back(fmt::format("{}: {}", With(*b, name), why));
  }
  if (!c.listen.empty() && (!c.host.empty() || c.port != 0)) {
    b->errors.push_back(fmt::format("{} and {} both give the route listener's address; use one",
                                    With(*b, "cluster.listen"), c.host.empty() ? "cluster.port" : "cluster.host"));
  }
  if (c.tls.enabled() && c.tls.ca_file.empty()) {
    b->errors.push_back(fmt::format("{} needs cluster.tls.ca_file: nodes verify each other's certificates against it",
                                    With(*b, "cluster.tls.cert_file")));
  }
  for (const std::string& endpoint : c.etcd.endpoints) {
    if (!endpoint.starts_with("http://")) {
      b->errors.push_back(fmt::format("{}: '{}' must be an http://host:port URL (etcd's JSON gateway)",
                                      With(*b, "cluster.etcd.endpoints"), endpoint));
    }
  }
  if (c.authorization.enabled() && (c.authorization.user.empty() || c.authorization.password.empty())) {
    b->errors.push_back(fmt::format("{} and {} go together: routes present both",
                                    With(*b, "cluster.authorization.user"),
                                    With(*b, "cluster.authorization.password")));
  }
  if (!c.name.empty() && c.name.find_first_of(" \t\r\n") != std::string::npos) {
    b->errors.push_back(fmt::format("{}: a cluster name has no blanks", With(*b, "cluster.name")));
  }
}

// nats-server's configureAuthorization rules, and what a user entry must
// hold, so that a mistake stops start-up instead of locking everyone out
// (or letting everyone in).
void CheckAuthorization(Builder* b) {
  const Options& o = b->opts;
  const AuthorizationOptions& a = o.authorization;
  if (!a.user.empty() && !a.users.empty()) {
    b->errors.push_back(fmt::format("{} and {} are both set: a single user or a list of users, not both",
                                    With(*b, "authorization.user"), With(*b, "authorization.users")));
  }
  if (!a.token.empty() && (!a.users.empty() || !a.user.empty())) {
    b->errors.push_back(fmt::format("{} is set together with {}: a token or users, not both",
                                    With(*b, "authorization.token"),
                                    a.users.empty() ? With(*b, "authorization.user") : With(*b, "authorization.users")));
  }
  if (a.user.empty() != a.password.empty()) {
    b->errors.push_back(fmt::format("{} needs {}", a.user.empty() ? With(*b, "authorization.password")
                                                                  : With(*b, "authorization.user"),
                                    a.user.empty() ? "authorization.user" : "authorization.password"));
  }
  std::set<std::string_view> names;
  const std::string users_origin = b->Origin(SpecNamed("authorization.users"));
  for (size_t i = 0; i < a.users.size(); ++i) {
    const UserOptions& u = a.users[i];
    std::string where = fmt::format("authorization.users[{}] (from {})", i, users_origin);
    if (u.user.empty() == u.nkey.empty()) {
      b->errors.push_back(fmt::format("{}: needs either user or nkey", where));
      continue;
    }
    if (!u.nkey.empty() && !u.password.empty()) {
      b->errors.push_back(fmt::format("{}: an NKey user has no password", where));
    }
    if (!u.nkey.empty() && (u.nkey.size() != 56 || u.nkey[0] != 'U')) {
      b->errors.push_back(fmt::format("{}: nkey '{}' is not a public user NKey (56 characters, starting with U)",
                                      where, u.nkey));
    }
    if (!names.insert(u.user.empty() ? std::string_view(u.nkey) : std::string_view(u.user)).second) {
      b->errors.push_back(fmt::format("{}: '{}' is listed twice", where, u.user.empty() ? u.nkey : u.user));
    }
  }
  if (!o.no_auth_user.empty() && !names.contains(o.no_auth_user)) {
    b->errors.push_back(fmt::format("{}: '{}' is not one of authorization.users", With(*b, "no_auth_user"),
                                    o.no_auth_user));
  }
  if (!o.mqtt.no_auth_user.empty() && !names.contains(o.mqtt.no_auth_user)) {
    b->errors.push_back(
        fmt::format("{}: '{}' is not one of authorization.users", With(*b, "mqtt.no_auth_user"), o.mqtt.no_auth_user));
  }
}

}  // namespace

void Check(Builder* b) {
  const Options& o = b->opts;
  if (o.max_payload > o.max_pending) {
    b->errors.push_back(fmt::format("max_payload ({}, from {}) must not exceed max_pending ({}, from {})",
                                    FormatSize(o.max_payload), b->Origin(SpecNamed("max_payload")),
                                    FormatSize(o.max_pending), b->Origin(SpecNamed("max_pending"))));
  }
  std::set<std::string_view> subjects;
  for (const auto& rule : o.linger) {
    if (!subjects.insert(rule.subject).second) {
      b->errors.push_back(
          fmt::format("linger (from {}): subject '{}' is listed twice", b->Origin(SpecNamed("linger")), rule.subject));
    }
  }

  CheckAuthorization(b);
  CheckTls(b, "tls", o.tls);
  CheckTls(b, "websocket.tls", o.websocket.tls);
  CheckTls(b, "cluster.tls", o.cluster.tls);
  CheckCluster(b);
  if (const Spec& tls = SpecNamed("tls");
      b->switches.contains(&tls) && (o.tls.cert_file.empty() || o.tls.key_file.empty())) {
    b->errors.push_back(
        fmt::format("{}: TLS is required but tls.cert_file (--tlscert) and tls.key_file (--tlskey) "
                    "are not both set",
                    b->Origin(tls)));
  }

  CheckTls(b, "mqtt.tls", o.mqtt.tls);
  CheckTls(b, "mqtt.websocket.tls", o.mqtt.websocket.tls);
  // Every listener that is on needs a port of its own.
  std::vector<std::pair<std::string_view, int>> ports = {{"port", o.port}};
  if (o.websocket.enabled()) ports.emplace_back("websocket.port", o.websocket.port);
  if (o.mqtt.port != 0) ports.emplace_back("mqtt.port", o.mqtt.port);
  if (o.mqtt.tls.enabled()) ports.emplace_back("mqtt.tls_port", o.mqtt.tls_port);
  if (o.mqtt.websocket.enabled()) ports.emplace_back("mqtt.websocket.port", o.mqtt.websocket.port);
  for (size_t i = 0; i < ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (ports[i].second <= 0 || ports[i].second != ports[j].second) continue;
      b->errors.push_back(fmt::format("{} ({}, from {}) must differ from {} ({}, from {})", ports[i].first,
                                      ports[i].second, b->Origin(SpecNamed(ports[i].first)), ports[j].first,
                                      ports[j].second, b->Origin(SpecNamed(ports[j].first))));
    }
  }
  if (o.websocket.enabled() && o.websocket.no_tls && o.websocket.tls.enabled()) {
    b->warnings.push_back(
        fmt::format("{}: websocket.tls is set but not used: the WebSocket listener serves plain ws://",
                    With(*b, "websocket.no_tls")));
  }
}

void CheckFiles(Builder* b) {
  std::vector<std::string_view> blocks = {"tls"};
  if (b->opts.cluster.enabled()) blocks.push_back("cluster.tls");
  if (b->opts.websocket.enabled() && !b->opts.websocket.no_tls) blocks.push_back("websocket.tls");
  blocks.push_back("mqtt.tls");
  if (b->opts.mqtt.websocket.enabled() && !b->opts.mqtt.websocket.no_tls) blocks.push_back("mqtt.websocket.tls");
  for (std::string_view prefix : blocks) {
    for (std::string_view file : {"cert_file", "key_file", "ca_file"}) {
      const Spec& s = SpecNamed(fmt::format("{}.{}", prefix, file));
      const auto& path = *static_cast<const std::string*>(b->Field(s));
      if (path.empty()) continue;
      std::error_code ec;
      std::string why;
      if (std::filesystem::is_directory(path, ec)) {
        why = "it is a directory";
      } else if (std::ifstream in(path); !in) {
        why = std::strerror(errno);
      }
      if (!why.empty()) b->errors.push_back(fmt::format("{}: cannot read '{}': {}", With(*b, s.name), path, why));
    }
  }
}

}  // namespace tern::server::config
