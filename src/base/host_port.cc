#include "base/host_port.h"

#include <charconv>

namespace tern::base {

Result<HostPort> ParseHostPort(std::string_view text, int default_port) {
  const std::string shown(text);
  std::string_view rest = text;
  if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) rest.remove_prefix(scheme + 3);
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);  // no credentials yet
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  HostPort out;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status("'" + shown + "': unclosed '[' in the address");
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return Status("'" + shown + "': expected ':port' after ']'");
    if (!rest.empty()) port_text = rest.substr(1);
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.find(':') != colon) return Status("'" + shown + "': an IPv6 address needs brackets: [addr]:port");
    out.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  } else if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string_view::npos) {
    port_text = rest;  // a bare port
  } else {
    out.host = std::string(rest);
  }
  if (out.host.find_first_of(" \t/?#") != std::string::npos) return Status("'" + shown + "' is not host:port");
  if (port_text.empty()) {
    if (default_port == 0) return Status("'" + shown + "' has no port (host:port)");
    out.port = default_port;
    return out;
  }
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return Status("'" + shown + "': bad port '" + std::string(port_text) + "'");
  }
  out.port = port;
  return out;
}

std::string FormatHostPort(std::string_view host, int port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out.append(":").append(std::to_string(port));
}

}  // namespace tern::base
