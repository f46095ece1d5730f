// The client's view of what a NATS server sends, cut down to what a load
// generator needs: find each MSG/HMSG control line, skip its payload by size
// without looking at it, notice PING, PONG and -ERR. Everything else (INFO,
// +OK) is stepped over.
//
// Counting subscribers spend nearly all their time here, so the scanner only
// memchr()s for the end of each control line and jumps over payloads; a
// payload split across reads costs nothing extra (the rest is skipped on the
// next Feed). A control line split across reads is left unconsumed: the caller
// keeps those bytes at the front of its buffer and appends the next read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tern::loadgen {

// One delivered message. Views point into the caller's buffer and are valid
// only during the handler call; the payload itself is not inspected.
struct MsgFrame {
  std::string_view args;  // control line after "MSG "/"HMSG ", without CRLF
  size_t payload = 0;     // bytes after the control line, CRLF excluded
  bool headers = false;   // HMSG: args end in "<header bytes> <total bytes>"
};

// Splits MSG/HMSG arguments: subject, sid, optional reply, then one (MSG) or
// two (HMSG) sizes. Only the responder and requester need this.
struct MsgArgs {
  std::string_view subject;
  std::string_view sid;
  std::string_view reply;
};
bool SplitMsgArgs(std::string_view args, bool has_headers, MsgArgs* out);

// Parses a non-negative decimal; false on anything else or overflow.
bool ParseSize(std::string_view text, size_t* out);

class MsgScanner {
 public:
  // Handler: void OnMsg(const MsgFrame&); void OnPing(); void OnPong();
  // void OnErr(std::string_view line). Returns bytes consumed; the rest
  // (less than one control line) must be presented again with more data.
  // After a malformed line failed() is true and nothing more is consumed.
  template <class Handler>
  size_t Feed(const char* data, size_t len, Handler& handler);

  bool failed() const { return failed_; }
  // Bytes of payload (plus its CRLF) still to skip from the next Feed.
  size_t pending_skip() const { return skip_; }

 private:
  template <class Handler>
  bool OnLine(std::string_view line, Handler& handler);

  size_t skip_ = 0;
  bool failed_ = false;
};

template <class Handler>
size_t MsgScanner::Feed(const char* data, size_t len, Handler& handler) {
  size_t pos = 0;
  while (pos < len && !failed_) {
    if (skip_ > 0) {
      size_t n = len - pos < skip_ ? len - pos : skip_;
      pos += n;
      skip_ -= n;
      continue;
    }
    const void* nl = std::memchr(data + pos, '\n', len - pos);
    if (nl == nullptr) break;  // partial control line: caller keeps it
    size_t end = static_cast<const char*>(nl) - data;
    size_t line_end = (end > pos && data[end - 1] == '\r') ? end - 1 : end;
    std::string_view line(data + pos, line_end - pos);
    pos = end + 1;
    if (!OnLine(line, handler)) failed_ = true;
  }
  return pos;
}

template <class Handler>
bool MsgScanner::OnLine(std::string_view line, Handler& handler) {
  if (line.empty()) return true;
  bool hmsg = false;
  switch (line[0]) {
    case 'M':
    case 'm':
      if (line.size() < 4 || line[3] != ' ') return false;
      line.remove_prefix(4);
      break;
    case 'H':
    case 'h':
      if (line.size() < 5 || line[4] != ' ') return false;
      line.remove_prefix(5);
      hmsg = true;
      break;
    case 'P':
    case 'p':
      if (line.size() >= 4 && (line[1] == 'I' || line[1] == 'i')) {
        handler.OnPing();
      } else if (line.size() >= 4) {
        handler.OnPong();
      }
      return true;
    case '-':
      handler.OnErr(line);
      return true;
    default:  // INFO, +OK
      return true;
  }
  // The last token is the payload size (for HMSG the total of headers+body).
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  size_t sp = line.find_last_of(" \t");
  if (sp == std::string_view::npos) return false;
  size_t size = 0;
  if (!ParseSize(line.substr(sp + 1), &size)) return false;
  skip_ = size + 2;
  handler.OnMsg(MsgFrame{line, size, hmsg});
  return true;
}

}  // namespace tern::loadgen
