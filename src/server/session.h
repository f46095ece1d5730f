// The seam between a connection and the protocol spoken on it. A Connection
// (server/connection.h) owns the socket, the transport chain (TLS,
// WebSocket), buffering, flushing, limits and close; a Session turns the
// plaintext into protocol actions: the NATS client protocol now
// (nats_client_session.h) and MQTT (mqtt_session.h); cluster routes next. tests/server/
// proves the seam with a toy session, as dragonfly's ok_main.cc does for
// its facade.
//
// Every call below runs on the connection's owning worker thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "io/event_loop.h"
#include "server/conn_info.h"

namespace tern::core {
class Sink;
}

namespace tern::server {

enum class CloseReason {
  kClientClosed,
  kReadError,
  kWriteError,
  kProtocolError,
  kMaxPayloadExceeded,
  kMaxControlLineExceeded,
  kSlowConsumerPendingBytes,
  kSlowConsumerWriteDeadline,
  kStaleConnection,
  kMaxConnections,
  kAuthenticationTimeout,
  kAuthenticationViolation,
  kAuthenticationExpired,  // credentials removed or changed by a reload
  kConnectionRateExceeded,
  kTlsHandshakeError,
  kWebsocketHandshakeError,
  kConnectFailed,
  kServerShutdown,
  kKicked,  // an operator disconnected it (admin API)
  kDuplicateClientId,  // MQTT: another connection took the session over
};
// nats-server's names for the same states (its ClosedState strings).
std::string_view CloseReasonText(CloseReason reason);

class Session {
 public:
  virtual ~Session() = default;

  // The transport is ready (every handshake below has finished): greet the
  // peer, arm timers.
  virtual void OnOpen() = 0;
  // Plaintext from the peer. Writable and valid only during the call: the
  // session parses in place and keeps only what it must (split leftovers).
  virtual void OnInput(char* data, size_t size) = 0;
  // The connection's timer fired at or after a time the session asked for
  // with Connection::WakeAt(); ask again for the next one.
  virtual void OnTimer(io::Clock::time_point now) { (void)now; }
  // The connection has closed: drop interest. Output is no longer possible.
  virtual void OnClose(CloseReason reason) = 0;
  // The connection has been quiet for a while: give back buffers.
  virtual void ReleaseIdleMemory() {}
  // A reload changed users or permissions: re-check this connection's
  // rights, closing it or dropping subscriptions it lost.
  virtual void OnAuthChanged() {}
  // The sink that this session's subscriptions deliver to, or nullptr.
  virtual core::Sink* sink() { return nullptr; }
  // What INFO tells clients changed (nodes joined or left the cluster: its
  // connect_urls; the node entered lame duck: ldm): a client session sends
  // a fresh INFO to clients that take one.
  virtual void OnClusterChanged() {}
  // The node is about to close this connection because it is stopping
  // (shutdown, or the turn of this client in lame duck): a protocol that
  // can say so says it now, before the close.
  virtual void OnServerStopping() {}
  // Whether /connz lists this connection (clients yes; the monitor's own
  // HTTP connections no, as in nats-server).
  virtual bool monitored() const { return false; }
  // Fills the protocol part of a monitoring snapshot (name, counters,
  // subscriptions when `with_subs`).
  virtual void Describe(ConnInfo* info, bool with_subs) const {
    (void)info;
    (void)with_subs;
  }
};

}  // namespace tern::server
