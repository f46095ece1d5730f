// The byte pipe under a connection. Plain TCP now; TLS and WebSocket will be
// further implementations of the same three calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "tern/status.h"
#include "url.h"

namespace tern::internal {

class Transport {
 public:
  virtual ~Transport() = default;
  // Blocking read of whatever is available, at least one byte. Returns bytes
  // read, 0 on EOF, -1 on error (including after Shutdown()). timeout < 0 waits forever.
  virtual long Read(char* buf, size_t size, std::chrono::milliseconds timeout) = 0;
  // Writes everything; false on error (the peer went away, or Shutdown()).
  virtual bool WriteAll(std::string_view data) = 0;
  // Wakes any blocked Read/WriteAll with an error; safe from any thread. The
  // descriptor itself is released only by the destructor, so a concurrent
  // reader never sees it reused.
  virtual void Shutdown() = 0;
};

// write_timeout bounds one blocked write: a server that stops reading for
// that long is treated as gone (the write fails and the connection drops).
Result<std::unique_ptr<Transport>> Dial(const ServerUrl& url, std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds write_timeout);

}  // namespace tern::internal
