#include "report.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <cstdio>

namespace tern::loadgen {

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

Report::Report(std::string_view scenario) { Str("scenario", scenario); }

void Report::Num(std::string_view key, double value) {
  // JSON has no NaN/Inf; a rate over a zero interval becomes null.
  fields_.emplace_back(std::string(key), std::isfinite(value) ? fmt::format("{:.6g}", value) : "null");
}

void Report::Int(std::string_view key, int64_t value) {
  fields_.emplace_back(std::string(key), fmt::format("{}", value));
}

void Report::Str(std::string_view key, std::string_view value) {
  fields_.emplace_back(std::string(key), JsonEscape(value));
}

void Report::Raw(std::string_view key, std::string_view json) {
  fields_.emplace_back(std::string(key), std::string(json));
}

void Report::Fail(std::string_view error) {
  if (error_.empty()) error_ = std::string(error.empty() ? "failed" : error);
}

std::string Report::Json() const {
  std::string out = "{";
  out += fmt::format("\"ok\":{}", ok() ? "true" : "false");
  if (!ok()) out += ",\"error\":" + JsonEscape(error_);
  for (const auto& [key, value] : fields_) out += fmt::format(",{}:{}", JsonEscape(key), value);
  out += "}";
  return out;
}

void Report::Print(std::string_view human) const {
  std::string text = Json();
  text += "\n# ";
  text += ok() ? std::string(human) : "FAILED: " + error_ + (human.empty() ? "" : " (" + std::string(human) + ")");
  text += "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

namespace {
double CpuClock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

double ThreadCpuSeconds() { return CpuClock(CLOCK_THREAD_CPUTIME_ID); }
double ProcessCpuSeconds() { return CpuClock(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace tern::loadgen
