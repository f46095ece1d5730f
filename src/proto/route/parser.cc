#include "proto/route/parser.h"

#include <algorithm>
#include <cstring>

namespace tern::proto::route {
namespace {

struct Verb {
  std::string_view word;  // upper case
  OpType type;
  bool headers;  // HRMSG
};

constexpr Verb kVerbs[] = {
    {"RMSG", OpType::kMessage, false},    {"HRMSG", OpType::kMessage, true},
    {"RS+", OpType::kSubscribe, false},   {"RS-", OpType::kUnsubscribe, false},
    {"RSYNC", OpType::kSyncDone, false},  {"PING", OpType::kPing, false},
    {"PONG", OpType::kPong, false},       {"INFO", OpType::kInfo, false},
    {"BARRIER", OpType::kBarrier, false}, {"BARRIER_ACK", OpType::kBarrierAck, false},
    {"-ERR", OpType::kError, false},      {"CONNECT", OpType::kConnect, false},
};
constexpr size_t kLongestVerb = 11;

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
inline bool EndsVerb(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool StartsWithIgnoreCase(std::string_view word, std::string_view prefix) {
  if (prefix.size() > word.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Upper(prefix[i]) != word[i]) return false;
  }
  return true;
}

// Plain decimal with at most `max_digits` digits, else false.
bool ParseDecimal(std::string_view d, size_t max_digits, uint64_t* out) {
  if (d.empty() || d.size() > max_digits) return false;
  uint64_t n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

void Split(const char* b, const char* e, std::vector<std::string_view>* out) {
  out->clear();
  while (b < e) {
    while (b < e && IsBlank(*b)) ++b;
    if (b == e) break;
    const char* t = b;
    while (t < e && !IsBlank(*t)) ++t;
    out->emplace_back(b, static_cast<size_t>(t - b));
    b = t;
  }
}

std::string_view Trim(const char* b, const char* e) {
  while (b < e && IsBlank(*b)) ++b;
  while (e > b && IsBlank(e[-1])) --e;
  return {b, static_cast<size_t>(e - b)};
}

}  // namespace

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
  }
  return "?";
}

RouteParser::Step RouteParser::ParseMessage(const char* p, size_t n, size_t args, size_t line_end, size_t next,
                                            bool headers, RouteOp* op) {
  Split(p + args, p + line_end, &tokens_);
  const size_t sizes = headers ? 2 : 1;
  if (tokens_.size() < sizes + 1) return {Step::kError, ParseError::kBadArgs};
  const size_t rest = tokens_.size() - sizes;
  const auto bar = std::find(tokens_.begin(), tokens_.begin() + static_cast<std::ptrdiff_t>(rest), "|");
  const size_t head = static_cast<size_t>(bar - tokens_.begin());
  if (head < 1 || head > 2) return {Step::kError, ParseError::kBadArgs};
  queues_.clear();
  if (head < rest) {
    if (head + 1 == rest) return {Step::kError, ParseError::kBadArgs};  // "|" names no group
    queues_.assign(tokens_.begin() + static_cast<std::ptrdiff_t>(head) + 1,
                   tokens_.begin() + static_cast<std::ptrdiff_t>(rest));
  }
  uint64_t hdr = 0, total = 0;
  if (!ParseDecimal(tokens_[rest + sizes - 1], 10, &total)) return {Step::kError, ParseError::kBadArgs};
  if (headers && (!ParseDecimal(tokens_[rest], 10, &hdr) || hdr > total)) return {Step::kError, ParseError::kBadArgs};
  if (total > limits_.max_payload) return {Step::kError, ParseError::kPayloadTooLarge};
  // Fail on the first wrong byte after the payload rather than waiting for more.
  const size_t end = next + static_cast<size_t>(total);
  if (n > end && p[end] != '\r') return {Step::kError, ParseError::kBadPayloadEnd};
  if (n > end + 1 && p[end + 1] != '\n') return {Step::kError, ParseError::kBadPayloadEnd};
  if (n < end + 2) return {Step::kNeedMore, ParseError::kNone, end + 2};
  op->type = OpType::kMessage;
  op->subject = tokens_[0];
  op->reply = head == 2 ? tokens_[1] : std::string_view();
  op->queues = queues_;
  op->headers = std::string_view(p + next, static_cast<size_t>(hdr));
  op->payload = std::string_view(p + next + hdr, static_cast<size_t>(total - hdr));
  return {Step::kDone, ParseError::kNone, end + 2};
}

