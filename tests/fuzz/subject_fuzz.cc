// libFuzzer target for subject validation and matching (src/proto/subject.h).
// The input is "<pattern>\0<subject>" (or one string used as both); it checks
// invariants the functions must keep with each other rather than fixed answers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/subject.h"

namespace {

using namespace tern::proto;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool HasBlank(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') return true;
  }
  return false;
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  for (SubjectTokens t(s); !t.done();) out.push_back(t.Next());
  return out;
}

std::string Join(const std::vector<std::string_view>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += '.';
    out += tokens[i];
  }
  return out;
}

void CheckOne(std::string_view s) {
  const bool valid = IsValidSubject(s);
  const bool literal = IsValidLiteralSubject(s);
  const bool wild = HasWildcard(s);
  if (literal) Check(!wild, "literal subject has a wildcard");
  if (valid && !wild) Check(literal, "valid subject without wildcards is not literal");
  if (valid) Check(!HasBlank(s), "valid subject has whitespace");
  if (literal && !HasBlank(s)) Check(valid, "literal subject without blanks is not valid");
  if (valid && wild) Check(!literal, "wildcard subject is literal");
  if (!literal) return;

  // A literal subject matches itself, '>' and, with one token, '*'.
  Check(SubjectMatches(s, s), "subject does not match itself");
  Check(SubjectMatches(">", s), "'>' does not match a literal subject");
  const std::vector<std::string_view> tokens = Split(s);
  Check(SubjectMatches("*", s) == (tokens.size() == 1), "'*' vs token count");
  Check(Join(tokens) == s, "tokens do not join back");
  // Replacing any token with '*' still matches; a '>' tail matches when it
  // stands for at least one token.
  for (size_t i = 0; i < tokens.size() && i < 16; ++i) {
    std::vector<std::string_view> p = tokens;
    p[i] = "*";
    const std::string star = Join(p);
    Check(IsValidSubject(star) || HasBlank(s), "star pattern invalid");
    Check(SubjectMatches(star, s), "star pattern does not match");
    p.resize(i + 1);
    p[i] = ">";
    const std::string tail = Join(p);
    Check(SubjectMatches(tail, s), "'>' tail does not match");
    // One token more than the subject never matches a '>' tail.
    std::vector<std::string_view> longer = tokens;
    longer.push_back(">");
    Check(!SubjectMatches(Join(longer), s), "'>' matched zero tokens");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string_view pattern = in.substr(0, nul);
  const std::string_view subject = nul == std::string_view::npos ? in : in.substr(nul + 1);
  CheckOne(pattern);
  CheckOne(subject);
  const bool m = SubjectMatches(pattern, subject);
  if (IsValidLiteralSubject(pattern) && IsValidLiteralSubject(subject)) {
    Check(m == (pattern == subject), "literal patterns match only themselves");
  }
  if (m && IsValidSubject(pattern)) {
    Check(!subject.empty(), "matched an empty subject");
    // Wildcards never match fewer tokens than the pattern's literal part.
    const size_t pt = Split(pattern).size();
    const size_t st = Split(subject).size();
    const bool tail = pattern == ">" || (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".>");
    Check(tail ? st >= pt : st == pt, "token counts disagree with a match");
  }
  return 0;
}
