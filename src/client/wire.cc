#include "wire.h"

#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

namespace tern::internal {
namespace {

void AppendNumber(OutBuffer& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

void AppendHpub(OutBuffer& out, std::string_view subject, std::string_view reply, std::string_view headers,
                std::string_view data) {
  out.append("HPUB ", 5).append(subject).push_back(' ');
  if (!reply.empty()) out.append(reply).push_back(' ');
  AppendNumber(out, headers.size());
  out.push_back(' ');
  AppendNumber(out, headers.size() + data.size());
  out.append("\r\n", 2).append(headers).append(data).append("\r\n", 2);
}

void AppendSub(OutBuffer& out, std::string_view subject, std::string_view queue, uint64_t sid) {
  out.append("SUB ", 4).append(subject).push_back(' ');
  if (!queue.empty()) out.append(queue).push_back(' ');
  AppendNumber(out, sid);
  out.append("\r\n", 2);
}

void AppendUnsub(OutBuffer& out, uint64_t sid, uint64_t max) {
  out.append("UNSUB ", 6);
  AppendNumber(out, sid);
  if (max > 0) {
    out.push_back(' ');
    AppendNumber(out, max);
  }
  out.append("\r\n", 2);
}

void AppendConnect(std::string& out, const Options& options, const ServerUrl& url) {
  nlohmann::json j = {
      {"verbose", false}, {"pedantic", false}, {"tls_required", false}, {"lang", "cpp"},        {"version", "0.1.0"},
      {"protocol", 1},    {"headers", true},   {"no_responders", true}, {"echo", options.echo},
  };
  if (!options.name.empty()) j["name"] = options.name;
  const std::string& user = url.user.empty() ? options.user : url.user;
  const std::string& pass = url.user.empty() ? options.password : url.password;
  const std::string& token = url.token.empty() ? options.token : url.token;
  if (!user.empty()) {
    j["user"] = user;
    j["pass"] = pass;
  }
  if (!token.empty()) j["auth_token"] = token;
  out.append("CONNECT ").append(j.dump()).append("\r\n");
}

bool ParseInfo(std::string_view json, ServerInfo* out) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  ServerInfo info;
  info.server_id = j.value("server_id", "");
  info.server_name = j.value("server_name", "");
  info.version = j.value("version", "");
  info.host = j.value("host", "");
  info.port = j.value("port", 0);
  info.max_payload = j.value("max_payload", int64_t{1024 * 1024});
  info.headers = j.value("headers", false);
  info.auth_required = j.value("auth_required", false);
  info.client_id = j.value("client_id", uint64_t{0});
  info.lame_duck = j.value("ldm", false);
  auto urls = j.find("connect_urls");
  if (urls != j.end() && urls->is_array()) {
    for (const auto& u : *urls) {
      if (u.is_string()) info.connect_urls.push_back(u.get<std::string>());
    }
  }
  *out = std::move(info);
  return true;
}

// One pass, no per-token views: this runs on every publish.
bool ValidSubject(std::string_view subject, bool allow_wildcards) {
  const size_t n = subject.size();
  if (n == 0) return false;
  const char* p = subject.data();
  size_t start = 0;  // of the current token
  for (size_t i = 0;; ++i) {
    if (i < n) {
      const char c = p[i];
      if (c > '.') continue;  // letters, digits, '>' and most punctuation
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
      if (c != '.') continue;
    }
    // A token ends at i.
    if (i == start) return false;
    if (i == start + 1 && (p[start] == '*' || p[start] == '>')) {
      if (!allow_wildcards) return false;
      if (p[start] == '>' && i != n) return false;  // '>' only as the last token
    }
    if (i == n) return true;
    start = i + 1;
  }
}

bool ValidQueue(std::string_view queue) {
  if (queue.empty()) return false;
  for (char c : queue) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return false;
  }
  return true;
}

Status CheckPublish(std::string_view subject, std::string_view reply, size_t size, int64_t max_payload) {
  if (!ValidSubject(subject, false))
    return Status(Code::kInvalidArgument, "invalid publish subject '" + std::string(subject) + "'");
  if (!reply.empty() && !ValidSubject(reply, false)) {
    return Status(Code::kInvalidArgument, "invalid reply subject '" + std::string(reply) + "'");
  }
  if (static_cast<int64_t>(size) > max_payload) {
    return Status(Code::kInvalidArgument,
                  "payload of " + std::to_string(size) + " bytes exceeds max_payload " + std::to_string(max_payload));
  }
  return Status::Ok();
}

std::string NewNuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out(22, '0');
  std::lock_guard<std::mutex> lock(mu);
  for (char& c : out) c = kDigits[rng() % 62];
  return out;
}

}  // namespace tern::internal
