// Server URLs: "nats://user:pass@host:port", "tcp://host:port", "host:port".
#pragma once

#include <string>
#include <string_view>

#include "tern/status.h"

namespace tern::internal {

struct ServerUrl {
  std::string scheme = "nats";  // nats and tcp mean plain TCP; tls, ws, wss are reserved
  std::string host;
  int port = 4222;
  std::string user;
  std::string password;
  std::string token;             // "nats://token@host"
  std::string ToString() const;  // without credentials, for logs and events
};

Result<ServerUrl> ParseServerUrl(std::string_view url);

}  // namespace tern::internal
