#include "proto/nats/server_parser.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tern::proto::nats {

std::string_view ErrorText(ParseError error) {
  switch (error) {
    case ParseError::kUnknownOp:
    case ParseError::kBadPayloadEnd:
      return "Unknown Protocol Operation";
    case ParseError::kControlLineTooLong:
      return "maximum control line exceeded";
    case ParseError::kPayloadTooLarge:
      return "Maximum Payload Violation";
    case ParseError::kNone:
    case ParseError::kBadArgs:
    case ParseError::kHeadersNotSupported:
    case ParseError::kClientErr:
      break;
  }
  return {};
}

std::string_view ErrorName(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "none";
    case ParseError::kUnknownOp:
      return "unknown_op";
    case ParseError::kControlLineTooLong:
      return "control_line_too_long";
    case ParseError::kPayloadTooLarge:
      return "payload_too_large";
    case ParseError::kBadArgs:
      return "bad_args";
    case ParseError::kBadPayloadEnd:
      return "bad_payload_end";
    case ParseError::kHeadersNotSupported:
      return "headers_not_supported";
    case ParseError::kClientErr:
      return "client_err";
  }
  return "?";
}

struct ServerParser::Step {
  enum Kind : uint8_t { kDone, kNeedMore, kSkip, kError };
  Kind kind = kDone;
  ParseError error = ParseError::kNone;
  Skip skip = Skip::kNone;
  size_t len = 0;  // kDone: bytes the op took; kNeedMore: bytes the op needs in all (0: not known yet)

  static Step Done(size_t len) { return {kDone, ParseError::kNone, Skip::kNone, len}; }
  static Step NeedMore(size_t need) { return {kNeedMore, ParseError::kNone, Skip::kNone, need}; }
  static Step SkipLine(Skip skip) { return {kSkip, ParseError::kNone, skip, 0}; }
  static Step Error(ParseError error) { return {kError, error, Skip::kNone, 0}; }
};

namespace {

enum class Verb : uint8_t { kConnect, kPub, kHpub, kSub, kUnsub, kPing, kPong, kOk, kErr, kInfo };
enum class Match : uint8_t { kMatched, kNeedMore, kMismatch };

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// SUB/UNSUB arguments are split on CR/LF too (nats-server splitArg); PUB/HPUB
// only on blanks.
inline bool IsSubSeparator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Compares p[from..] with the lower-case `word` ignoring ASCII case. `c | 0x20`
// equals a lower-case letter only for that letter and its upper case.
inline Match MatchLetters(const char* p, size_t n, size_t from, std::string_view word) {
  for (size_t i = from; i < word.size(); ++i) {
    if (i >= n) return Match::kNeedMore;
    if ((p[i] | 0x20) != word[i]) return Match::kMismatch;
  }
  return Match::kMatched;
}

// Decides the verb as soon as the bytes allow, as nats-server does byte by
// byte: a wrong letter is an error even before the line is complete.
// `args_off` is where the arguments (or, for PING/PONG/+OK, the ignored tail)
// begin.
inline Match MatchVerb(const char* p, size_t n, Verb* verb, size_t* args_off) {
  // Fast path for the hot verb.
  if (n >= 4 && (p[0] | 0x20) == 'p' && (p[1] | 0x20) == 'u' && (p[2] | 0x20) == 'b' && IsBlank(p[3])) {
    *verb = Verb::kPub;
    *args_off = 4;
    return Match::kMatched;
  }
  std::string_view word;
  bool needs_blank = false;
  switch (p[0]) {
    case 'P':
    case 'p':
      if (n < 2) return Match::kNeedMore;
      switch (p[1] | 0x20) {
        case 'u':
          word = "pub", *verb = Verb::kPub, needs_blank = true;
          break;
        case 'i':
          word = "ping", *verb = Verb::kPing;
          break;
        case 'o':
          word = "pong", *verb = Verb::kPong;
          break;
        default:
          return Match::kMismatch;
      }
      break;
    case 'H':
    case 'h':
      word = "hpub", *verb = Verb::kHpub, needs_blank = true;
      break;
    case 'S':
    case 's':
      word = "sub", *verb = Verb::kSub, needs_blank = true;
      break;
    case 'U':
    case 'u':
      word = "unsub", *verb = Verb::kUnsub, needs_blank = true;
      break;
    case 'C':
    case 'c':
      word = "connect", *verb = Verb::kConnect;
      break;
    case 'I':
    case 'i':
      word = "info", *verb = Verb::kInfo;
      break;
    case '+':
      word = "+ok", *verb = Verb::kOk;
      break;
    case '-':
      word = "-err", *verb = Verb::kErr, needs_blank = true;
      break;
    default:
      return Match::kMismatch;
  }
  Match m = MatchLetters(p, n, 1, word);
  if (m != Match::kMatched) return m;
  size_t off = word.size();
  if (needs_blank) {
    if (off >= n) return Match::kNeedMore;
    if (!IsBlank(p[off])) return Match::kMismatch;
    ++off;
  }
  *args_off = off;
  return Match::kMatched;
}

// Finds the first separator in [s, e): blanks, plus CR/LF when kSub. Reads
// 16 bytes at a time while they lie inside the caller's buffer (`readable`),
// since subjects are most of a PUB line and this loop is most of its cost.
template <bool kSub>
inline const char* FindSeparator(const char* s, const char* e, const char* readable) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  while (s < e && readable - s >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab));
    if constexpr (kSub) {
      hit = _mm_or_si128(hit,
                         _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    }
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return std::min(e, s + __builtin_ctz(mask));
    s += 16;
  }
