// The NATS protocol over WebSocket (ws://, and wss:// with TLS below it), as
// a layer over another Transport: the HTTP upgrade, then every write sent as
// masked binary frames and every frame from the server decoded back into the
// byte stream the NATS parser reads. The codec is src/proto/ws (client
// role); this file only moves bytes between it and the layer below.
#pragma once

#include <chrono>
#include <memory>

#include "tern/status.h"
#include "transport.h"
#include "url.h"

namespace tern::internal {

// Runs the opening handshake over `lower` (TCP, or TLS for wss://) for
// url's host and path by `deadline`. kConnectFailed says why when the server
// refuses: an HTTP status instead of 101, or NATS's own INFO (a client
// port, not a websocket one).
Result<std::shared_ptr<Transport>> StartWebSocket(std::shared_ptr<Transport> lower, const ServerUrl& url,
                                                  std::chrono::steady_clock::time_point deadline);

}  // namespace tern::internal
