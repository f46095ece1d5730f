#include "proto/nats/connect_info.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

namespace tern::proto::nats {
namespace {

// Ordered so INFO keeps nats-server's field order and CONNECT keys apply in
// document order, as Go's decoder does.
using Json = nlohmann::ordered_json;

template <typename T>
struct FieldSpec {
  std::string_view name;
  std::variant<bool T::*, std::string T::*, int64_t T::*, int T::*, uint64_t T::*, std::vector<std::string> T::*>
      member;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const char* JsonKind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_float:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "number";
    default:
      return "value";
  }
}

// Each Assign mirrors what encoding/json accepts for the Go field type; null
// was handled by the caller (it leaves the field alone).
bool Assign(const Json& v, bool* out) {
  if (!v.is_boolean()) return false;
  *out = v.get<bool>();
  return true;
}
bool Assign(const Json& v, std::string* out) {
  if (!v.is_string()) return false;
  *out = v.get_ref<const std::string&>();
  return true;
}
// Go rejects fractions and exponents for integer fields ("1.0" included).
template <typename Int>
bool AssignInt(const Json& v, Int* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return false;
    *out = static_cast<Int>(u);
    return true;
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if constexpr (std::is_unsigned_v<Int>) {
      if (i < 0) return false;
    } else {
      if (i < std::numeric_limits<Int>::min() || i > std::numeric_limits<Int>::max()) return false;
    }
    *out = static_cast<Int>(i);
    return true;
  }
  return false;
}
bool Assign(const Json& v, int64_t* out) { return AssignInt(v, out); }
bool Assign(const Json& v, int* out) { return AssignInt(v, out); }
bool Assign(const Json& v, uint64_t* out) { return AssignInt(v, out); }
bool Assign(const Json& v, std::vector<std::string>* out) {
  if (!v.is_array()) return false;
  std::vector<std::string> list;
  for (const Json& e : v) {
    if (e.is_null()) {
      list.emplace_back();
      continue;
    }
    if (!e.is_string()) return false;
    list.push_back(e.get<std::string>());
  }
  *out = std::move(list);
  return true;
}

template <typename T, size_t N>
bool Decode(std::string_view text, const FieldSpec<T> (&fields)[N], std::string_view type_name, T* out,
            std::string* error) {
  Json doc = Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    if (error) *error = "invalid JSON";
    return false;
  }
  if (doc.is_null()) return true;
  if (!doc.is_object()) {
    if (error) *error = "json: cannot unmarshal " + std::string(JsonKind(doc)) + " into " + std::string(type_name);
    return false;
  }
  // Like Go: keep going after a type error, report the first one.
  bool ok = true;
  for (const auto& item : doc.items()) {
    const std::string& key = item.key();
    const Json& value = item.value();
    if (value.is_null()) continue;
    for (const FieldSpec<T>& f : fields) {
      if (!EqualsIgnoreCase(key, f.name)) continue;
      const bool assigned = std::visit([&](auto member) { return Assign(value, &(out->*member)); }, f.member);
      if (!assigned && ok) {
        ok = false;
        if (error) {
          *error = "json: cannot unmarshal " + std::string(JsonKind(value)) + " into field " + std::string(type_name) +
                   "." + std::string(f.name);
        }
      }
      break;
    }
  }
  return ok;
}

const FieldSpec<ConnectOptions> kConnectFields[] = {
    {"verbose", &ConnectOptions::verbose},
    {"pedantic", &ConnectOptions::pedantic},
    {"echo", &ConnectOptions::echo},
    {"headers", &ConnectOptions::headers},
    {"no_responders", &ConnectOptions::no_responders},
    {"tls_required", &ConnectOptions::tls_required},
    {"name", &ConnectOptions::name},
    {"lang", &ConnectOptions::lang},
    {"version", &ConnectOptions::version},
    {"protocol", &ConnectOptions::protocol},
    {"user", &ConnectOptions::user},
    {"pass", &ConnectOptions::pass},
    {"auth_token", &ConnectOptions::auth_token},
    {"jwt", &ConnectOptions::jwt},
    {"nkey", &ConnectOptions::nkey},
    {"sig", &ConnectOptions::sig},
    {"account", &ConnectOptions::account},
    {"new_account", &ConnectOptions::new_account},
    {"interest_barrier", &ConnectOptions::interest_barrier},
};