#else
  (void)readable;
#endif
  while (s < e && !(kSub ? IsSubSeparator(*s) : IsBlank(*s))) ++s;
  return std::min(s, e);
}

// Splits [b, e) into tokens; returns how many, or max + 1 when there are more.
template <bool kSub>
inline size_t SplitArgs(const char* b, const char* e, const char* readable, std::string_view* out, size_t max) {
  size_t count = 0;
  const char* s = b;
  for (;;) {
    while (s < e && (kSub ? IsSubSeparator(*s) : IsBlank(*s))) ++s;
    if (s == e) return count;
    if (count == max) return max + 1;
    const char* t = FindSeparator<kSub>(s + 1, e, readable);
    out[count++] = std::string_view(s, static_cast<size_t>(t - s));
    s = t;
  }
}

// nats-server parseSize: plain decimal, at most 9 digits, else -1.
inline int64_t ParseSize(std::string_view d) {
  if (d.empty() || d.size() > 9) return -1;
  int64_t n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

inline std::string_view TrimLeadingBlanks(const char* b, const char* e) {
  while (b < e && IsBlank(*b)) ++b;
  return std::string_view(b, static_cast<size_t>(e - b));
}

}  // namespace

ServerParser::Step ServerParser::ParsePub(const char* p, size_t n, size_t args_off, size_t line_end, size_t next,
                                          bool hpub, ServerOpHandler& handler) {
  // nats-server refuses HPUB before looking at its arguments.
  if (hpub && !headers_allowed_) return Step::Error(ParseError::kHeadersNotSupported);
  std::string_view a[4];
  const size_t count = SplitArgs<false>(p + args_off, p + line_end, p + n, a, hpub ? 4 : 3);
  PubOp op;
  int64_t hdr = 0;
  int64_t size;
  if (!hpub) {
    if (count == 2) {
      op.subject = a[0];
      size = ParseSize(a[1]);
    } else if (count == 3) {
      op.subject = a[0];
      op.reply = a[1];
      size = ParseSize(a[2]);
    } else {
      return Step::Error(ParseError::kBadArgs);
    }
  } else {
    if (count == 3) {
      op.subject = a[0];
      hdr = ParseSize(a[1]);
      size = ParseSize(a[2]);
    } else if (count == 4) {
      op.subject = a[0];
      op.reply = a[1];
      hdr = ParseSize(a[2]);
      size = ParseSize(a[3]);
    } else {
      return Step::Error(ParseError::kBadArgs);
    }
    if (hdr < 0 || hdr > size) return Step::Error(ParseError::kBadArgs);
  }
  if (size < 0) return Step::Error(ParseError::kBadArgs);
  if (static_cast<uint64_t>(size) > limits_.max_payload) return Step::Error(ParseError::kPayloadTooLarge);

  // The payload must end in CRLF; like nats-server, fail on the first wrong
  // byte rather than waiting for the rest.
  const size_t end = next + static_cast<size_t>(size);
  if (n > end && p[end] != '\r') return Step::Error(ParseError::kBadPayloadEnd);
  if (n > end + 1 && p[end + 1] != '\n') return Step::Error(ParseError::kBadPayloadEnd);
  if (n < end + 2) return Step::NeedMore(end + 2);
  op.headers = std::string_view(p + next, static_cast<size_t>(hdr));
  op.payload = std::string_view(p + next + hdr, static_cast<size_t>(size - hdr));
  handler.OnPub(op);
  return Step::Done(end + 2);
}

