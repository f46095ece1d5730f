// Which transport a load-generator connection speaks NATS over, and what it
// needs to set one up. The TLS and WebSocket code here is the load
// generator's own (tls_client.cc, ws_client.cc): it must not share the
// server's code paths it measures.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tern::loadgen {

enum class Transport : uint8_t {
  kTcp,  // plain NATS on the client port
  kTls,  // NATS with TLS after the plain INFO, as nats-server does it
  kWs,   // NATS over WebSocket (binary frames)
  kWss,  // NATS over WebSocket over TLS (TLS first, then the HTTP upgrade)
};

bool ParseTransport(std::string_view text, Transport* out);
std::string_view TransportName(Transport transport);
inline bool UsesTls(Transport t) { return t == Transport::kTls || t == Transport::kWss; }
inline bool UsesWebsocket(Transport t) { return t == Transport::kWs || t == Transport::kWss; }

class TlsClientContext;

// Where and how a connection dials. `tls` is set for kTls and kWss.
struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 4222;
  Transport transport = Transport::kTcp;
  std::shared_ptr<TlsClientContext> tls;
  std::string ws_path = "/";
};

}  // namespace tern::loadgen