RouteParser::Step RouteParser::ParseAt(const char* p, size_t n, RouteOp* op) {
  // Decide the verb as soon as the bytes allow: garbage fails at once, not
  // after a control line's worth of it.
  size_t verb_end = 0;
  while (verb_end < n && verb_end <= kLongestVerb && !EndsVerb(p[verb_end])) ++verb_end;
  const std::string_view word(p, verb_end);
  const Verb* verb = nullptr;
  if (verb_end < n && verb_end <= kLongestVerb) {
    for (const Verb& v : kVerbs) {
      if (v.word.size() == word.size() && StartsWithIgnoreCase(v.word, word)) verb = &v;
    }
    if (verb == nullptr) return {Step::kError, ParseError::kUnknownOp};
  } else {
    const bool prefix = std::any_of(std::begin(kVerbs), std::end(kVerbs),
                                    [&](const Verb& v) { return StartsWithIgnoreCase(v.word, word); });
    if (!prefix || verb_end > kLongestVerb) return {Step::kError, ParseError::kUnknownOp};
    return {Step::kNeedMore};
  }

  const size_t window = std::min(n, limits_.max_control_line + 2);
  const void* nl = std::memchr(p + verb_end, '\n', window - verb_end);
  if (nl == nullptr) {
    if (n >= limits_.max_control_line + 2) return {Step::kError, ParseError::kControlLineTooLong};
    return {Step::kNeedMore};
  }
  const size_t nl_pos = static_cast<size_t>(static_cast<const char*>(nl) - p);
  size_t line_end = nl_pos;
  if (line_end > verb_end && p[line_end - 1] == '\r') --line_end;
  if (line_end > limits_.max_control_line) return {Step::kError, ParseError::kControlLineTooLong};
  const size_t next = nl_pos + 1;

  *op = RouteOp{};
  op->type = verb->type;
  switch (verb->type) {
    case OpType::kMessage:
      return ParseMessage(p, n, verb_end, line_end, next, verb->headers, op);
    case OpType::kSubscribe:
    case OpType::kUnsubscribe: {
      Split(p + verb_end, p + line_end, &tokens_);
      const bool sub = verb->type == OpType::kSubscribe;
      if (tokens_.size() == 1) {
        op->subject = tokens_[0];
      } else if (sub && tokens_.size() == 3) {
        uint64_t weight = 0;
        if (!ParseDecimal(tokens_[2], 10, &weight) || weight == 0 || weight > UINT32_MAX) {
          return {Step::kError, ParseError::kBadArgs};
        }
        op->subject = tokens_[0];
        op->queue = tokens_[1];
        op->weight = static_cast<uint32_t>(weight);
      } else if (!sub && tokens_.size() == 2) {
        op->subject = tokens_[0];
        op->queue = tokens_[1];
      } else {
        return {Step::kError, ParseError::kBadArgs};
      }
      return {Step::kDone, ParseError::kNone, next};
    }
    case OpType::kSyncDone:
      Split(p + verb_end, p + line_end, &tokens_);
      if (tokens_.size() != 1 || !ParseDecimal(tokens_[0], 19, &op->count)) return {Step::kError, ParseError::kBadArgs};
      return {Step::kDone, ParseError::kNone, next};
    case OpType::kBarrier:
    case OpType::kBarrierAck:
      Split(p + verb_end, p + line_end, &tokens_);
      if (tokens_.size() != 1) return {Step::kError, ParseError::kBadArgs};
      op->text = tokens_[0];
      return {Step::kDone, ParseError::kNone, next};
    case OpType::kInfo:
    case OpType::kConnect:
      op->text = Trim(p + verb_end, p + line_end);
      return {Step::kDone, ParseError::kNone, next};
    case OpType::kError: {
      std::string_view text = Trim(p + verb_end, p + line_end);
      if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') text = text.substr(1, text.size() - 2);
      op->text = text;
      return {Step::kDone, ParseError::kNone, next};
    }
    case OpType::kPing:
    case OpType::kPong:
      return {Step::kDone, ParseError::kNone, next};
  }
  return {Step::kError, ParseError::kUnknownOp};
}

NextResult RouteParser::Next(const char* data, size_t size, RouteOp* op) {
  using Status = NextResult::Status;
  if (partial_returned_) {
    partial_.clear();
    partial_need_ = 0;
    partial_returned_ = false;
  }
  if (partial_.empty()) {
    const Step step = ParseAt(data, size, op);
    switch (step.kind) {
      case Step::kDone:
        return {Status::kOp, ParseError::kNone, step.len};
      case Step::kError:
        return {Status::kError, step.error, 0};
      case Step::kNeedMore:
        if (size == 0) return {Status::kNeedMore, ParseError::kNone, 0};
        partial_.assign(data, size);
        partial_need_ = step.len;
        return {Status::kNeedMore, ParseError::kNone, size};
    }
  }

  // Finish the operation an earlier chunk began: copy no more than it needs,
  // so the bytes after it stay in the caller's buffer.
  size_t taken = 0;
  for (;;) {
    if (partial_need_ != 0) {
      const size_t take = std::min(partial_need_ - partial_.size(), size - taken);
      partial_.append(data + taken, take);
      taken += take;
      // One byte short is enough to see a payload not followed by '\r'.
      if (partial_.size() + 1 < partial_need_) return {Status::kNeedMore, ParseError::kNone, size};
    } else {
      const size_t room = limits_.max_control_line + 2 - std::min(partial_.size(), limits_.max_control_line + 2);
      const size_t span = std::min(size - taken, room);
      const void* nl = std::memchr(data + taken, '\n', span);
      const size_t take = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - (data + taken)) + 1 : span;
      partial_.append(data + taken, take);
      taken += take;
    }
    const Step step = ParseAt(partial_.data(), partial_.size(), op);
    switch (step.kind) {
      case Step::kDone:
        partial_returned_ = true;
        return {Status::kOp, ParseError::kNone, taken};
      case Step::kError:
        return {Status::kError, step.error, 0};
      case Step::kNeedMore:
        if (step.len != 0) partial_need_ = step.len;
        if (taken == size) return {Status::kNeedMore, ParseError::kNone, size};
        if (step.len == 0 && partial_.size() >= limits_.max_control_line + 2) {
          return {Status::kError, ParseError::kControlLineTooLong, 0};
        }
        break;
    }
  }
}

void RouteParser::ShrinkIfIdle() {
  if (partial_.empty() || partial_returned_) {
    partial_.clear();
    partial_.shrink_to_fit();
    partial_need_ = 0;
    partial_returned_ = false;
  }
}

}  // namespace tern::proto::route
