// Server URLs: "nats://user:pass@host:port", "tls://host:port", "tcp://host:port", "host:port".
#pragma once

#include <string>
#include <string_view>

#include "tern/status.h"

namespace tern::internal {

struct ServerUrl {
  std::string scheme = "nats";  // nats (tcp is read as nats) or tls; ws and wss are reserved
  std::string host;
  int port = 4222;
  std::string user;
  std::string password;
  std::string token;  // "nats://token@host"
  // The name to verify a TLS certificate against when it is not `host`: set
  // for a discovered server advertised by IP, which carries the certificate
  // of the host name the client was configured with (as nats.go does).
  std::string tls_name;
  std::string ToString() const;  // without credentials, for logs and events
};

Result<ServerUrl> ParseServerUrl(std::string_view url);
bool IsIpAddress(std::string_view host);

}  // namespace tern::internal
