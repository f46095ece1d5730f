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

}  // namespace tern::base
