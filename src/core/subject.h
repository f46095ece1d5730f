// Subject rules, as nats-server applies them: tokens separated by '.', no
// empty tokens, no whitespace; '*' matches one token and '>' one or more
// trailing tokens, each only as a whole token ('>' only last).
#pragma once

#include <string_view>

namespace tern::core {

// Valid for SUB: wildcards allowed.
bool IsValidSubject(std::string_view subject);
// Valid for PUB: no wildcards.
bool IsValidLiteralSubject(std::string_view subject);
// A queue group name: non-empty, no whitespace.
bool IsValidQueueName(std::string_view queue);
// Does the literal `subject` match the (possibly wildcard) `pattern`?
bool SubjectMatches(std::string_view pattern, std::string_view subject);
bool HasWildcard(std::string_view subject);

}  // namespace tern::core
