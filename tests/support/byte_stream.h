// The byte pipes a RawClient talks through: TCP, TLS over TCP, WebSocket
// over either. Each layer owns the one below it; all of them block only in
// poll() with the caller's deadline, so a silent server fails a test instead
// of hanging it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace tern::testing {

using Deadline = std::chrono::steady_clock::time_point;

enum class IoStatus { kOk, kTimeout, kClosed, kError };

class ByteStream {
 public:
  virtual ~ByteStream() = default;

  // All of `data`, or a failure with the reason in *error.
  virtual IoStatus Write(std::string_view data, Deadline deadline, std::string* error) = 0;
  // Appends at least one byte to *out, or says why not.
  virtual IoStatus Read(std::string* out, Deadline deadline, std::string* error) = 0;
  // No more bytes from us; the peer reads end of stream.
  virtual void ShutdownWrite() = 0;
  // A short, best-effort goodbye before the socket is closed (TLS
  // close_notify, a WebSocket close frame), as a well-behaved client sends.
  virtual void Goodbye() {}
  // The TCP socket at the bottom of the chain.
  virtual int fd() const = 0;
};

// Milliseconds left until `deadline`, never negative.
int RemainingMs(Deadline deadline);

// A connected, non-blocking TCP socket to 127.0.0.1 (or `host`, an IPv4
// literal). Owns the descriptor.
class TcpStream final : public ByteStream {
 public:
  // recv_buffer > 0 sets SO_RCVBUF before connecting (a small window makes a slow reader).
  static std::unique_ptr<TcpStream> Connect(const std::string& host, int port, int recv_buffer, Deadline deadline,
                                            std::string* error);
  explicit TcpStream(int fd) : fd_(fd) {}
  ~TcpStream() override;
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  IoStatus Write(std::string_view data, Deadline deadline, std::string* error) override;
  IoStatus Read(std::string* out, Deadline deadline, std::string* error) override;
  void ShutdownWrite() override;
  int fd() const override { return fd_; }

 private:
  int fd_;
};

// Waits for `events` on fd until the deadline; false on timeout.
bool WaitFor(int fd, short events, Deadline deadline);

// Printable form of protocol bytes for failure messages.
std::string Show(std::string_view s, size_t max = 300);

}  // namespace tern::testing
