#include "base/units.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

namespace tern::units {

namespace {

bool ParseDigits(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr std::pair<std::string_view, int64_t> kDurationUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

}  // namespace

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  while (!text.empty()) {
    size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) ++n;
    std::string_view number = text.substr(0, n);
    text.remove_prefix(n);
    int64_t unit = 0;
    for (auto [name, ns] : kDurationUnits) {
      // "m" must not swallow the "m" of "ms".
      if (text.starts_with(name) && !(name == "m" && text.starts_with("ms"))) {
        unit = ns;
        text.remove_prefix(name.size());
        break;
      }
    }
    size_t dot = number.find('.');
    std::string_view frac_digits = dot == number.npos ? std::string_view() : number.substr(dot + 1);
    if (unit == 0 || number.empty() || number == "." || frac_digits.size() > 9) return std::nullopt;
    if (dot != number.npos && frac_digits.empty()) return std::nullopt;
    uint64_t whole = 0, frac = 0;
    if (dot != 0 && !ParseDigits(number.substr(0, dot), &whole)) return std::nullopt;
    if (!frac_digits.empty() && !ParseDigits(frac_digits, &frac)) return std::nullopt;
    uint64_t scale = 1;
    for (size_t i = 0; i < frac_digits.size(); ++i) scale *= 10;
    // A fraction finer than a nanosecond is not a duration anyone means.
    if ((frac * static_cast<uint64_t>(unit)) % scale != 0) return std::nullopt;
    if (whole > static_cast<uint64_t>(kMax / unit)) return std::nullopt;
    int64_t base = static_cast<int64_t>(whole) * unit;
    int64_t fraction = static_cast<int64_t>(frac * static_cast<uint64_t>(unit) / scale);
    if (fraction > kMax - base || base + fraction > kMax - total) return std::nullopt;
    total += base + fraction;
  }
  return std::chrono::nanoseconds(total);
}

std::optional<std::chrono::milliseconds> ToWholeMillis(std::chrono::nanoseconds d) {
  if (d.count() % 1'000'000 != 0) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  for (auto [name, unit] : {std::pair<const char*, int64_t>{"h", 3'600'000'000'000},
                            {"m", 60'000'000'000},
                            {"s", 1'000'000'000},
                            {"ms", 1'000'000},
                            {"us", 1'000}}) {
    if (ns % unit == 0) return std::to_string(ns / unit) + name;
  }
  return std::to_string(ns) + "ns";
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) ++n;
  uint64_t value = 0;
  if (!ParseDigits(text.substr(0, n), &value)) return std::nullopt;
  std::string unit;
  for (char c : text.substr(n)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},         {"b", 1},         {"k", 1000ull},          {"kb", 1ull << 10}, {"ki", 1ull << 10},
      {"kib", 1ull << 10}, {"m", 1000'000ull}, {"mb", 1ull << 20},    {"mi", 1ull << 20}, {"mib", 1ull << 20},
      {"g", 1000'000'000ull}, {"gb", 1ull << 30}, {"gi", 1ull << 30}, {"gib", 1ull << 30},
      {"t", 1000'000'000'000ull}, {"tb", 1ull << 40}, {"ti", 1ull << 40}, {"tib", 1ull << 40}};
  for (auto [name, multiplier] : kUnits) {
    if (unit != name) continue;
    if (value > std::numeric_limits<uint64_t>::max() / multiplier) return std::nullopt;
    return value * multiplier;
  }
  return std::nullopt;
}

std::string FormatSize(uint64_t bytes) {
  for (auto [name, unit] : {std::pair<const char*, uint64_t>{"TiB", 1ull << 40},
                            {"GiB", 1ull << 30},
                            {"MiB", 1ull << 20},
                            {"KiB", 1ull << 10}}) {
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + name;
  }
  return std::to_string(bytes);
}

}  // namespace tern::units
