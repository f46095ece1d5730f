// One listening address and what speaks there: the list Server::Start binds
// (client 4222, websocket 8080, and later mqtt, cluster, http), each with
// its transport chain. Built from Options by endpoints.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/tls.h"
#include "proto/ws/server_handshake.h"
#include "server/options.h"

namespace tern::server {

class Connection;
class Session;
// Makes the protocol session for a new connection of an endpoint: the one
// place a listener's protocol is decided (tests plug in toy sessions here).
using SessionFactory = std::function<std::unique_ptr<Session>(Connection&)>;

// When TLS starts on a connection of this endpoint.
enum class TlsMode : uint8_t {
  kNone,
  kImplicit,       // before anything else (TLS-first NATS, wss://)
  kAfterGreeting,  // the session greets in plain text, then upgrades (NATS "TLS after INFO")
  kAuto,           // TLS-first if a ClientHello arrives within tls_fallback, else kAfterGreeting
};

// Connections of one endpoint, for /metrics and /varz; updated per
// connection open/close, never per message.
struct EndpointStats {
  std::atomic<int64_t> current{0};
  std::atomic<uint64_t> total{0};
};

struct Endpoint {
  std::string name;  // "client", "websocket", "http": for logs and monitoring
  std::string host;
  int port = 0;  // -1: a random free port; the bound port replaces it
  SessionFactory new_session;

  TlsMode tls_mode = TlsMode::kNone;
  std::shared_ptr<io::TlsContext> tls;
  bool tls_verify = false;  // client certificates required
  std::chrono::milliseconds tls_timeout{2000};
  std::chrono::milliseconds tls_fallback{50};

  // Set for WebSocket endpoints.
  std::optional<WebsocketOptions> websocket;
  std::shared_ptr<const proto::ws::ServerPolicy> websocket_policy;

  // Written (best effort) to a socket the acceptor refuses before any
  // session exists (connection rate); empty: just close.
  std::string refusal;
  // Served by the monitor worker, a thread that gets no client
  // connections: a slow or hostile HTTP client, or a big /connz, never
  // delays message delivery.
  bool monitor_worker = false;
  std::shared_ptr<EndpointStats> stats = std::make_shared<EndpointStats>();

  bool secure() const { return tls_mode != TlsMode::kNone; }
  // How long every handshake on this endpoint may take together.
  std::chrono::milliseconds handshake_timeout() const;
};

// One tls {} block as the io layer takes it.
io::TlsConfig ToTlsConfig(const TlsOptions& tls);

// The endpoints `options` asks for, with their TLS contexts loaded (a bad
// certificate or key fails here, naming the file). `http`, when set, is the
// session of the monitoring listener (http_port), which the monitor
// library provides; without it no HTTP endpoint is built.
base::Result<std::vector<Endpoint>> BuildEndpoints(const Options& options, const SessionFactory& http = {});

}  // namespace tern::server
