// host:port as users write it in options and peers write it in INFO:
// "host:port", "[::1]:port", ":port" (any address), a bare port, each with
// an optional scheme ("nats://", "nats-route://", "tls://") and trailing '/'.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tern::base {

struct HostPort {
  std::string host;  // without brackets; empty: any address
  int port = 0;
};

// `default_port` when none is written; 0 makes the port required.
Result<HostPort> ParseHostPort(std::string_view text, int default_port = 0);
// "host:port", with brackets around an IPv6 host.
std::string FormatHostPort(std::string_view host, int port);

// The user and password of "scheme://user:pass@host:port" (percent-escapes
// decoded), as routes carry them (nats-route://user:pass@host:port).
struct UrlCredentials {
  bool present = false;       // there was a "...@"
  bool has_password = false;  // and a ':' in it
  std::string user;
  std::string password;
};
UrlCredentials ParseUrlCredentials(std::string_view url);
// `url` without its "user:pass@", for logs and for keying peers.
std::string StripUrlCredentials(std::string_view url);

}  // namespace tern::base
