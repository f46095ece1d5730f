#include "proto/subject.h"

#include <array>
#include <cstdint>

namespace tern::proto {
namespace {

enum ByteClass : uint8_t { kPlain = 0, kSeparator = 1, kBlank = 2 };

// One table lookup per byte instead of a chain of compares: these checks run
// on every SUB and, in pedantic mode, on every PUB.
constexpr std::array<uint8_t, 256> MakeClassTable() {
  std::array<uint8_t, 256> t{};
  t['.'] = kSeparator;
  for (unsigned char c : {' ', '\t', '\n', '\r', '\f'}) t[c] = kBlank;
  return t;
}
constexpr std::array<uint8_t, 256> kByteClass = MakeClassTable();

inline bool IsWildcardByte(char c) { return c == '*' || c == '>'; }

}  // namespace

bool IsValidSubject(std::string_view subject) {
  const char* p = subject.data();
  const size_t n = subject.size();
  size_t token_start = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t cls = kByteClass[static_cast<unsigned char>(p[i])];
    if (cls == kPlain) continue;
    if (cls == kBlank) return false;
    if (i == token_start) return false;  // empty token: ".a", "a..b"
    // A full wildcard followed by anything: "a.>.b".
    if (i - token_start == 1 && p[token_start] == '>') return false;
    token_start = i + 1;
  }
  return token_start < n;  // also rejects "" and a trailing '.'
}

bool IsValidLiteralSubject(std::string_view subject) {
  const char* p = subject.data();
  const size_t n = subject.size();
  size_t token_start = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != '.') continue;
    if (i == token_start) return false;  // empty token
    if (i - token_start == 1 && IsWildcardByte(p[token_start])) return false;
    token_start = i + 1;
  }
  if (token_start >= n) return false;  // "" or a trailing '.'
  return !(n - token_start == 1 && IsWildcardByte(p[token_start]));
}

bool IsValidQueueName(std::string_view queue) {
  if (queue.empty()) return false;
  for (char c : queue) {
    if (kByteClass[static_cast<unsigned char>(c)] == kBlank) return false;
  }
  return true;
}

bool HasWildcard(std::string_view subject) {
  const size_t n = subject.size();
  for (size_t i = 0; i < n; ++i) {
    if (!IsWildcardByte(subject[i])) continue;
    if ((i == 0 || subject[i - 1] == '.') && (i + 1 == n || subject[i + 1] == '.')) return true;
  }
  return false;
}

bool SubjectMatches(std::string_view pattern, std::string_view subject) {
  if (subject.empty()) return false;
  SubjectTokens pt(pattern);
  SubjectTokens st(subject);
  while (!pt.done()) {
    std::string_view p = pt.Next();
    // '>' is a wildcard only as the last token; elsewhere it is compared as
    // text, which can only match an equally odd literal.
    if (pt.done() && IsFullWildcard(p)) return !st.done();
    if (st.done()) return false;
    std::string_view s = st.Next();
    if (IsPartialWildcard(p)) continue;
    if (p != s) return false;
  }
  return st.done();
}

}  // namespace tern::proto
