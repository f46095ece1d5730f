#include "url.h"

#include <arpa/inet.h>

#include <charconv>

namespace tern::internal {

std::string ServerUrl::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string out = scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (websocket() && !path.empty() && path != "/") out += path;
  return out;
}

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  ServerUrl out;
  std::string_view rest = url;
  size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    out.scheme = std::string(rest.substr(0, scheme_end));
    rest.remove_prefix(scheme_end + 3);
  }
  if (out.scheme == "tcp") out.scheme = "nats";
  if (out.scheme != "nats" && out.scheme != "tls" && !out.websocket()) {
    return Status(Code::kInvalidArgument, "unknown scheme in " + std::string(url));
  }
  if (out.scheme == "ws") out.port = 80;
  if (out.scheme == "wss") out.port = 443;
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (out.websocket()) out.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    size_t colon = auth.find(':');
    if (colon == std::string_view::npos) {
      out.token = std::string(auth);
    } else {
      out.user = std::string(auth.substr(0, colon));
      out.password = std::string(auth.substr(colon + 1));
    }
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status(Code::kInvalidArgument, "bad IPv6 host in " + std::string(url));
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() == ':') port = rest.substr(1);
  } else {
    size_t colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return Status(Code::kInvalidArgument, "no host in " + std::string(url));
  if (!port.empty()) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value <= 0 || value > 65535) {
      return Status(Code::kInvalidArgument, "bad port in " + std::string(url));
    }
    out.port = value;
  }
  return out;
}

bool IsIpAddress(std::string_view host) {
  std::string text(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 || ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace tern::internal