ServerParser::Step ServerParser::ParseOne(const char* p, size_t n, size_t scan_from, ServerOpHandler& handler) {
  Verb verb;
  size_t off;
  switch (MatchVerb(p, n, &verb, &off)) {
    case Match::kMatched:
      break;
    case Match::kNeedMore:
      return Step::NeedMore(0);
    case Match::kMismatch:
      return Step::Error(ParseError::kUnknownOp);
  }
  const size_t from = std::max(off, scan_from);

  if (verb == Verb::kPing || verb == Verb::kPong || verb == Verb::kOk) {
    // nats-server ignores whatever follows these verbs up to '\n', with no
    // length limit; nothing is buffered for it, so none is needed here.
    const Skip skip = verb == Verb::kPing ? Skip::kPing : verb == Verb::kPong ? Skip::kPong : Skip::kOk;
    size_t next;
    if (n >= off + 2 && from == off && p[off] == '\r' && p[off + 1] == '\n') {
      next = off + 2;
    } else {
      const void* nl = from < n ? std::memchr(p + from, '\n', n - from) : nullptr;
      if (nl == nullptr) return Step::SkipLine(skip);
      next = static_cast<size_t>(static_cast<const char*>(nl) - p) + 1;
    }
    if (skip == Skip::kPing)
      handler.OnPing();
    else if (skip == Skip::kPong)
      handler.OnPong();
    return Step::Done(next);
  }

  // Look for the end of the control line only as far as the limit allows, so
  // a client cannot make us scan or buffer more than that.
  const size_t limit = limits_.max_control_line;
  const size_t avail = n - off;
  const bool window_full = avail >= 2 && avail - 2 >= limit;  // avail >= limit + 2, without overflow
  const size_t window_end = window_full ? off + limit + 2 : n;
  const void* nl = from < window_end ? std::memchr(p + from, '\n', window_end - from) : nullptr;
  if (nl == nullptr) {
    return window_full ? Step::Error(ParseError::kControlLineTooLong) : Step::NeedMore(0);
  }
  const size_t nl_pos = static_cast<size_t>(static_cast<const char*>(nl) - p);
  size_t line_end = nl_pos;
  if (line_end > off && p[line_end - 1] == '\r') --line_end;
  // nats-server only checks this when a line spans reads; checking always
  // keeps the outcome independent of how the bytes were split.
  if (line_end - off > limit) return Step::Error(ParseError::kControlLineTooLong);
  const size_t next = nl_pos + 1;

  switch (verb) {
    case Verb::kPub:
      return ParsePub(p, n, off, line_end, next, false, handler);
    case Verb::kHpub:
      return ParsePub(p, n, off, line_end, next, true, handler);
    case Verb::kSub: {
      std::string_view a[3];
      const size_t count = SplitArgs<true>(p + off, p + line_end, p + n, a, 3);
      SubOp op;
      if (count == 2) {
        op.subject = a[0];
        op.sid = a[1];
      } else if (count == 3) {
        op.subject = a[0];
        op.queue = a[1];
        op.sid = a[2];
      } else {
        return Step::Error(ParseError::kBadArgs);
      }
      handler.OnSub(op);
      return Step::Done(next);
    }
    case Verb::kUnsub: {
      std::string_view a[2];
      const size_t count = SplitArgs<true>(p + off, p + line_end, p + n, a, 2);
      if (count != 1 && count != 2) return Step::Error(ParseError::kBadArgs);
      UnsubOp op;
      op.sid = a[0];
      if (count == 2) op.max_msgs = ParseSize(a[1]);
      handler.OnUnsub(op);
      return Step::Done(next);
    }
    case Verb::kConnect:
      handler.OnConnect(TrimLeadingBlanks(p + off, p + line_end));
      return Step::Done(next);
    case Verb::kInfo:
      handler.OnInfo(TrimLeadingBlanks(p + off, p + line_end));
      return Step::Done(next);
    case Verb::kErr:
      return Step::Error(ParseError::kClientErr);
    case Verb::kPing:
    case Verb::kPong:
    case Verb::kOk:
      break;
  }
  return Step::Error(ParseError::kUnknownOp);  // not reached
}

