#include "monitor/query.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace tern::monitor {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::string_view Target::Get(std::string_view key) const {
  auto it = query.find(key);
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

base::Result<bool> Target::Bool(std::string_view key) const {
  std::string_view v = Get(key);
  if (v.empty() || v == "0" || EqualsNoCase(v, "false")) return false;
  if (v == "1" || EqualsNoCase(v, "true")) return true;
  return base::Status(
      fmt::format("Error decoding boolean for '{}': strconv.ParseBool: parsing \"{}\": invalid syntax", key, v));
}

base::Result<uint64_t> Target::Uint(std::string_view key, uint64_t fallback) const {
  std::string_view v = Get(key);
  if (v.empty()) return fallback;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return base::Status(
        fmt::format("Error decoding int for '{}': strconv.Atoi: parsing \"{}\": invalid syntax", key, v));
  }
  return n;
}

Target ParseTarget(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = Decode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1));
    t.query.try_emplace(std::move(key), std::move(value));  // the first one wins, as Go's Query().Get
  }
  return t;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace tern::monitor
