#include "report.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <cstdio>

#include "base/json_quote.h"

namespace tern::loadgen {

Report::Report(std::string_view scenario) { Str("scenario", scenario); }

void Report::Num(std::string_view key, double value) {
  // JSON has no NaN/Inf; a rate over a zero interval becomes null.
  fields_.emplace_back(std::string(key), std::isfinite(value) ? fmt::format("{:.6g}", value) : "null");
}

void Report::Int(std::string_view key, int64_t value) {
  fields_.emplace_back(std::string(key), fmt::format("{}", value));
}

void Report::Str(std::string_view key, std::string_view value) {
  fields_.emplace_back(std::string(key), JsonQuote(value));
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
  if (!ok()) out += ",\"error\":" + JsonQuote(error_);
  for (const auto& [key, value] : fields_) out += fmt::format(",{}:{}", JsonQuote(key), value);
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
