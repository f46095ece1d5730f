// The little HTTP/1.1 the opening handshake needs (RFC 9112): collect a
// message head that may arrive in pieces, split it into a start line and
// header fields, and read comma-separated token lists. Internal to proto/ws.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tern::proto::ws {

// Collects the bytes of one head, up to and including the empty line. Lines
// may end in CRLF or a bare LF (RFC 9112 section 2.2 lets a recipient accept
// either); empty lines before the start line are skipped.
class HeadReader {
 public:
  enum class Status { kNeedMore, kDone, kTooLarge };

  explicit HeadReader(size_t max_size) : max_size_(max_size) {}

  // Takes bytes from `data` up to the end of the head and says how many.
  // kTooLarge once the head would pass max_size, whatever the split; the
  // bytes up to the limit then count as taken.
  Status Feed(std::string_view data, size_t* consumed);
  std::string_view head() const { return buf_; }

 private:
  std::string buf_;
  size_t line_start_ = 0;
  size_t max_size_;
};

struct HeaderField {
  std::string_view name;
  std::string_view value;  // without surrounding blanks
};

struct ParsedHead {
  std::string_view start_line;
  std::vector<HeaderField> fields;

  // The value of the only field named `name`; empty when there is none.
  // *count (if given) says how many fields had that name.
  std::string_view Get(std::string_view name, size_t* count = nullptr) const;
  // All values of `name` joined with ", ", the way RFC 9110 section 5.3
  // lets a list-valued field be split over several lines.
  std::string Join(std::string_view name) const;
};

// False when a field line is malformed: no colon, an empty or non-token name,
// blanks before the colon, or a folded line (all refused by RFC 9112 5.1-5.2).
bool ParseHead(std::string_view head, ParsedHead* out);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
std::string_view TrimBlanks(std::string_view s);
bool IsTokenChar(char c);
bool IsToken(std::string_view s);

// Calls fn(element) for each non-empty element of a comma-separated list,
// blanks trimmed. Stops early when fn returns true; returns whether it did.
template <typename Fn>
bool AnyListElement(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view element = TrimBlanks(list.substr(0, comma));
    if (!element.empty() && fn(element)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Whether the list holds `token`, ignoring ASCII case.
inline bool ListHasToken(std::string_view list, std::string_view token) {
  return AnyListElement(list, [token](std::string_view e) { return EqualsIgnoreCase(e, token); });
}

}  // namespace tern::proto::ws
