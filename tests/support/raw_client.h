// A blocking client that speaks raw protocol text, for transcript tests in
// the style of nats-server's test/proto_test.go: send("SUB foo 1\r\n"),
// expect a line. Every read has a deadline, so a server that stays silent
// fails the test instead of hanging it.
//
// The text goes through a Target's transport (TCP, TLS, WebSocket, WSS);
// the transcript does not change with it. Over WebSocket, "closed" means the
// server's close frame (kept in ws_close_code()) and then end of stream.
//
// Servers send PING on their own (nats-server does ~2 s after connect). Unless
// a test expects a PING, reads that hit one answer PONG and skip it, so
// transcripts do not depend on the server's ping timer.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "byte_stream.h"
#include "target.h"

namespace tern::testing {

class WsStream;

using Millis = std::chrono::milliseconds;
inline constexpr Millis kDefaultTimeout{2000};

// One MSG or HMSG as delivered.
struct Msg {
  bool has_headers = false;
  std::string subject;
  std::string sid;
  std::string reply;    // empty when none
  std::string headers;  // raw header block (HMSG only), including the final CRLF CRLF
  std::string payload;
};

struct ConnectOptions {
  bool read_info = true;  // read and keep the INFO line the server sends first
  int recv_buffer = 0;    // SO_RCVBUF before connecting (0: kernel default); small = slow reader
  Millis timeout = kDefaultTimeout;
};

class RawClient {
 public:
  RawClient() = default;
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&& other) noexcept;
  RawClient& operator=(RawClient&& other) noexcept;

  // Dials the target and runs its transport's handshakes (TLS, WebSocket
  // upgrade); reads INFO unless told not to. Over TLS-after-INFO the plain
  // INFO is read first whatever options.read_info says: NATS upgrades after it.
  ::testing::AssertionResult Connect(const Target& target, const ConnectOptions& options = {});
  ::testing::AssertionResult Connect(int port, const ConnectOptions& options = {}) {
    return Connect(Target::Tcp(port), options);
  }
  // Connect, then send CONNECT with `connect_json` (verbose defaults to off
  // unless the json says otherwise) and check the server answers PING.
  ::testing::AssertionResult ConnectAndHandshake(
      const Target& target, const std::string& connect_json = "{\"verbose\":false,\"pedantic\":false}",
      const ConnectOptions& options = {});
  ::testing::AssertionResult ConnectAndHandshake(
      int port, const std::string& connect_json = "{\"verbose\":false,\"pedantic\":false}",
      const ConnectOptions& options = {}) {
    return ConnectAndHandshake(Target::Tcp(port), connect_json, options);
  }
  // Orderly close: the transport's goodbye (TLS close_notify, WebSocket
  // close frame), then FIN.
  void Close();
  // Close with a TCP reset instead of a FIN, as a crashed peer would.
  void Abort();
  // Half-close: no more bytes from us, the server sees EOF.
  void ShutdownWrite();
  bool connected() const { return stream_ != nullptr; }
  int fd() const { return stream_ ? stream_->fd() : -1; }
  Transport transport() const { return transport_; }

  const std::string& info_line() const { return info_line_; }  // "INFO {...}"
  nlohmann::json InfoJson() const;

  ::testing::AssertionResult Send(std::string_view data, Millis timeout = kDefaultTimeout);
  // Bytes below the WebSocket framing (hand-made frames, garbage); the same
  // as Send on other transports.
  ::testing::AssertionResult SendRaw(std::string_view bytes, Millis timeout = kDefaultTimeout);

  // The next line without CRLF; nullopt on timeout, EOF or error (see last_error()).
  std::optional<std::string> ReadLine(Millis timeout = kDefaultTimeout);
  // Exactly n bytes, or nullopt.
  std::optional<std::string> ReadBytes(size_t n, Millis timeout = kDefaultTimeout);
  // Whatever arrives within the timeout (up to max bytes); empty on timeout/EOF.
  std::string ReadSome(size_t max, Millis timeout);
  const std::string& last_error() const { return last_error_; }

  // The next line (PINGs answered and skipped unless `line` is "PING") equals `line`.
  ::testing::AssertionResult Expect(std::string_view line, Millis timeout = kDefaultTimeout);
  // The next line matches the ECMAScript regex as a whole.
  ::testing::AssertionResult ExpectMatch(const std::string& regex, Millis timeout = kDefaultTimeout);
  // "-ERR 'text'".
  ::testing::AssertionResult ExpectErr(std::string_view text, Millis timeout = kDefaultTimeout);
  // PING -> PONG round trip: everything the server owed us before is already read.
  ::testing::AssertionResult Ping(Millis timeout = kDefaultTimeout);

  // The next MSG/HMSG (PINGs skipped); nullopt with last_error() otherwise.
  std::optional<Msg> ReadMsg(Millis timeout = kDefaultTimeout);
  ::testing::AssertionResult ExpectMsg(std::string_view subject, std::string_view sid, std::string_view reply,
                                       std::string_view payload, Millis timeout = kDefaultTimeout);
  ::testing::AssertionResult ExpectHmsg(std::string_view subject, std::string_view sid, std::string_view reply,
                                        std::string_view headers, std::string_view payload,
                                        Millis timeout = kDefaultTimeout);

  // The server closes the connection within the timeout; bytes it sent first
  // are discarded (or appended to *drained). Fails if it stays open.
  ::testing::AssertionResult ExpectClosed(Millis timeout = kDefaultTimeout, std::string* drained = nullptr);

  // Keeps an otherwise idle client alive for `duration`: answers the server's
  // PINGs. Fails on anything else arriving, or on close.
  ::testing::AssertionResult AnswerPingsFor(Millis duration);

  void set_auto_pong(bool on) { auto_pong_ = on; }

  // WebSocket only: the server's close frame once it came, and the pongs
  // it sent for our pings.
  std::optional<uint16_t> ws_close_code() const;
  std::string ws_close_reason() const;
  int ws_pongs_received() const;

 private:
  enum class Fill { kOk, kTimeout, kClosed, kError };
  Fill FillBuffer(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> NextLine(std::chrono::steady_clock::time_point deadline, bool skip_pings);
  std::optional<std::string> TakeBytes(size_t n, std::chrono::steady_clock::time_point deadline);
  std::string Pending() const;  // buffered unread bytes, for failure messages

  std::unique_ptr<ByteStream> stream_;
  WsStream* ws_ = nullptr;  // inside stream_, for WebSocket targets
  Transport transport_ = Transport::kTcp;
  bool auto_pong_ = true;
  std::string buf_;
  size_t pos_ = 0;
  std::string info_line_;
  std::string last_error_;
};

// Protocol text helpers.
std::string Pub(std::string_view subject, std::string_view payload, std::string_view reply = "");
std::string Hpub(std::string_view subject, std::string_view headers, std::string_view payload,
                 std::string_view reply = "");

}  // namespace tern::testing
