// Where a RawClient dials and through what: the same NATS transcript runs
// over plain TCP, TLS (after the plain INFO, as NATS does, or TLS-first),
// WebSocket and WebSocket over TLS.
#pragma once

#include <string>
#include <string_view>

#include "tls_stream.h"

namespace tern::testing {

enum class Transport { kTcp, kTls, kWs, kWss };

// "tcp", "tls", "ws", "wss": parameter names and messages.
constexpr std::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
    case Transport::kWs:
      return "ws";
    case Transport::kWss:
      return "wss";
  }
  return "?";
}
inline bool IsWebsocket(Transport t) { return t == Transport::kWs || t == Transport::kWss; }
inline bool UsesTls(Transport t) { return t == Transport::kTls || t == Transport::kWss; }

struct Target {
  int port = 0;
  Transport transport = Transport::kTcp;
  TlsClientConfig tls;  // kTls and kWss
  std::string host = "127.0.0.1";
  std::string ws_path = "/";

  static Target Tcp(int port) { return Target{.port = port}; }
};

}  // namespace tern::testing
