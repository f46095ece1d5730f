// Server URLs: "nats://user:pass@host:port", "tls://host:port", "tcp://host:port", "host:port",
// "ws://host:port/path", "wss://host:port/path".
#pragma once

#include <string>
#include <string_view>

#include "tern/status.h"

namespace tern::internal {

struct ServerUrl {
  std::string scheme = "nats";  // nats (tcp is read as nats), tls, ws or wss
  std::string host;
  int port = 4222;   // ws: 80, wss: 443 when the URL has none, as in nats.go
  std::string path;  // ws and wss: the request path ("/" when empty); ignored otherwise
  std::string user;
  std::string password;
  std::string token;  // "nats://token@host"
  // The name to verify a TLS certificate against when it is not `host`: set
  // for a discovered server advertised by IP, which carries the certificate
  // of the host name the client was configured with (as nats.go does).
  std::string tls_name;
  std::string ToString() const;  // without credentials, for logs and events
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
};

Result<ServerUrl> ParseServerUrl(std::string_view url);
bool IsIpAddress(std::string_view host);

}  // namespace tern::internal
