#include "proto/route/encoder.h"

#include <cstring>

namespace tern::proto::route {
namespace {

constexpr size_t kMaxDecimal = 20;

inline char* Put(char* w, std::string_view s) {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

inline char* PutDecimal(char* w, uint64_t value) {
  char num[kMaxDecimal];
  char* p = num + kMaxDecimal;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return Put(w, std::string_view(p, static_cast<size_t>(num + kMaxDecimal - p)));
}

inline char* Grow(std::string& out, size_t n) {
  const size_t old = out.size();
  out.resize(old + n);
  return out.data() + old;
}

// Trims the bytes Grow() reserved but the writer did not use.
inline void Finish(std::string& out, const char* end) { out.resize(static_cast<size_t>(end - out.data())); }

}  // namespace

void AppendSubscribe(std::string& out, std::string_view subject, std::string_view queue, uint32_t weight) {
  char* w = Grow(out, 4 + subject.size() + 1 + queue.size() + 1 + kMaxDecimal + 2);
  w = Put(w, "RS+ ");
  w = Put(w, subject);
  if (!queue.empty()) {
    *w++ = ' ';
    w = Put(w, queue);
    *w++ = ' ';
    w = PutDecimal(w, weight == 0 ? 1 : weight);
  }
  Finish(out, Put(w, kCrLf));
}

void AppendUnsubscribe(std::string& out, std::string_view subject, std::string_view queue) {
  char* w = Grow(out, 4 + subject.size() + 1 + queue.size() + 2);
  w = Put(w, "RS- ");
  w = Put(w, subject);
  if (!queue.empty()) {
    *w++ = ' ';
    w = Put(w, queue);
  }
  Finish(out, Put(w, kCrLf));
}

void AppendSyncDone(std::string& out, uint64_t count) {
  char* w = Grow(out, 6 + kMaxDecimal + 2);
  w = Put(w, "RSYNC ");
  Finish(out, Put(PutDecimal(w, count), kCrLf));
}

void AppendBarrier(std::string& out, uint64_t token) {
  char* w = Grow(out, 8 + kMaxDecimal + 2);
  w = Put(w, "BARRIER ");
  Finish(out, Put(PutDecimal(w, token), kCrLf));
}

void AppendBarrierAck(std::string& out, std::string_view token) {
  out.append("BARRIER_ACK ").append(token).append(kCrLf);
}

void AppendError(std::string& out, std::string_view text) { out.append("-ERR '").append(text).append("'\r\n"); }

size_t MessageSizeBound(std::string_view subject, std::string_view reply, std::span<const std::string_view> queues,
                        size_t body) {
  size_t n = 6 + subject.size() + 1 + reply.size() + 1 + 2 * (kMaxDecimal + 1) + 2 + body + 2;
  if (!queues.empty()) {
    n += 2;
    for (std::string_view q : queues) n += q.size() + 1;
  }
  return n;
}

void AppendMessageHeader(std::string& out, std::string_view subject, std::string_view reply,
                         std::span<const std::string_view> queues, size_t headers_size, size_t payload_size) {
  char* w = Grow(out, MessageSizeBound(subject, reply, queues, 0));
  w = Put(w, headers_size > 0 ? std::string_view("HRMSG ") : std::string_view("RMSG "));
  w = Put(w, subject);
  *w++ = ' ';
  if (!reply.empty()) {
    w = Put(w, reply);
    *w++ = ' ';
  }
  if (!queues.empty()) {
    w = Put(w, "| ");
    for (std::string_view q : queues) {
      w = Put(w, q);
      *w++ = ' ';
    }
  }
  if (headers_size > 0) {
    w = PutDecimal(w, headers_size);
    *w++ = ' ';
  }
  w = PutDecimal(w, headers_size + payload_size);
  Finish(out, Put(w, kCrLf));
}

void AppendMessage(std::string& out, std::string_view subject, std::string_view reply,
                   std::span<const std::string_view> queues, std::string_view headers, std::string_view payload) {
  AppendMessageHeader(out, subject, reply, queues, headers.size(), payload.size());
  out.append(headers).append(payload).append(kCrLf);
}

}  // namespace tern::proto::route
