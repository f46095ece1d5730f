#include "proto/nats/encoder.h"

#include <cstring>

namespace tern::proto::nats {
namespace {

constexpr size_t kMaxDecimal = 20;  // digits of UINT64_MAX

inline char* Put(char* w, std::string_view s) {
  // An empty view may have a null data(), which memcpy must not get even
  // for zero bytes (UBSan: the no-responders status has no payload).
  if (!s.empty()) std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

// Writes "<verb><subject> <sid> [reply] " and returns the end; the caller adds
// the sizes. `w` must have room for HeadPrefixSize() bytes.
inline char* PutPrefix(char* w, std::string_view verb, std::string_view subject, std::string_view sid,
                       std::string_view reply) {
  w = Put(w, verb);
  w = Put(w, subject);
  *w++ = ' ';
  w = Put(w, sid);
  *w++ = ' ';
  if (!reply.empty()) {
    w = Put(w, reply);
    *w++ = ' ';
  }
  return w;
}

inline size_t PrefixSize(std::string_view verb, std::string_view subject, std::string_view sid,
                         std::string_view reply) {
  return verb.size() + subject.size() + 1 + sid.size() + 1 + (reply.empty() ? 0 : reply.size() + 1);
}

// Grows `out` by `n` bytes and returns where they start. Resizing once and
// writing in place beats a chain of appends, each with its own capacity check.
inline char* Grow(std::string& out, size_t n) {
  const size_t old = out.size();
  out.resize(old + n);
  return out.data() + old;
}

// Payloads above this are appended rather than written through the resize, so
// a big one is not zero-filled first and then copied.
constexpr size_t kInlinePayload = 2048;

}  // namespace

void AppendMsgHeader(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                     size_t payload_size) {
  char num[kMaxDecimal];
  const char* digits = FormatDecimal(payload_size, num + kMaxDecimal);
  const std::string_view size_text(digits, static_cast<size_t>(num + kMaxDecimal - digits));
  char* w = Grow(out, PrefixSize("MSG ", subject, sid, reply) + size_text.size() + 2);
  w = PutPrefix(w, "MSG ", subject, sid, reply);
  w = Put(w, size_text);
  Put(w, kCrLf);
}

void AppendHmsgHeader(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                      size_t headers_size, size_t payload_size) {
  char hnum[kMaxDecimal];
  char tnum[kMaxDecimal];
  const char* hd = FormatDecimal(headers_size, hnum + kMaxDecimal);
  const char* td = FormatDecimal(headers_size + payload_size, tnum + kMaxDecimal);
  const std::string_view h(hd, static_cast<size_t>(hnum + kMaxDecimal - hd));
  const std::string_view t(td, static_cast<size_t>(tnum + kMaxDecimal - td));
  char* w = Grow(out, PrefixSize("HMSG ", subject, sid, reply) + h.size() + 1 + t.size() + 2);
  w = PutPrefix(w, "HMSG ", subject, sid, reply);
  w = Put(w, h);
  *w++ = ' ';
  w = Put(w, t);
  Put(w, kCrLf);
}

void AppendMsg(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
               std::string_view payload) {
  if (payload.size() > kInlinePayload) {
    AppendMsgHeader(out, subject, sid, reply, payload.size());
    out.append(payload);
    out.append(kCrLf);
    return;
  }
  char num[kMaxDecimal];
  const char* digits = FormatDecimal(payload.size(), num + kMaxDecimal);
  const std::string_view size_text(digits, static_cast<size_t>(num + kMaxDecimal - digits));
  char* w = Grow(out, PrefixSize("MSG ", subject, sid, reply) + size_text.size() + 2 + payload.size() + 2);
  w = PutPrefix(w, "MSG ", subject, sid, reply);
  w = Put(w, size_text);
  w = Put(w, kCrLf);
  w = Put(w, payload);
  Put(w, kCrLf);
}

void AppendHmsg(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                std::string_view headers, std::string_view payload) {
  AppendHmsgHeader(out, subject, sid, reply, headers.size(), payload.size());
  if (headers.size() + payload.size() <= kInlinePayload) {
    char* w = Grow(out, headers.size() + payload.size() + 2);
    w = Put(w, headers);
    w = Put(w, payload);
    Put(w, kCrLf);
    return;
  }
  out.append(headers);
  out.append(payload);
  out.append(kCrLf);
}

void AppendErr(std::string& out, std::string_view text) {
  char* w = Grow(out, 6 + text.size() + 3);
  w = Put(w, "-ERR '");
  w = Put(w, text);
  Put(w, "'\r\n");
}

}  // namespace tern::proto::nats
