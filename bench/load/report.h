// One result = one JSON object on a single stdout line (what compare.py
// parses) followed by one line for people, prefixed with '#'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::loadgen {

class Report {
 public:
  explicit Report(std::string_view scenario);

  void Num(std::string_view key, double value);
  void Int(std::string_view key, int64_t value);
  void Str(std::string_view key, std::string_view value);
  // `json` must already be valid JSON (an array, say).
  void Raw(std::string_view key, std::string_view json);
  // Marks the result failed; the first error wins.
  void Fail(std::string_view error);
  bool ok() const { return error_.empty(); }

  std::string Json() const;
  // Prints the JSON line and "# <human>" to stdout and flushes.
  void Print(std::string_view human) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key, JSON-encoded value
  std::string error_;
};

// CPU seconds (user + system) used so far by the calling thread / the process,
// to tell whether the load generator itself is the bottleneck.
double ThreadCpuSeconds();
double ProcessCpuSeconds();

}  // namespace tern::loadgen
