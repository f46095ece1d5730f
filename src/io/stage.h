// One layer of a connection's transport chain, between the socket and the
// protocol session: TLS (io/tls.h), WebSocket (server/ws_stage.h). A plain
// TCP connection has no stages at all and pays nothing for the chain.
//
//   socket <-> stage[0] <-> stage[1] <-> session
//
// Owner thread only: a connection with stages is written by its owning
// worker alone (OpenSSL objects are not to be shared between threads).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tern::io {

// What a stage hands to its neighbours while it decodes input.
// Why a connection is being closed, in terms a transport can pass on (a
// WebSocket close code): the server maps its own close reasons onto these.
enum class CloseKind : uint8_t {
  kNormal,         // the peer or the protocol ended it
  kGoingAway,      // the server is shutting down
  kPolicy,         // a limit or rule: auth timeout, slow consumer, too many connections
  kProtocolError,  // the peer broke the protocol
  kTooBig,         // a message over the size limit
  kInternal,       // anything else
};
struct CloseNote {
  CloseKind kind = CloseKind::kNormal;
  std::string_view text;  // the server's reason, e.g. "Protocol Violation"
};

class StageIo {
 public:
  virtual ~StageIo() = default;
  // Decoded bytes for the layer above. `data` is writable and valid only
  // during the call (stages decode in place where they can).
  virtual void Up(char* data, size_t size) = 0;
  // Bytes this stage sends on its own (handshake records, pongs, a close
  // frame), already encoded by it, for the layers below.
  virtual void Down(std::string_view data) = 0;
};

class Stage {
 public:
  virtual ~Stage() = default;

  // Bytes from the layer below. A failed Status closes the connection; its
  // message is logged.
  virtual base::Status Inbound(char* data, size_t size, StageIo& io) = 0;
  // Application bytes from the layer above: append their encoding to `out`.
  virtual base::Status Outbound(std::string_view data, std::string& out) = 0;
  // Bytes to send as soon as the stage is in place, for protocols whose
  // client speaks first (a TLS ClientHello); may append nothing.
  virtual base::Status Begin(std::string& out) {
    (void)out;
    return base::Status::Ok();
  }
  // Bytes to send before the socket closes (TLS close_notify, a WebSocket
  // close frame that says why); may append nothing.
  virtual void Closing(const CloseNote& note, std::string& out) {
    (void)note;
    (void)out;
  }
  // True once application data may flow (handshake complete).
  virtual bool open() const = 0;
  // The peer said goodbye at this layer (close_notify, a close frame): close
  // once pending output is written.
  virtual bool peer_closed() const { return false; }
  // For logs: "tls", "websocket".
  virtual std::string_view name() const = 0;
  // Drops buffers an idle connection does not need.
  virtual void ReleaseIdleMemory() {}
};

}  // namespace tern::io
