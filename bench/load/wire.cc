#include "wire.h"

#include <array>

namespace tern::loadgen {

bool ParseSize(std::string_view text, size_t* out) {
  if (text.empty() || text.size() > 19) return false;
  size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  *out = value;
  return true;
}

bool SplitMsgArgs(std::string_view args, bool has_headers, MsgArgs* out) {
  std::array<std::string_view, 5> tokens;
  size_t count = 0;
  size_t pos = 0;
  while (pos < args.size()) {
    while (pos < args.size() && (args[pos] == ' ' || args[pos] == '\t')) ++pos;
    if (pos == args.size()) break;
    size_t end = pos;
    while (end < args.size() && args[end] != ' ' && args[end] != '\t') ++end;
    if (count == tokens.size()) return false;
    tokens[count++] = args.substr(pos, end - pos);
    pos = end;
  }
  // MSG: subject sid [reply] size; HMSG: subject sid [reply] hdr_size total_size.
  size_t sizes = has_headers ? 2 : 1;
  if (count == 2 + sizes) {
    *out = MsgArgs{tokens[0], tokens[1], {}};
    return true;
  }
  if (count == 3 + sizes) {
    *out = MsgArgs{tokens[0], tokens[1], tokens[2]};
    return true;
  }
  return false;
}

}  // namespace tern::loadgen
