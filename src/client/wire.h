// What the client writes: PUB, HPUB, SUB, UNSUB, CONNECT; and reading INFO.
// Appenders write straight into the outgoing buffer so a publish costs one
// append under the connection lock and no temporary strings. PUB, the one
// written per message, is inline and grows the buffer once.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "out_buffer.h"
#include "proto/nats/encoder.h"
#include "tern/options.h"
#include "url.h"

namespace tern::internal {

inline size_t DecimalDigits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Wire size of a PUB/HPUB for the reconnect-buffer bound and stats.
inline size_t PubWireSize(std::string_view subject, std::string_view reply, size_t headers, size_t data) {
  size_t n = 4 + subject.size() + 1 + (reply.empty() ? 0 : reply.size() + 1) + DecimalDigits(headers + data) + 2 +
             headers + data + 2;
  if (headers > 0) n += 1 + DecimalDigits(headers) + 1;
  return n;
}

// "PUB subject [reply] size\r\ndata\r\n", written once into the buffer.
inline void AppendPub(OutBuffer& out, std::string_view subject, std::string_view reply, std::string_view data) {
  const size_t digits = DecimalDigits(data.size());
  const size_t line = 4 + subject.size() + 1 + (reply.empty() ? 0 : reply.size() + 1) + digits + 2;
  char* w = out.Grow(line + data.size() + 2);
  std::memcpy(w, "PUB ", 4);
  w += 4;
  std::memcpy(w, subject.data(), subject.size());
  w += subject.size();
  *w++ = ' ';
  if (!reply.empty()) {
    std::memcpy(w, reply.data(), reply.size());
    w += reply.size();
    *w++ = ' ';
  }
  w += digits;
  proto::nats::FormatDecimal(data.size(), w);
  *w++ = '\r';
  *w++ = '\n';
  if (!data.empty()) std::memcpy(w, data.data(), data.size());
  w += data.size();
  *w++ = '\r';
  *w = '\n';
}

// Copies subject to dst while checking it as ValidSubject(subject, false)
// does: the publish fast path writes and validates in one pass. dst has room
// for subject.size() bytes; what it holds after a false is unspecified.
inline bool CopyPublishSubject(char* dst, std::string_view subject) {
  const size_t n = subject.size();
  const char* p = subject.data();
  size_t start = 0;  // of the current token
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    dst[i] = c;
    if (c > '.') continue;  // letters, digits, '>' and most punctuation
    if (c == '.') {
      if (i == start || (i == start + 1 && (p[start] == '*' || p[start] == '>'))) return false;
      start = i + 1;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      return false;
    }
  }
  return n != start && !(n == start + 1 && (p[start] == '*' || p[start] == '>'));
}

// headers is the encoded block (Headers::Encode()).
void AppendHpub(OutBuffer& out, std::string_view subject, std::string_view reply, std::string_view headers,
                std::string_view data);
void AppendSub(OutBuffer& out, std::string_view subject, std::string_view queue, uint64_t sid);
// max == 0: unsubscribe now; otherwise after max messages in total.
void AppendUnsub(OutBuffer& out, uint64_t sid, uint64_t max);
// CONNECT {...}\r\n with headers and no_responders on; credentials from the
// URL win over those in options. tls: the connection is TLS (tls_required).
// With options.nkey_seed, `nonce` (from INFO) is signed; false when the
// seed is not a user seed.
bool AppendConnect(std::string& out, const Options& options, const ServerUrl& url, bool tls = false,
                   std::string_view nonce = {});

bool ParseInfo(std::string_view json, ServerInfo* out);

// Subjects: non-empty, no whitespace, no empty tokens; wildcards only when allowed.
bool ValidSubject(std::string_view subject, bool allow_wildcards);
bool ValidQueue(std::string_view queue);
// The error for a publish whose subject, reply or size is wrong; ok if none is.
Status CheckPublish(std::string_view subject, std::string_view reply, size_t size, int64_t max_payload);

// 22 random base-62 characters, like the NATS NUID.
std::string NewNuid();

}  // namespace tern::internal
