// A blocking NATS client connection for one load-generator thread.
//
// Each role (publisher, subscriber, responder, requester) owns one Conn on its
// own thread, so plain blocking sockets are the simplest fast option: reads
// and writes move big chunks, and short socket timeouts (SO_RCVTIMEO,
// SO_SNDTIMEO) let every loop look at its wall-clock deadline and stop flags
// instead of blocking forever.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "wire.h"

namespace tern::loadgen {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// What every connection sends first. no_responders needs headers.
inline constexpr std::string_view kConnectLine =
    "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"
    "\"lang\":\"tern-loadgen\",\"version\":\"0.1\",\"protocol\":1}\r\n";

class Conn {
 public:
  enum class PumpResult { kData, kIdle, kClosed, kError };

  static constexpr size_t kReadBuffer = 256 * 1024;

  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // TCP connect with TCP_NODELAY and short socket timeouts.
  bool Dial(const std::string& host, int port, Deadline deadline);
  // Sends CONNECT, then `extra` (e.g. SUB lines), then PING, and waits for the
  // PONG, so whatever `extra` asked for is in place when this returns true.
  bool Handshake(std::string_view extra, Deadline deadline);
  // Blocks until everything is written, the deadline passes or *cancel (if
  // given) turns true; the last two fail with error() set.
  bool SendAll(std::string_view bytes, Deadline deadline, const std::atomic<bool>* cancel = nullptr);
  // Sends PING and reads (feeding `handler`) until its PONG arrives.
  template <class Handler>
  bool RoundTrip(Handler& handler, Deadline deadline);

  // One read, at most the receive timeout long, fed through the scanner.
  // kError leaves the reason in error() (a -ERR line, EOF, a bad frame).
  template <class Handler>
  PumpResult Pump(Handler& handler);

  void Close();
  int fd() const { return fd_; }
  const std::string& error() const { return error_; }
  void set_error(std::string error) { error_ = std::move(error); }

 private:
  PumpResult ReadSome(size_t* got);
  bool AfterFeed(size_t total, size_t consumed);

  int fd_ = -1;
  std::unique_ptr<char[]> buf_;
  size_t have_ = 0;  // bytes of a partial control line kept at buf_[0..have_)
  MsgScanner scanner_;
  std::string error_;
};

// Server PINGs are answered here and any -ERR ends the connection, so role
// handlers only see OnMsg(const MsgFrame&) and OnPong().
template <class Handler>
struct ServerEvents {
  Handler& inner;
  int pings = 0;
  std::string_view err;
  void OnMsg(const MsgFrame& frame) { inner.OnMsg(frame); }
  void OnPing() { ++pings; }
  void OnPong() { inner.OnPong(); }
  void OnErr(std::string_view line) {
    if (err.empty()) err = line;
  }
};

template <class Handler>
Conn::PumpResult Conn::Pump(Handler& handler) {
  size_t got = 0;
  PumpResult result = ReadSome(&got);
  if (result != PumpResult::kData) return result;
  size_t total = have_ + got;
  ServerEvents<Handler> events{handler};
  size_t consumed = scanner_.Feed(buf_.get(), total, events);
  if (!events.err.empty()) {
    error_ = std::string(events.err);
    return PumpResult::kError;
  }
  if (!AfterFeed(total, consumed)) return PumpResult::kError;
  for (int i = 0; i < events.pings; ++i) {
    if (!SendAll("PONG\r\n", Clock::now() + std::chrono::seconds(5))) return PumpResult::kError;
  }
  return PumpResult::kData;
}

// Wraps a handler to also notice the PONG our PING asked for. PONGs are
// answered in order, so the first PONG seen after sending is ours as long as
// the caller has no other PING outstanding.
template <class Handler>
struct PongWatcher {
  Handler& inner;
  bool pong = false;
  void OnMsg(const MsgFrame& frame) { inner.OnMsg(frame); }
  void OnPong() { pong = true; }
};

template <class Handler>
bool Conn::RoundTrip(Handler& handler, Deadline deadline) {
  if (!SendAll("PING\r\n", deadline)) return false;
  PongWatcher<Handler> watcher{handler};
  while (!watcher.pong) {
    if (Clock::now() >= deadline) {
      error_ = "timeout waiting for PONG";
      return false;
    }
    PumpResult result = Pump(watcher);
    if (result == PumpResult::kClosed || result == PumpResult::kError) {
      if (error_.empty()) error_ = "connection closed waiting for PONG";
      return false;
    }
  }
  return true;
}

}  // namespace tern::loadgen
