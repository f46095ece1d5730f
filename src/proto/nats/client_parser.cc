#include "proto/nats/client_parser.h"

#include <algorithm>
#include <cstring>

namespace tern::proto::nats {
namespace {

enum class Step { kDone, kNeedMore, kError };

struct StepResult {
  Step step = Step::kDone;
  size_t used = 0;  // kDone: bytes of the operation
  size_t need = 0;  // kNeedMore: total bytes of the operation, 0 while the control line is incomplete
  ParseError error = ParseError::kNone;
};

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (x != b[i]) return false;
  }
  return true;
}

// Splits whitespace-separated arguments; returns how many were found, up to max
// (a count above max means too many).
size_t SplitArgs(std::string_view s, std::string_view* out, size_t max) {
  size_t count = 0;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (count < max) out[count] = s.substr(start, i - start);
    ++count;
  }
  return count;
}

bool ParseSize(std::string_view s, size_t* out) {
  if (s.empty() || s.size() > 18) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *out = v;
  return true;
}

StepResult Error(ParseError e) {
  StepResult r;
  r.step = Step::kError;
  r.error = e;
  return r;
}

// MSG <subject> <sid> [reply] <size> / HMSG <subject> <sid> [reply] <hdr> <total>.
StepResult ParseMsg(const char* p, size_t n, size_t line_end, std::string_view args, bool with_headers,
                    const ParseLimits& limits, ClientOpHandler& handler) {
  std::string_view a[5];
  size_t count = SplitArgs(args, a, 5);
  MsgOp op;
  size_t hdr = 0;
  size_t total = 0;
  if (!with_headers) {
    if (count != 3 && count != 4) return Error(ParseError::kBadArgs);
    if (!ParseSize(a[count - 1], &total)) return Error(ParseError::kBadArgs);
    if (count == 4) op.reply = a[2];
  } else {
    if (count != 4 && count != 5) return Error(ParseError::kBadArgs);
    if (!ParseSize(a[count - 2], &hdr) || !ParseSize(a[count - 1], &total) || hdr > total) {
      return Error(ParseError::kBadArgs);
    }
    if (count == 5) op.reply = a[2];
  }
  op.subject = a[0];
  op.sid = a[1];
  if (total > limits.max_payload) return Error(ParseError::kPayloadTooLarge);
  size_t body = line_end + 1;
  size_t need = body + total + 2;
  if (n < need) {
    StepResult r;
    r.step = Step::kNeedMore;
    r.need = need;
    return r;
  }
  if (p[body + total] != '\r' || p[body + total + 1] != '\n') return Error(ParseError::kBadPayloadEnd);
  op.headers = std::string_view(p + body, hdr);
  op.payload = std::string_view(p + body + hdr, total - hdr);
  handler.OnMsg(op);
  StepResult r;
  r.used = need;
  return r;
}

// Parses the one operation at the start of p[0, n).
StepResult ParseOne(const char* p, size_t n, const ParseLimits& limits, ClientOpHandler& handler) {
  const void* nl = std::memchr(p, '\n', n);
  if (nl == nullptr) {
    if (n > limits.max_control_line) return Error(ParseError::kControlLineTooLong);
    StepResult r;
    r.step = Step::kNeedMore;
    return r;
  }
  size_t line_end = static_cast<size_t>(static_cast<const char*>(nl) - p);
  if (line_end > limits.max_control_line) return Error(ParseError::kControlLineTooLong);
  std::string_view line(p, line_end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t verb_end = 0;
  while (verb_end < line.size() && !IsSpace(line[verb_end])) ++verb_end;
  std::string_view verb = line.substr(0, verb_end);
  std::string_view rest = line.substr(verb_end);
  StepResult done;
  done.used = line_end + 1;

  if (EqualsNoCase(verb, "MSG")) return ParseMsg(p, n, line_end, rest, false, limits, handler);
  if (EqualsNoCase(verb, "HMSG")) return ParseMsg(p, n, line_end, rest, true, limits, handler);
  if (EqualsNoCase(verb, "PING") || EqualsNoCase(verb, "PONG") || EqualsNoCase(verb, "+OK")) {
    // Like nats-server, anything after the verb up to the newline is ignored.
    if (verb[1] == 'I' || verb[1] == 'i') {
      handler.OnPing();
    } else if (verb[0] == '+') {
      handler.OnOk();
    } else {
      handler.OnPong();
    }
    return done;
  }
  if (EqualsNoCase(verb, "INFO")) {
    handler.OnInfo(Trim(rest));
    return done;
  }
  if (EqualsNoCase(verb, "-ERR")) {
    std::string_view text = Trim(rest);
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') text = text.substr(1, text.size() - 2);
    handler.OnErr(text);
    return done;
  }
  return Error(ParseError::kUnknownOp);
}

}  // namespace

FeedResult ClientParser::Feed(const char* data, size_t size, ClientOpHandler& handler) {
  size_t pos = 0;
  if (!partial_.empty()) {
    if (partial_need_ == 0) {
      // The control line is still incomplete: take bytes up to its newline.
      const void* nl = std::memchr(data, '\n', size);
      if (nl == nullptr) {
        if (partial_.size() + size > limits_.max_control_line) return {ParseError::kControlLineTooLong, 0};
        partial_.append(data, size);
        return {ParseError::kNone, size};
      }
      pos = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
      partial_.append(data, pos);
      StepResult r = ParseOne(partial_.data(), partial_.size(), limits_, handler);
      if (r.step == Step::kError) {
        Reset();
        return {r.error, 0};
      }
      if (r.step == Step::kDone) {
        partial_.clear();
      } else {
        partial_need_ = r.need;
        partial_.reserve(r.need);
      }
    }
    if (partial_need_ != 0) {
      size_t take = std::min(partial_need_ - partial_.size(), size - pos);
      partial_.append(data + pos, take);
      pos += take;
      if (partial_.size() < partial_need_) return {ParseError::kNone, size};
      StepResult r = ParseOne(partial_.data(), partial_.size(), limits_, handler);
      Reset();
      if (r.step == Step::kError) return {r.error, 0};
    }
    if (!handler.ShouldContinue()) return {ParseError::kNone, pos};
  }
  while (pos < size) {
    StepResult r = ParseOne(data + pos, size - pos, limits_, handler);
    if (r.step == Step::kError) return {r.error, pos};
    if (r.step == Step::kNeedMore) {
      partial_.assign(data + pos, size - pos);
      partial_need_ = r.need;
      if (r.need != 0) partial_.reserve(r.need);
      return {ParseError::kNone, size};
    }
    pos += r.used;
    if (!handler.ShouldContinue()) break;
  }
  return {ParseError::kNone, pos};
}

void ClientParser::ShrinkIfIdle() {
  if (partial_.empty() && partial_.capacity() > 4096) std::string().swap(partial_);
}

}  // namespace tern::proto::nats
