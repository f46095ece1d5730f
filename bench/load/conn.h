// A blocking NATS client connection for one load-generator thread.
//
// Each role (publisher, subscriber, responder, requester) owns one Conn on its
// own thread, so plain blocking sockets are the simplest fast option: reads
// and writes move big chunks, and short socket timeouts (SO_RCVTIMEO,
// SO_SNDTIMEO) let every loop look at its wall-clock deadline and stop flags
// instead of blocking forever.
//
// Transports (transport.h): a plain TCP connection reads and writes the
// socket directly, exactly as before TLS and WebSocket existed here; the
// others wrap that in TLS (TlsSession) and/or WebSocket framing (one masked
// binary frame per SendAll, server frames unframed in the read buffer).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tls_client.h"
#include "transport.h"
#include "wire.h"
#include "ws_client.h"

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

  // TCP connect with TCP_NODELAY and short socket timeouts, then the
  // transport's own handshake: for kTls the plain INFO and TLS, for kWs the
  // HTTP upgrade, for kWss TLS and then the upgrade.
  bool Dial(const Endpoint& endpoint, Deadline deadline);
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
  // Raw bytes of the transport below WebSocket (the socket, or TLS
  // plaintext) into buf_[have_, have_ + *got).
  PumpResult ReadSome(size_t* got);
  // Everything read so far is NATS data at buf_[*begin, *end): unframes the
  // WebSocket bytes just read and answers pings. False on a broken stream.
  bool Unframe(size_t got, size_t* begin, size_t* end, bool* closed);
  bool AfterFeed(size_t begin, size_t end, size_t consumed);
  bool SendRaw(std::string_view bytes, Deadline deadline, const std::atomic<bool>* cancel);
  bool ReadInfoForTls(Deadline deadline);
  bool StartTls(const Endpoint& endpoint, Deadline deadline);
  bool Upgrade(const Endpoint& endpoint, Deadline deadline);

  int fd_ = -1;
  std::unique_ptr<char[]> buf_;
  size_t have_ = 0;     // bytes of a partial control line kept at buf_[0..have_)
  size_t preread_ = 0;  // raw WebSocket bytes that came with the upgrade, at buf_[have_..]
  MsgScanner scanner_;
  std::unique_ptr<TlsSession> tls_;
  std::unique_ptr<WsUnframer> ws_;
  std::string frame_;  // outgoing WebSocket frame, reused
  WsMasks masks_;
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
  if (preread_ > 0) {
    got = preread_;
    preread_ = 0;
  } else if (PumpResult result = ReadSome(&got); result != PumpResult::kData) {
    return result;
  }
  size_t begin = 0;
  size_t end = have_ + got;
  bool closed = false;
  if (ws_ != nullptr && !Unframe(got, &begin, &end, &closed)) return PumpResult::kError;
  ServerEvents<Handler> events{handler};
  size_t consumed = scanner_.Feed(buf_.get() + begin, end - begin, events);
  if (!events.err.empty()) {
    error_ = std::string(events.err);
    return PumpResult::kError;
  }
  if (!AfterFeed(begin, end, consumed)) return PumpResult::kError;
  if (closed) return PumpResult::kClosed;
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
