// Text <-> field conversion for each Kind, shared by every layer, so "yes"
// or "64KB" means the same in a file, a variable and a flag.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/config/schema.h"
#include "server/options.h"

namespace tern::server::config {

// Converts `text` into the field `spec` describes. Lists: a comma-separated
// list (struct lists: their compact form) that replaces the field, or is
// added to it when `append`. On failure *problem says why without naming
// the option: the caller knows how the user spelled it.
bool ParseValue(const Spec& spec, std::string_view text, bool append, void* field, std::string* problem);
// A string list given item by item (a YAML sequence, a nats array).
bool ParseItems(const Spec& spec, const std::vector<std::string>& items, void* field, std::string* problem);

// The value as a user would write it; "" for an empty string or list.
std::string FormatValue(const Spec& spec, const void* field);
// FormatValue, or for an empty string the meaning its default note gives
// ("the server id"), so a reload log never shows an empty "before".
std::string DisplayValue(const Spec& spec, const void* field);
void CopyValue(const Spec& spec, const void* from_root, void* to_root);

// true/false, yes/no, on/off, 1/0, in any case.
bool ParseBool(std::string_view text, bool* out);

std::string NotADuration(std::string_view text);
std::string NotASize(std::string_view text);
std::string JoinChoices(std::span<const std::string_view> choices, std::string_view sep);

// Why `rule` cannot be held, or "".
std::string CheckLingerRule(const LingerRule& rule);
// Why a permission entry is not a subject pattern (publish) or a pattern
// with an optional queue group (subscribe), or "".
std::string CheckPublishPattern(std::string_view entry);
std::string CheckSubscribePattern(std::string_view entry);
// Users for the reload log: names (NKeys shortened) and a digest of each
// entry, so a changed password shows as a change without showing it.
std::string FormatUsers(const std::vector<UserOptions>& users);
// Why `origin` is not scheme://host[:port], or "".
std::string CheckOrigin(std::string_view origin);
// host:port, optionally with a scheme (a route URL, cluster.listen).
std::string CheckHostPort(std::string_view text);

}  // namespace tern::server::config
