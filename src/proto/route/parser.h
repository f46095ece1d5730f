// Parser for the cluster route protocol (docs/clustering.md): what one node
// sends another over a route. Text lines like the NATS client protocol:
//
//   INFO {json}                                    handshake, and updates
//   CONNECT {json}                                 the dialler's credentials, when the INFO asked
//   RS+ <subject> [<queue> <weight>]               interest added (weight: members)
//   RS- <subject> [<queue>]                        interest removed
//   RSYNC <count>                                  the <count> RS+ before it were a full resync
//   RMSG <subject> [reply] [| q1 q2 ...] <size>    a message (+ payload), for the named groups
//   HRMSG <subject> [reply] [| q ...] <hdr> <total>  the same with headers
//   PING / PONG                                    keepalive
//   BARRIER <token> / BARRIER_ACK <token>          interest barrier
//   -ERR '<text>'                                  why the peer refuses us
//
// Pull-shaped: Next() hands back one operation at a time and says how many
// bytes of the chunk it took, so the session decides between operations
// (batch the RS+ of a resync, stop after an error) without callbacks. Views
// point into the caller's chunk, or into the parser's own buffer when an
// operation spans chunks; either way they stay valid until the next call.
// An operation that arrives whole is never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tern::proto::route {

enum class OpType : uint8_t {
  kInfo,
  kConnect,
  kSubscribe,    // RS+
  kUnsubscribe,  // RS-
  kSyncDone,     // RSYNC
  kMessage,      // RMSG, HRMSG
  kPing,
  kPong,
  kBarrier,
  kBarrierAck,
  kError,  // -ERR
};

struct RouteOp {
  OpType type = OpType::kPing;
  std::string_view subject;                  // RS+, RS-, RMSG
  std::string_view queue;                    // RS+, RS-; empty: plain interest
  uint32_t weight = 0;                       // RS+ with a queue: the sender's member count (at least 1)
  std::string_view reply;                    // RMSG; empty when absent
  std::span<const std::string_view> queues;  // RMSG: the groups this copy is for
  std::string_view headers;                  // HRMSG: the header block including its CRLFCRLF
  std::string_view payload;                  // RMSG: the body after the headers
  std::string_view text;                     // INFO/CONNECT json, -ERR text (unquoted), BARRIER token
  uint64_t count = 0;                        // RSYNC
};

enum class ParseError : uint8_t {
  kNone = 0,
  kUnknownOp,
  kControlLineTooLong,
  kPayloadTooLarge,
  kBadArgs,
  kBadPayloadEnd,
};
std::string_view ErrorName(ParseError error);

struct RouteLimits {
  // A route line can name many queue groups; peers are trusted more than
  // clients, but a broken one must not make us buffer without bound.
  size_t max_control_line = 64 * 1024;
  size_t max_payload = 64 * 1024 * 1024;
};

struct NextResult {
  enum class Status : uint8_t { kOp, kNeedMore, kError };
  Status status = Status::kNeedMore;
  ParseError error = ParseError::kNone;
  // Bytes of this chunk taken. kNeedMore: all of them (kept for later).
  // kError: those before the bad operation (0 if it began in an earlier chunk).
  size_t consumed = 0;
};

class RouteParser {
 public:
  explicit RouteParser(RouteLimits limits = {}) : limits_(limits) {}

  // The next operation from `data` (after whatever an earlier call kept).
  // After an error the parser is unusable.
  NextResult Next(const char* data, size_t size, RouteOp* op);

  void set_max_payload(size_t max) { limits_.max_payload = max; }
  const RouteLimits& limits() const { return limits_; }
  size_t buffered() const { return partial_.size(); }
  // Gives back the split buffer's memory when nothing is pending.
  void ShrinkIfIdle();

 private:
  struct Step {
    enum Kind : uint8_t { kDone, kNeedMore, kError } kind = kDone;
    ParseError error = ParseError::kNone;
    size_t len = 0;  // kDone: bytes taken; kNeedMore: bytes needed in all (0: not known yet)
  };
  // Parses the operation at the start of [p, p + n).
  Step ParseAt(const char* p, size_t n, RouteOp* op);
  Step ParseMessage(const char* p, size_t n, size_t args, size_t line_end, size_t next, bool headers, RouteOp* op);

  RouteLimits limits_;
  std::string partial_;            // one operation that spans chunks
  size_t partial_need_ = 0;        // its full size, once its control line is known
  bool partial_returned_ = false;  // the last op's views point into partial_
  std::vector<std::string_view> tokens_;
  std::vector<std::string_view> queues_;
};

}  // namespace tern::proto::route
