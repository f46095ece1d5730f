// Rules between options, run once every layer is in. Each message names
// every option involved and where its value came from.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

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

  CheckTls(b, "tls", o.tls);
  CheckTls(b, "websocket.tls", o.websocket.tls);
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
