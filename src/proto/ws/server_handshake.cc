#include "proto/ws/server_handshake.h"

#include <algorithm>

namespace tern::proto::ws {
namespace {

struct Authority {
  std::string_view host;
  int port = 0;
};

int DefaultPort(std::string_view scheme) {
  if (EqualsIgnoreCase(scheme, "http") || EqualsIgnoreCase(scheme, "ws")) return 80;
  if (EqualsIgnoreCase(scheme, "https") || EqualsIgnoreCase(scheme, "wss")) return 443;
  return 0;
}

// host[:port], host being a name, an IPv4 address or a bracketed IPv6 one.
bool ParseAuthority(std::string_view s, int default_port, Authority* out) {
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    out->host = s.substr(0, close + 1);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else {
    const size_t colon = s.rfind(':');
    out->host = s.substr(0, colon);
    if (colon != std::string_view::npos) port = s.substr(colon + 1);
  }
  if (out->host.empty()) return false;
  if (port.empty()) {
    out->port = default_port;
    return true;
  }
  if (port.size() > 5) return false;
  int n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 65535) return false;
  out->port = n;
  return true;
}

// scheme://host[:port], anything from a '/' on ignored (an allowed origin
// configured as "https://example.com/" still means the origin).
bool ParseOrigin(std::string_view s, std::string_view* scheme, Authority* out) {
  const size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  *scheme = s.substr(0, sep);
  std::string_view rest = s.substr(sep + 3);
  rest = rest.substr(0, rest.find('/'));
  return ParseAuthority(rest, DefaultPort(*scheme), out);
}

bool SameAuthority(const Authority& a, const Authority& b) {
  return a.port == b.port && EqualsIgnoreCase(a.host, b.host);
}

std::string_view StatusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

ServerHandshake::ServerHandshake(const ServerPolicy* policy) : policy_(policy), reader_(policy->max_request_size) {}

HandshakeResult ServerHandshake::Feed(std::string_view data) {
  if (finished_) {
    return {status_code_ == 0 ? HandshakeStatus::kDone : HandshakeStatus::kError, 0};
  }
  size_t consumed = 0;
  switch (reader_.Feed(data, &consumed)) {
    case HeadReader::Status::kNeedMore:
      return {HandshakeStatus::kNeedMore, consumed};
    case HeadReader::Status::kTooLarge:
      return Reject(431, "request too large", consumed);
    case HeadReader::Status::kDone:
      break;
  }
  return Finish(consumed);
}

HandshakeResult ServerHandshake::Finish(size_t consumed) {
  if (!ParseHead(reader_.head(), &head_)) return Reject(400, "malformed request", consumed);

  // Request line: method SP request-target SP HTTP-version.
  const std::string_view line = head_.start_line;
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Reject(400, "malformed request line", consumed);
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1") return Reject(400, "HTTP/1.1 required", consumed);
  if (method != "GET") return Reject(405, "method must be GET", consumed);
  if (target.empty()) return Reject(400, "malformed request line", consumed);
  if (target.front() != '/') {
    // absolute-form (RFC 9112 3.2.2): scheme://authority[/path]
    const size_t sep = target.find("://");
    if (sep == std::string_view::npos) return Reject(400, "invalid request target", consumed);
    const size_t slash = target.find('/', sep + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  const size_t q = target.find('?');
  path_ = target.substr(0, q);
  query_ = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  size_t hosts = 0;
  host_ = head_.Get("Host", &hosts);
  if (hosts != 1) return Reject(400, "exactly one Host header required", consumed);
  if (!policy_->path.empty() && path_ != policy_->path) return Reject(404, "no WebSocket endpoint here", consumed);

  size_t upgrades = 0;
  for (const HeaderField& f : head_.fields) {
    if (EqualsIgnoreCase(f.name, "Upgrade") && ListHasToken(f.value, "websocket")) ++upgrades;
  }
  if (upgrades == 0) return Reject(400, "Upgrade: websocket required", consumed);
  bool connection_upgrade = false;
  for (const HeaderField& f : head_.fields) {
    if (EqualsIgnoreCase(f.name, "Connection") && ListHasToken(f.value, "upgrade")) connection_upgrade = true;
  }
  if (!connection_upgrade) return Reject(400, "Connection: upgrade required", consumed);
  size_t versions = 0;
  const std::string_view ws_version = head_.Get("Sec-WebSocket-Version", &versions);
  if (versions != 1 || ws_version != "13") return Reject(426, "Sec-WebSocket-Version 13 required", consumed);
  size_t keys = 0;
  const std::string_view key = head_.Get("Sec-WebSocket-Key", &keys);
  if (keys != 1 || !IsValidClientKey(key)) return Reject(400, "invalid Sec-WebSocket-Key", consumed);

  origin_ = head_.Get("Origin");
  if (!CheckOrigin()) return Reject(403, "origin not allowed", consumed);

  const std::string offered = head_.Join("Sec-WebSocket-Protocol");
  AnyListElement(offered, [&](std::string_view p) {
    // Subprotocol names compare exactly (RFC 6455 section 11.3.4).
    const auto& ours = policy_->subprotocols;
    if (std::find(ours.begin(), ours.end(), p) == ours.end()) return false;
    subprotocol_ = std::string(p);
    return true;
  });
  if (subprotocol_.empty() && policy_->require_subprotocol) {
    return Reject(400, "no supported subprotocol offered", consumed);
  }

  std::string extension;
  if (policy_->allow_compression) {
    deflate_ = NegotiateDeflate(head_.Join("Sec-WebSocket-Extensions"), policy_->deflate, &extension);
  }
  BuildAccept(key, extension);
  finished_ = true;
  return {HandshakeStatus::kDone, consumed};
}

bool ServerHandshake::CheckOrigin() const {
  if (origin_.empty() || (!policy_->same_origin && policy_->allowed_origins.empty())) return true;
  std::string_view scheme;
  Authority origin;
  if (!ParseOrigin(origin_, &scheme, &origin)) return false;  // also "null", an opaque origin
  if (policy_->same_origin) {
    Authority host;
    if (!ParseAuthority(host_, policy_->tls ? 443 : 80, &host) || !SameAuthority(origin, host)) return false;
  }
  if (!policy_->allowed_origins.empty()) {
    bool any = false;
    for (const std::string& allowed : policy_->allowed_origins) {
      std::string_view allowed_scheme;
      Authority a;
      if (ParseOrigin(allowed, &allowed_scheme, &a) && EqualsIgnoreCase(allowed_scheme, scheme) &&
          SameAuthority(a, origin)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

void ServerHandshake::BuildAccept(std::string_view key, std::string_view extension) {
  response_ =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  response_ += AcceptKey(key);
  response_ += "\r\n";
  if (!subprotocol_.empty()) {
    response_ += "Sec-WebSocket-Protocol: ";
    response_ += subprotocol_;
    response_ += "\r\n";
  }
  if (!extension.empty()) {
    response_ += "Sec-WebSocket-Extensions: ";
    response_ += extension;
    response_ += "\r\n";
  }
  response_ += "\r\n";
}

HandshakeResult ServerHandshake::Reject(int status, std::string_view reason, size_t consumed) {
  finished_ = true;
  status_code_ = status;
  error_ = reason;
  deflate_.reset();
  subprotocol_.clear();
  const std::string status_text(StatusText(status));
  response_ = "HTTP/1.1 " + std::to_string(status) + " " + status_text + "\r\n";
  if (status == 426) response_ += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  if (status == 405) response_ += "Allow: GET\r\n";
  response_ += "Content-Type: text/plain; charset=utf-8\r\n";
  response_ += "Content-Length: " + std::to_string(reason.size() + 1) + "\r\n";
  response_ += "Connection: close\r\n\r\n";
  response_ += reason;
  response_ += '\n';
  return {HandshakeStatus::kError, consumed};
}

}  // namespace tern::proto::ws
