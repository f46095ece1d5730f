#include "base/host_port.h"

#include <charconv>
#include <utility>

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

namespace {

// The "user:pass" part of a URL, or npos when there is none.
std::pair<size_t, size_t> UserInfoSpan(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t begin = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t at = url.rfind('@');
  if (at == std::string_view::npos || at < begin) return {std::string_view::npos, 0};
  return {begin, at - begin};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

UrlCredentials ParseUrlCredentials(std::string_view url) {
  UrlCredentials out;
  auto [begin, size] = UserInfoSpan(url);
  if (begin == std::string_view::npos) return out;
  out.present = true;
  const std::string_view info = url.substr(begin, size);
  const size_t colon = info.find(':');
  out.has_password = colon != std::string_view::npos;
  out.user = PercentDecode(info.substr(0, colon));
  if (out.has_password) out.password = PercentDecode(info.substr(colon + 1));
  return out;
}

std::string StripUrlCredentials(std::string_view url) {
  auto [begin, size] = UserInfoSpan(url);
  if (begin == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, begin)).append(url.substr(begin + size + 1));
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
