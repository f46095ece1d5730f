#include "wire.h"

#include <charconv>
#include <mutex>
#include <random>

#include "nkey_sign.h"
#include "proto/nats/connect_info.h"
#include "proto/subject.h"

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

bool AppendConnect(std::string& out, const Options& options, const ServerUrl& url, bool tls, std::string_view nonce) {
  proto::nats::ConnectOptions connect;
  connect.verbose = false;
  connect.pedantic = false;
  connect.lang = "cpp";
  connect.version = "0.1.0";
  connect.protocol = 1;
  connect.headers = true;
  connect.no_responders = true;
  connect.echo = options.echo;
  connect.interest_barrier = options.interest_barrier;
  connect.tls_required = tls;
  connect.name = options.name;
  const bool url_has_user = !url.user.empty();
  connect.user = url_has_user ? url.user : options.user;
  if (!connect.user.empty()) connect.pass = url_has_user ? url.password : options.password;
  connect.auth_token = url.token.empty() ? options.token : url.token;
  if (!options.nkey_seed.empty()) {
    auto signed_nonce = SignNonce(options.nkey_seed, nonce);
    if (!signed_nonce) return false;
    connect.nkey = std::move(signed_nonce->public_key);
    connect.sig = std::move(signed_nonce->signature);
  }
  out += proto::nats::EncodeConnect(connect);
  return true;
}

bool ParseInfo(std::string_view json, ServerInfo* out) {
  proto::nats::ServerInfo wire;
  wire.headers = false;  // a server that does not say so does not support them
  std::string error;
  if (!proto::nats::ParseInfo(json, &wire, &error)) return false;
  ServerInfo info;
  info.server_id = std::move(wire.server_id);
  info.server_name = std::move(wire.server_name);
  info.version = std::move(wire.version);
  info.host = std::move(wire.host);
  info.port = wire.port;
  info.max_payload = wire.max_payload;
  info.headers = wire.headers;
  info.auth_required = wire.auth_required;
  info.nonce = std::move(wire.nonce);
  info.tls_required = wire.tls_required;
  info.tls_available = wire.tls_available;
  info.tls_verify = wire.tls_verify;
  info.client_id = wire.client_id;
  info.lame_duck = wire.ldm;
  info.interest_barrier = wire.interest_barrier;
  info.connect_urls = std::move(wire.connect_urls);
  *out = std::move(info);
  return true;
}

bool ValidSubject(std::string_view subject, bool allow_wildcards) {
  return proto::IsValidSubject(subject) && (allow_wildcards || !proto::HasWildcard(subject));
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
