// WebSocket (RFC 6455) as a transport stage, server role: the HTTP upgrade,
// then every binary or text message's bytes handed up as one stream (the
// NATS protocol, and later MQTT, runs over it unchanged), pings answered,
// the peer's close frame echoed, protocol violations closed with the code
// the codec names. The codec is proto/ws; this file only wires it to the
// connection's stage chain.
#pragma once

#include <memory>

#include "io/stage.h"
#include "proto/ws/server_handshake.h"
#include "server/options.h"

namespace tern::server {

// One listener's handshake rules, made once from its options.
std::shared_ptr<const proto::ws::ServerPolicy> MakeWebsocketPolicy(const WebsocketOptions& options, bool tls);

std::unique_ptr<io::Stage> NewWebsocketStage(std::shared_ptr<const proto::ws::ServerPolicy> policy,
                                             const WebsocketOptions& options);

}  // namespace tern::server
