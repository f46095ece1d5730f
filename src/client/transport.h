// The byte pipe under a connection: TCP (tcp_transport.cc), with TLS
// (tls_transport.cc) and WebSocket (ws_transport.cc) as layers over it:
// tls:// is TLS over TCP, ws:// WebSocket over TCP, wss:// WebSocket over TLS.
//
// The read side is used in two ways: Read() during the handshake, and after it
// TryRead() + WaitReadable() by whichever thread holds the connection's read
// role (conn_read.cc). Several threads may wait in WaitReadable() at once;
// each arrival of bytes wakes only one of them, the one that started waiting
// last. That is what lets a thread blocked in Request() get its reply straight
// from the socket while the I/O thread, waiting since long before, sleeps on.
//
// A layer that buffers decoded bytes the socket no longer shows (TLS holds
// the rest of a record) must keep "TryRead came up short" meaning "nothing
// left anywhere", and Rearm() must see its buffer too (it uses Wake()).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tern/connection.h"
#include "tern/status.h"

namespace tern::internal {

class Transport {
 public:
  virtual ~Transport() = default;
  // Blocking read of whatever is available, at least one byte. Returns bytes
  // read, 0 on EOF, -1 on error (including after Shutdown()). timeout < 0 waits forever.
  virtual long Read(char* buf, size_t size, std::chrono::milliseconds timeout) = 0;
  // Non-blocking read: bytes read, 0 on EOF, -1 with errno (EAGAIN: nothing now).
  virtual long TryRead(char* buf, size_t size) = 0;
  enum class Wait { kReady, kTimeout, kError };
  // Waits until bytes (or EOF, or an error) arrived since the last wake-up
  // (edge-triggered): so a reader drains with TryRead() until it comes up
  // short before waiting again, or calls Rearm(). timeout < 0 waits forever.
  virtual Wait WaitReadable(std::chrono::milliseconds timeout) = 0;
  // Wakes a waiter (now or the next one) if bytes are waiting unread: how a
  // reader that stops before draining hands the rest on.
  virtual void Rearm() = 0;
  // Writes everything; false on error (the peer went away, or Shutdown()).
  virtual bool WriteAll(std::string_view data) = 0;
  // Wakes any blocked Read/WaitReadable/WriteAll; safe from any thread. The
  // descriptor itself is released only by the destructor, so a concurrent
  // reader never sees it reused.
  virtual void Shutdown() = 0;
  // Queues a wake-up for one WaitReadable() waiter (now or the next one), as
  // if bytes had arrived: for layers whose unread bytes the socket cannot show.
  virtual void Wake() = 0;
  // Why the last Read/TryRead/WriteAll failed when errno cannot say (a TLS
  // alert, a certificate problem); empty otherwise.
  virtual std::string LastError() const { return {}; }
  // Fills in what this layer is (and asks the layer below).
  virtual void Describe(TransportInfo* info) const { (void)info; }
};

// "what failed: why", from LastError() or else errno.
std::string TransportError(const Transport& t, int saved_errno);

// TCP to host:port. write_timeout bounds one blocked write: a server that
// stops reading for that long is treated as gone (the write fails and the
// connection drops).
Result<std::unique_ptr<Transport>> DialTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                                           std::chrono::milliseconds write_timeout);

}  // namespace tern::internal
