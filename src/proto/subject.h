// Subject rules, as nats-server applies them: tokens separated by '.', no
// empty tokens, no whitespace; '*' matches one token and '>' one or more
// trailing tokens, each only as a whole token ('>' only last).
//
// "Whitespace" is exactly ' ', '\t', '\n', '\r', '\f' (current nats-server's
// set; a vertical tab or a NUL is an ordinary byte). nats-server v2.9.10 had
// no whitespace check at all; on the wire that only shows as "\f" inside a
// SUB subject, which it accepted and tern rejects. A '*' or '>' inside a longer
// token ("foo*", "a>b") is an ordinary character, not a wildcard.
#pragma once

#include <string_view>

namespace tern::proto {

// Valid for SUB: wildcards allowed.
bool IsValidSubject(std::string_view subject);
// Valid for PUB: no wildcards. Like nats-server's IsValidLiteralSubject this
// checks only for empty and wildcard tokens, not for whitespace: a PUB subject
// comes out of the parser already split on blanks.
bool IsValidLiteralSubject(std::string_view subject);
// A queue group name: non-empty, no whitespace.
bool IsValidQueueName(std::string_view queue);
// Does the literal `subject` match the (possibly wildcard) `pattern`?
bool SubjectMatches(std::string_view pattern, std::string_view subject);
// True when some whole token is '*' or '>'. Does not check validity.
bool HasWildcard(std::string_view subject);

// Walks the tokens of a subject without allocating:
//   for (SubjectTokens t(subj); !t.done();) { std::string_view tok = t.Next(); }
// "a..b" yields "a", "", "b"; "" yields one empty token, as strings.Split does.
class SubjectTokens {
 public:
  explicit SubjectTokens(std::string_view subject) : rest_(subject) {}
  bool done() const { return done_; }
  std::string_view Next() {
    size_t dot = rest_.find('.');
    std::string_view tok = rest_.substr(0, dot);
    if (dot == std::string_view::npos) {
      done_ = true;
      rest_ = {};
    } else {
      rest_.remove_prefix(dot + 1);
    }
    return tok;
  }
  // Everything after the token last returned by Next().
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

inline bool IsPartialWildcard(std::string_view token) { return token.size() == 1 && token[0] == '*'; }
inline bool IsFullWildcard(std::string_view token) { return token.size() == 1 && token[0] == '>'; }

}  // namespace tern::proto
