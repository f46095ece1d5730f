// The compact linger form for flags and variables. In a file, linger is an
// ordinary list of structs (schema.cc) and needs nothing of its own.
#include <fmt/format.h>

#include "server/config/config.h"
#include "server/config/values.h"

namespace tern::server {

bool ParseLingerRules(std::string_view text, std::vector<LingerRule>* out, std::vector<std::string>* problems) {
  size_t before = problems->size();
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == text.npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      problems->push_back("empty rule (rules look like room.>=3s/64MiB)");
      continue;
    }
    LingerRule rule;
    // Durations and sizes never contain '=', so the last '=' ends the subject.
    size_t eq = item.rfind('=');
    rule.subject = std::string(item.substr(0, eq));
    if (eq != item.npos) {
      std::string_view rest = item.substr(eq + 1);
      size_t slash = rest.find('/');
      std::string_view hold = rest.substr(0, slash);
      if (!ParseDuration(hold, &rule.hold))
        problems->push_back(fmt::format("{}: {}", item, config::NotADuration(hold)));
      if (slash != rest.npos && !ParseSize(rest.substr(slash + 1), &rule.max_bytes)) {
        problems->push_back(fmt::format("{}: {}", item, config::NotASize(rest.substr(slash + 1))));
      }
    }
    if (std::string problem = config::CheckLingerRule(rule); !problem.empty()) problems->push_back(problem);
    out->push_back(std::move(rule));
  }
  return problems->size() == before;
}

std::string FormatLingerRules(const std::vector<LingerRule>& rules) {
  std::string out;
  for (const auto& r : rules) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}/{}", r.subject, FormatDuration(r.hold), FormatSize(r.max_bytes));
  }
  return out;
}

}  // namespace tern::server