const FieldSpec<ServerInfo> kInfoFields[] = {
    {"server_id", &ServerInfo::server_id},
    {"server_name", &ServerInfo::server_name},
    {"version", &ServerInfo::version},
    {"proto", &ServerInfo::proto},
    {"git_commit", &ServerInfo::git_commit},
    {"go", &ServerInfo::go},
    {"host", &ServerInfo::host},
    {"port", &ServerInfo::port},
    {"headers", &ServerInfo::headers},
    {"auth_required", &ServerInfo::auth_required},
    {"tls_required", &ServerInfo::tls_required},
    {"tls_verify", &ServerInfo::tls_verify},
    {"tls_available", &ServerInfo::tls_available},
    {"max_payload", &ServerInfo::max_payload},
    {"ip", &ServerInfo::ip},
    {"client_id", &ServerInfo::client_id},
    {"client_ip", &ServerInfo::client_ip},
    {"nonce", &ServerInfo::nonce},
    {"cluster", &ServerInfo::cluster},
    {"domain", &ServerInfo::domain},
    {"connect_urls", &ServerInfo::connect_urls},
    {"ldm", &ServerInfo::ldm},
    {"interest_barrier", &ServerInfo::interest_barrier},
};

// Invalid UTF-8 in a name must not throw out of dump(); replace it instead.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

bool ParseConnect(std::string_view json, ConnectOptions* out, std::string* error) {
  return Decode(json, kConnectFields, "ClientOpts", out, error);
}

bool ParseInfo(std::string_view json, ServerInfo* out, std::string* error) {
  return Decode(json, kInfoFields, "Info", out, error);
}

std::string EncodeConnect(const ConnectOptions& o) {
  Json j;
  j["verbose"] = o.verbose;
  j["pedantic"] = o.pedantic;
  j["tls_required"] = o.tls_required;
  if (!o.nkey.empty()) j["nkey"] = o.nkey;
  if (!o.jwt.empty()) j["jwt"] = o.jwt;
  if (!o.sig.empty()) j["sig"] = o.sig;
  if (!o.auth_token.empty()) j["auth_token"] = o.auth_token;
  if (!o.user.empty()) j["user"] = o.user;
  if (!o.pass.empty()) j["pass"] = o.pass;
  j["name"] = o.name;
  j["lang"] = o.lang;
  j["version"] = o.version;
  j["protocol"] = o.protocol;
  j["echo"] = o.echo;
  j["headers"] = o.headers;
  j["no_responders"] = o.no_responders;
  if (o.interest_barrier) j["interest_barrier"] = true;
  return "CONNECT " + Dump(j) + "\r\n";
}

std::string EncodeInfo(const ServerInfo& info) {
  Json j;
  j["server_id"] = info.server_id;
  j["server_name"] = info.server_name;
  j["version"] = info.version;
  j["proto"] = info.proto;
  if (!info.git_commit.empty()) j["git_commit"] = info.git_commit;
  j["go"] = info.go;
  j["host"] = info.host;
  j["port"] = info.port;
  j["headers"] = info.headers;
  if (info.auth_required) j["auth_required"] = true;
  if (info.tls_required) j["tls_required"] = true;
  if (info.tls_verify) j["tls_verify"] = true;
  if (info.tls_available) j["tls_available"] = true;
  j["max_payload"] = info.max_payload;
  if (!info.ip.empty()) j["ip"] = info.ip;
  if (info.client_id != 0) j["client_id"] = info.client_id;
  if (!info.client_ip.empty()) j["client_ip"] = info.client_ip;
  if (!info.nonce.empty()) j["nonce"] = info.nonce;
  if (!info.cluster.empty()) j["cluster"] = info.cluster;
  if (!info.domain.empty()) j["domain"] = info.domain;
  if (!info.connect_urls.empty()) j["connect_urls"] = info.connect_urls;
  if (info.ldm) j["ldm"] = true;
  if (info.interest_barrier) j["interest_barrier"] = true;
  return "INFO " + Dump(j) + " \r\n";
}

}  // namespace tern::proto::nats
