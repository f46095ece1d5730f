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
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::proto::nats {

// Errors a client can cause while the bytes are being framed. Each maps to one
// nats-server -ERR text in ErrorText(); all of them close the connection.
enum class ParseError : uint8_t {
  kNone = 0,
  kUnknownOp,          // 'Unknown Protocol Operation'
  kControlLineTooLong, // 'Maximum Control Line Exceeded'
  kPayloadTooLarge,    // 'Maximum Payload Violation'
  kBadArgs,            // malformed arguments of a known verb (nats-server: 'Unknown Protocol Operation'-style close)
  kBadPayloadEnd,      // payload not followed by CRLF (the declared size was wrong)
};

std::string_view ErrorText(ParseError error);

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
  int64_t max_msgs = -1;  // -1: no auto-unsubscribe limit given
};

// Receives each complete operation. Views are valid only during the call.
class ServerOpHandler {
 public:
  virtual ~ServerOpHandler() = default;
  virtual void OnConnect(std::string_view json) = 0;
  virtual void OnPub(const PubOp& op) = 0;  // PUB and HPUB
  virtual void OnSub(const SubOp& op) = 0;
  virtual void OnUnsub(const UnsubOp& op) = 0;
  virtual void OnPing() = 0;
  virtual void OnPong() = 0;
  // Returning false stops parsing this chunk (e.g. the handler closed the
  // connection); Feed() then returns what it consumed so far.
  virtual bool ShouldContinue() { return true; }
};

struct ParseLimits {
  size_t max_control_line = 4096;
  size_t max_payload = 1024 * 1024;
};

struct FeedResult {
  ParseError error = ParseError::kNone;
  size_t consumed = 0;  // bytes of this chunk consumed (all of it unless error/stop)
};

class ServerParser {
 public:
  explicit ServerParser(ParseLimits limits = {}) : limits_(limits) {}

  FeedResult Feed(const char* data, size_t size, ServerOpHandler& handler);

  void set_max_payload(size_t max) { limits_.max_payload = max; }
  // Bytes held for a split operation; the connection counts them as memory.
  size_t buffered() const { return partial_.size(); }
  // Drops the split buffer's capacity when idle so an idle connection stays small.
  void ShrinkIfIdle();

 private:
  ParseLimits limits_;
  std::string partial_;   // bytes of one operation that spans chunks
  size_t partial_need_ = 0;  // total bytes the partial op needs once its control line is known; 0 = unknown yet
};

}  // namespace tern::proto::nats
