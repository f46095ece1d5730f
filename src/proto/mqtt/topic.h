// MQTT topic names and topic filters (section 4.7) and shared subscriptions
// (4.8.2). These check the form only: the strings have already been checked
// to be UTF-8 without U+0000 when they were read off the wire. Mapping topics
// to core subjects is core's job, not this file's.
#pragma once

#include <optional>
#include <string_view>

namespace tern::proto::mqtt {

// A topic name a PUBLISH (or a Will, or a Response Topic) may carry: at least
// one character (MQTT-4.7.3-1) and no wildcard '+' or '#' anywhere
// (MQTT-3.3.2-2). Empty levels ("a//b", "/a") are fine.
bool IsValidTopicName(std::string_view topic);

// A topic filter a SUBSCRIBE or UNSUBSCRIBE may carry: at least one
// character; '#' only as the whole last level (MQTT-4.7.1-1); '+' only as a
// whole level (MQTT-4.7.1-2). A filter that starts with "$share/" must also be
// a valid shared subscription (see ParseSharedSubscription).
bool IsValidTopicFilter(std::string_view filter);

// True when some character is '+' or '#'.
bool HasWildcard(std::string_view topic);

// "$share/{group}/{filter}", split. The group is at least one character and
// holds no '/', '+' or '#' (MQTT-4.8.2-1, -2); the filter after it is a
// valid non-shared topic filter.
struct SharedSubscription {
  std::string_view group;
  std::string_view filter;
  bool operator==(const SharedSubscription&) const = default;
};

inline constexpr std::string_view kSharePrefix = "$share/";

// Whether `filter` asks for a shared subscription at all (starts with
// "$share/"), valid or not.
inline bool IsSharedSubscription(std::string_view filter) { return filter.starts_with(kSharePrefix); }

// The group and filter of a valid shared subscription; nullopt when `filter`
// is not one (no "$share/" prefix, or a malformed one such as "$share/g" or
// "$share//a").
std::optional<SharedSubscription> ParseSharedSubscription(std::string_view filter);

}  // namespace tern::proto::mqtt
