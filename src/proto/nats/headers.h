// The NATS header block ("NATS/1.0\r\nName: value\r\n...\r\n\r\n") walked
// and written without allocating, for sessions that carry headers into
// another protocol's fields (MQTT 5 user properties). Names and values are
// views into the block.
#pragma once

#include <string>
#include <string_view>

namespace tern::proto::nats {

// Calls fn(name, value) for every header line of `block`, in order; the
// status line ("NATS/1.0 503") is skipped. Lines without a ':' are skipped.
template <typename Fn>
void ForEachHeader(std::string_view block, Fn&& fn) {
  size_t eol = block.find("\r\n");
  if (eol == std::string_view::npos) return;
  block.remove_prefix(eol + 2);
  while ((eol = block.find("\r\n")) != std::string_view::npos && eol != 0) {
    std::string_view line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    fn(line.substr(0, colon), value);
  }
}

// Whether `name: value` can be one line of a block: a non-empty name
// without ':', blanks or line breaks, and a value without line breaks.
bool IsValidHeader(std::string_view name, std::string_view value);

// Appends one header to a block being built in `out`, opening the block
// ("NATS/1.0\r\n") when `out` is empty. CloseHeaders() ends it.
void AppendHeader(std::string& out, std::string_view name, std::string_view value);
inline void CloseHeaders(std::string& out) {
  if (!out.empty()) out.append("\r\n");
}

}  // namespace tern::proto::nats