FeedResult ServerParser::Feed(const char* data, size_t size, ServerOpHandler& handler) {
  size_t pos = 0;

  // First finish whatever the previous chunk left open.
  for (;;) {
    if (skip_ != Skip::kNone) {
      if (pos == size) return {ParseError::kNone, size};
      const void* nl = std::memchr(data + pos, '\n', size - pos);
      if (nl == nullptr) return {ParseError::kNone, size};
      pos = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
      const Skip skip = skip_;
      skip_ = Skip::kNone;
      if (skip == Skip::kPing)
        handler.OnPing();
      else if (skip == Skip::kPong)
        handler.OnPong();
      if (!handler.ShouldContinue()) return {ParseError::kNone, pos};
      continue;
    }
    if (partial_.empty()) break;
    if (pos == size) return {ParseError::kNone, size};

    size_t scan_from = 0;
    if (partial_need_ != 0) {
      // Control line known: copy payload bytes, nothing to scan.
      const size_t take = std::min(partial_need_ - partial_.size(), size - pos);
      partial_.append(data + pos, take);
      pos += take;
      // One byte short is enough to see a payload not followed by '\r'.
      if (partial_.size() + 1 < partial_need_) return {ParseError::kNone, size};
    } else {
      // Control line still open: take up to its '\n', but never much more
      // than the longest line allowed, so the check below can fail it.
      scan_from = partial_.size();
      const size_t limit = limits_.max_control_line;
      const size_t cap = limit > SIZE_MAX - 16 ? SIZE_MAX : limit + 16;
      const size_t room = cap > partial_.size() ? cap - partial_.size() : 1;
      size_t take = std::min(size - pos, room);
      const void* nl = std::memchr(data + pos, '\n', take);
      if (nl != nullptr) take = static_cast<size_t>(static_cast<const char*>(nl) - (data + pos)) + 1;
      partial_.append(data + pos, take);
      pos += take;
    }

    const Step step = ParseOne(partial_.data(), partial_.size(), scan_from, handler);
    switch (step.kind) {
      case Step::kDone:
        assert(step.len == partial_.size());
        partial_.clear();
        partial_need_ = 0;
        if (!handler.ShouldContinue()) return {ParseError::kNone, pos};
        break;
      case Step::kNeedMore:
        if (step.len != 0 && partial_need_ == 0) {
          partial_need_ = step.len;
          partial_.reserve(partial_need_);
        }
        break;
      case Step::kSkip:
        partial_.clear();
        skip_ = step.skip;
        break;
      case Step::kError:
        partial_.clear();
        partial_need_ = 0;
        return {step.error, 0};
    }
  }

  // Then everything that starts in this chunk, in place.
  while (pos < size) {
    const Step step = ParseOne(data + pos, size - pos, 0, handler);
    switch (step.kind) {
      case Step::kDone:
        pos += step.len;
        if (!handler.ShouldContinue()) return {ParseError::kNone, pos};
        break;
      case Step::kNeedMore:
        // The one copy of a split operation; reserve it whole once its size is known.
        if (step.len != 0) partial_.reserve(step.len);
        partial_.assign(data + pos, size - pos);
        partial_need_ = step.len;
        return {ParseError::kNone, size};
      case Step::kSkip:
        skip_ = step.skip;
        return {ParseError::kNone, size};
      case Step::kError:
        return {step.error, pos};
    }
  }
  return {ParseError::kNone, size};
}

void ServerParser::ShrinkIfIdle() {
  if (partial_.empty()) std::string().swap(partial_);
}

}  // namespace tern::proto::nats
