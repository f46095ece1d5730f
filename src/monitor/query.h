// An HTTP request target split into its path and decoded query options
// ("/connz?subs=1&sort=bytes_to"), and the option readers the endpoints
// share, each refusing a bad value with the message nats-server would give.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tern::monitor {

struct Target {
  std::string path;
  std::map<std::string, std::string, std::less<>> query;

  // "" when absent.
  std::string_view Get(std::string_view key) const;
  bool Has(std::string_view key) const { return query.find(key) != query.end(); }
  // nats-server's boolean options: "1", "true" (any case) are true; absent,
  // "", "0", "false" false; anything else is an error.
  base::Result<bool> Bool(std::string_view key) const;
  // A non-negative integer, `fallback` when absent or empty.
  base::Result<uint64_t> Uint(std::string_view key, uint64_t fallback) const;
};

// Percent-decodes the query ('+' is a space); the path is kept as sent.
Target ParseTarget(std::string_view target);

// For HTTP header names and schemes, which are case-insensitive.
bool StartsWithNoCase(std::string_view s, std::string_view prefix);

}  // namespace tern::monitor
