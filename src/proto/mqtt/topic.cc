#include "proto/mqtt/topic.h"

#include <cstring>

namespace tern::proto::mqtt {
namespace {

// The filter rules without the shared-subscription form.
bool IsValidPlainFilter(std::string_view filter) {
  if (filter.empty()) return false;
  const size_t n = filter.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = filter[i];
    if (c != '+' && c != '#') continue;
    const bool level_start = i == 0 || filter[i - 1] == '/';
    if (!level_start) return false;
    if (c == '#') return i + 1 == n;
    if (i + 1 < n && filter[i + 1] != '/') return false;
  }
  return true;
}

}  // namespace

// Every PUBLISH topic goes through here: two memchr() calls beat
// find_first_of(), which tries each character against the set in turn.
bool HasWildcard(std::string_view topic) {
  return !topic.empty() && (std::memchr(topic.data(), '+', topic.size()) != nullptr ||
                            std::memchr(topic.data(), '#', topic.size()) != nullptr);
}

bool IsValidTopicName(std::string_view topic) { return !topic.empty() && !HasWildcard(topic); }

bool IsValidTopicFilter(std::string_view filter) {
  if (IsSharedSubscription(filter)) return ParseSharedSubscription(filter).has_value();
  return IsValidPlainFilter(filter);
}

std::optional<SharedSubscription> ParseSharedSubscription(std::string_view filter) {
  if (!IsSharedSubscription(filter)) return std::nullopt;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  SharedSubscription shared{rest.substr(0, slash), rest.substr(slash + 1)};
  if (HasWildcard(shared.group) || !IsValidPlainFilter(shared.filter)) return std::nullopt;
  return shared;
}

}  // namespace tern::proto::mqtt
