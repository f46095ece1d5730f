#include "monitor/format.h"

#include <fmt/format.h>

#include <ctime>

namespace tern::monitor {
namespace {

// Go prints fractions without trailing zeros ("1.5s", not "1.500000000s").
std::string Fraction(uint64_t whole, uint64_t frac, int digits) {
  std::string out = std::to_string(whole);
  if (frac == 0) return out;
  std::string f = fmt::format("{:0{}}", frac, digits);
  while (!f.empty() && f.back() == '0') f.pop_back();
  return out + "." + f;
}

}  // namespace

std::string Rfc3339(WallClock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  const int64_t frac = ns % 1'000'000'000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac != 0) {
    std::string f = fmt::format("{:09}", frac);
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "Z";
}

std::string GoDuration(std::chrono::nanoseconds d) {
  int64_t n = d.count();
  std::string sign;
  if (n < 0) {
    sign = "-";
    n = -n;
  }
  const auto u = static_cast<uint64_t>(n);
  if (u == 0) return "0s";
  if (u < 1'000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + Fraction(u / 1'000, u % 1'000, 3) + "µs";
  if (u < 1'000'000'000) return sign + Fraction(u / 1'000'000, u % 1'000'000, 6) + "ms";
  const uint64_t secs = u / 1'000'000'000, frac = u % 1'000'000'000;
  std::string out = sign;
  if (secs >= 3600) out += std::to_string(secs / 3600) + "h";
  if (secs >= 60) out += std::to_string(secs / 60 % 60) + "m";
  return out + Fraction(secs % 60, frac, 9) + "s";
}

std::string Uptime(std::chrono::nanoseconds d) {
  const int64_t secs = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  const int64_t mins = secs / 60, hours = mins / 60, days = hours / 24, years = days / 365;
  if (years > 0) return fmt::format("{}y{}d{}h{}m{}s", years, days % 365, hours % 24, mins % 60, secs % 60);
  if (days > 0) return fmt::format("{}d{}h{}m{}s", days, hours % 24, mins % 60, secs % 60);
  if (hours > 0) return fmt::format("{}h{}m{}s", hours, mins % 60, secs % 60);
  if (mins > 0) return fmt::format("{}m{}s", mins, secs % 60);
  return fmt::format("{}s", secs);
}

}  // namespace tern::monitor
