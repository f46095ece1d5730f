// Parser for what a NATS client sends to a server: CONNECT, PUB, HPUB, SUB,
// UNSUB, PING, PONG (and +OK/-ERR/INFO, which clients may send and servers
// ignore or reject like nats-server does).
//
// A state machine over bytes, no sockets. Feed() parses every complete
// operation in the chunk in place (the views handed to the handler point into
// the caller's chunk, or into the parser's own split buffer when an operation
// spans chunks) and keeps at most one partial operation for the next call, so
// callers may reuse their read buffer as soon as Feed() returns. An operation
// split across reads is copied once; one that arrives whole is never copied.
//
// Framing follows nats-server 2.9 (server/parser.go): verbs are
// case-insensitive; arguments are separated by spaces/tabs; a control line
// ends at '\n' with an optional '\r' before it (a bare '\n' is accepted, as
// nats-server does), but a payload must be followed by exactly "\r\n".
// Anything after PING/PONG/+OK up to the '\n' is ignored, as nats-server does.
// Subjects are not validated here: that is core's job (and pedantic mode the
// server's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::proto::nats {

// Errors a client can cause while the bytes are being framed. All of them
// close the connection in nats-server. ErrorText() gives the text nats-server
// sends as "-ERR '<text>'" first; an empty text means nats-server closes the
// connection without sending any -ERR.
enum class ParseError : uint8_t {
  kNone = 0,
  kUnknownOp,            // 'Unknown Protocol Operation'
  kControlLineTooLong,   // 'maximum control line exceeded' (lower case, as nats-server sends it)
  kPayloadTooLarge,      // 'Maximum Payload Violation'
  kBadArgs,              // wrong arg count or bad size of PUB/HPUB/SUB/UNSUB: silent close
  kBadPayloadEnd,        // payload not followed by CRLF: 'Unknown Protocol Operation'
  kHeadersNotSupported,  // HPUB while headers are off for this connection: silent close
  kClientErr,            // the client sent -ERR: silent close
};

// The text to send as -ERR '<text>' before closing; empty: close silently.
std::string_view ErrorText(ParseError error);
// A short name for logs and tests ("bad_args", ...).
std::string_view ErrorName(ParseError error);

struct PubOp {
  std::string_view subject;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // HPUB only: the header block including its trailing CRLFCRLF
  std::string_view payload;  // body after the headers
};

struct SubOp {
  std::string_view subject;
  std::string_view queue;  // empty when absent
  std::string_view sid;
};

struct UnsubOp {
  std::string_view sid;
  // -1: no limit given, or a limit that is not a plain decimal number (nats-server
  // then unsubscribes at once rather than failing). 0 also means "at once".
  int64_t max_msgs = -1;
};

// Receives each complete operation. Views are valid only during the call.
class ServerOpHandler {
 public:
  virtual ~ServerOpHandler() = default;
  // The raw argument of CONNECT, leading blanks trimmed (may be empty or not
  // JSON: nats-server closes the connection silently when it does not parse).
  virtual void OnConnect(std::string_view json) = 0;
  virtual void OnPub(const PubOp& op) = 0;  // PUB and HPUB
  virtual void OnSub(const SubOp& op) = 0;
  virtual void OnUnsub(const UnsubOp& op) = 0;
  virtual void OnPing() = 0;
  virtual void OnPong() = 0;
  // INFO from a client: nats-server ignores it unless it is not JSON (then it
  // closes silently).
  virtual void OnInfo(std::string_view /*json*/) {}
  // Returning false stops parsing this chunk (e.g. the handler closed the
  // connection); Feed() then returns what it consumed so far.
  virtual bool ShouldContinue() { return true; }
};

struct ParseLimits {
  // Longest argument part of a control line (after the verb), CR excluded.
  size_t max_control_line = 4096;
  size_t max_payload = 1024 * 1024;
};

struct FeedResult {
  ParseError error = ParseError::kNone;
  // Bytes of this chunk consumed: all of it unless error/stop. On error, the
  // bytes of the complete operations before the bad one (0 when the bad one
  // began in an earlier chunk). A partial operation kept for later counts as
  // consumed.
  size_t consumed = 0;
};

class ServerParser {
 public:
  explicit ServerParser(ParseLimits limits = {}) : limits_(limits) {}

  FeedResult Feed(const char* data, size_t size, ServerOpHandler& handler);
  FeedResult Feed(std::string_view data, ServerOpHandler& handler) { return Feed(data.data(), data.size(), handler); }

  void set_max_payload(size_t max) { limits_.max_payload = max; }
  void set_max_control_line(size_t max) { limits_.max_control_line = max; }
  // nats-server rejects HPUB unless the client's CONNECT said headers:true (and
  // the server supports them). On by default so the parser stands alone; the
  // server turns it off/on when it handles CONNECT.
  void set_headers_allowed(bool allowed) { headers_allowed_ = allowed; }
  const ParseLimits& limits() const { return limits_; }

  // Bytes held for a split operation; the connection counts them as memory.
  size_t buffered() const { return partial_.size(); }
  // Drops the split buffer's capacity when idle so an idle connection stays small.
  void ShrinkIfIdle();

 private:
  enum class Skip : uint8_t { kNone, kPing, kPong, kOk };
  struct Step;

  // Parses the one operation at the start of [p, p+n); `scan_from` says how
  // much of it is already known to hold no '\n'.
  Step ParseOne(const char* p, size_t n, size_t scan_from, ServerOpHandler& handler);
  Step ParsePub(const char* p, size_t n, size_t args_off, size_t line_end, size_t next, bool hpub,
                ServerOpHandler& handler);

  ParseLimits limits_;
  std::string partial_;      // bytes of one operation that spans chunks
  size_t partial_need_ = 0;  // total bytes the partial op needs once its control line is known; 0 = unknown yet
  Skip skip_ = Skip::kNone;  // inside the tail of a PING/PONG/+OK line, dropping bytes up to '\n'
  bool headers_allowed_ = true;
};

}  // namespace tern::proto::nats
