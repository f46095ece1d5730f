// Parser for what a NATS server sends to a client: INFO, MSG, HMSG, PING,
// PONG, +OK and -ERR.
//
// Same shape as ServerParser: a state machine over bytes, no sockets. Feed()
// parses every complete operation in the chunk in place (views point into the
// caller's chunk, or into the parser's own split buffer when an operation spans
// chunks) and keeps at most one partial operation for the next call, so the
// caller may reuse its read buffer as soon as Feed() returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/nats/server_parser.h"  // ParseError, ParseLimits, FeedResult

namespace tern::proto::nats {

struct MsgOp {
  std::string_view subject;
  std::string_view sid;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // HMSG only: the header block including its trailing CRLFCRLF
  std::string_view payload;  // body after the headers
};

// Receives each complete operation. Views are valid only during the call.
class ClientOpHandler {
 public:
  virtual ~ClientOpHandler() = default;
  virtual void OnInfo(std::string_view json) = 0;
  virtual void OnMsg(const MsgOp& op) = 0;  // MSG and HMSG
  virtual void OnPing() = 0;
  virtual void OnPong() = 0;
  virtual void OnOk() {}
  // The text between the quotes of -ERR 'text' (the whole argument if unquoted).
  virtual void OnErr(std::string_view text) = 0;
  // Returning false stops parsing this chunk; Feed() returns what it consumed.
  virtual bool ShouldContinue() { return true; }
};

// A client trusts its server more than a server trusts its clients, but INFO
// can legitimately be long (connect_urls of a big cluster), hence the larger
// control-line cap (here: the whole line, verb included); payloads are capped
// only to bound memory on a broken peer.
inline constexpr ParseLimits kClientParseLimits{64 * 1024, 64 * 1024 * 1024};

class ClientParser {
 public:
  explicit ClientParser(ParseLimits limits = kClientParseLimits) : limits_(limits) {}

  // On error, consumed counts the complete operations before the bad one (0
  // when it began in an earlier chunk), as in ServerParser; the connection is
  // then unusable and should be dropped.
  FeedResult Feed(const char* data, size_t size, ClientOpHandler& handler);

  // Forgets any split operation, e.g. when the connection is replaced.
  void Reset() {
    partial_.clear();
    partial_need_ = 0;
  }
  size_t buffered() const { return partial_.size(); }
  void ShrinkIfIdle();

 private:
  ParseLimits limits_;
  std::string partial_;      // bytes of one operation that spans chunks
  size_t partial_need_ = 0;  // total size of the partial op once its control line is known; 0 = unknown yet
};

}  // namespace tern::proto::nats
