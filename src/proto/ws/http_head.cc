#include "proto/ws/http_head.h"

#include <cstring>

namespace tern::proto::ws {

HeadReader::Status HeadReader::Feed(std::string_view data, size_t* consumed) {
  size_t pos = 0;
  while (pos < data.size()) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    const size_t take =
        nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - data.data()) - pos + 1 : data.size() - pos;
    if (buf_.size() + take > max_size_) {
      // Counted as taken up to the limit, so the count does not depend on
      // where reads cut the line that crossed it.
      *consumed = pos + (max_size_ - buf_.size());
      return Status::kTooLarge;
    }
    buf_.append(data.data() + pos, take);
    pos += take;
    if (nl == nullptr) break;
    const size_t line_len = buf_.size() - 1 - line_start_;
    if (line_len == 0 || (line_len == 1 && buf_[line_start_] == '\r')) {
      if (line_start_ == 0) {  // an empty line before the start line
        buf_.clear();
        continue;
      }
      *consumed = pos;
      return Status::kDone;
    }
    line_start_ = buf_.size();
  }
  *consumed = pos;
  return Status::kNeedMore;
}

std::string_view ParsedHead::Get(std::string_view name, size_t* count) const {
  std::string_view value;
  size_t n = 0;
  for (const HeaderField& f : fields) {
    if (EqualsIgnoreCase(f.name, name)) {
      if (n++ == 0) value = f.value;
    }
  }
  if (count != nullptr) *count = n;
  return value;
}

std::string ParsedHead::Join(std::string_view name) const {
  std::string out;
  for (const HeaderField& f : fields) {
    if (!EqualsIgnoreCase(f.name, name)) continue;
    if (!out.empty()) out += ", ";
    out += f.value;
  }
  return out;
}

bool ParseHead(std::string_view head, ParsedHead* out) {
  out->fields.clear();
  bool first = true;
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      out->start_line = line;
      first = false;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    // A folded continuation line starts with a blank; RFC 9112 5.2 lets a
    // server refuse it, and accepting it would mean rewriting values.
    if (IsBlank(line.front())) return false;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return false;  // also refuses blanks before the colon
    const std::string_view value = TrimBlanks(line.substr(colon + 1));
    for (char c : value) {
      // A stray CR or NUL in a value is how request smuggling starts (RFC 9110 5.5).
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return false;
    }
    out->fields.push_back({name, value});
  }
  return !first;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

}  // namespace tern::proto::ws
