#include "server/config/nats_conf.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace tern::server::config {
namespace {

using Env = std::map<std::string, std::string>;

constexpr int kMaxDepth = 64;     // blocks and arrays inside each other
constexpr int kMaxIncludes = 16;  // a file that includes itself stops here

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsNewline(char c) { return c == '\n' || c == '\r'; }
// What ends a bare string or number (nats-server's lexString).
bool EndsBare(char c) {
  return c == '\0' || IsBlank(c) || IsNewline(c) || c == ';' || c == ',' || c == ']' || c == '}';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Printable(char c) {
  if (c == '\0') return "end of file";
  if (c == '\n' || c == '\r') return "a new line";
  return fmt::format("'{}'", c);
}

// Size suffixes as nats-server reads them: K = 1000, KB = Ki = KiB = 1024.
bool Multiplier(std::string_view suffix, uint64_t* out) {
  static constexpr std::string_view kLetters = "kmgtpe";
  std::string s = Lower(suffix);
  if (s.empty()) {
    *out = 1;
    return true;
  }
  size_t power = kLetters.find(s[0]);
  if (power == std::string_view::npos) return false;
  std::string_view rest = std::string_view(s).substr(1);
  uint64_t base = rest.empty() ? 1000 : (rest == "b" || rest == "i" || rest == "ib") ? 1024 : 0;
  if (base == 0) return false;
  *out = 1;
  for (size_t i = 0; i <= power; ++i) *out *= base;
  return true;
}

bool IsDatetime(std::string_view t) {
  static constexpr std::string_view kShape = "0000-00-00T00:00:00Z";
  if (t.size() != kShape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == '0' ? !IsDigit(t[i]) : t[i] != kShape[i]) return false;
  }
  return true;
}

class Parser {
 public:
  Parser(std::string path, std::string_view text, const Env& env, int include_depth, std::vector<std::string>* errors)
      : file_(std::make_shared<const std::string>(std::move(path))),
        text_(text),
        env_(env),
        include_depth_(include_depth),
        errors_(errors) {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a UTF-8 byte order mark
  }

  bool ParseFile(Node* root) {
    root->type = Node::Type::kMap;
    root->file = file_;
    root->line = 1;
    return ParseBody(root, '\0');
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  char Next() {
    char c = text_[pos_++];
    if (c == '\n') ++line_;
    return c;
  }
  bool AtComment() const { return Peek() == '#' || (Peek() == '/' && Peek(1) == '/'); }
  void SkipComment() {
    while (!AtEnd() && !IsNewline(Peek())) Next();
  }
  void SkipBlanks() {
    while (IsBlank(Peek())) Next();
  }
  bool Fail(int line, std::string message) {
    errors_->push_back(fmt::format("{}:{}: {}", *file_, line, message));
    return false;
  }
  bool Fail(std::string message) { return Fail(line_, std::move(message)); }

  // Entries of the file (close = '\0') or of a block. Between entries go
  // new lines, comments and separators; at the top level nats-server also
  // lets the whole file sit inside one pair of braces.
  bool ParseBody(Node* map, char close) {
    scopes_.push_back(map);
    for (;;) {
      while (!AtEnd()) {
        char c = Peek();
        if (IsBlank(c) || IsNewline(c) || c == ',' || c == ';' || (close == '\0' && (c == '{' || c == '}'))) {
          Next();
        } else if (AtComment()) {
          SkipComment();
        } else {
          break;
        }
      }
      if (AtEnd()) {
        if (close != '\0') return Fail(map->line, "block is not closed: missing '}'");
        break;
      }
      if (close != '\0' && Peek() == close) {
        Next();
        break;
      }
      if (!ParseEntry(map, close)) return false;
    }
    scopes_.pop_back();
    return true;
  }

  bool ParseEntry(Node* map, char close) {
    int key_line = line_;
    std::string key;
    bool bare = false;
    if (!ParseKey(&key, &bare)) return false;
    if (bare && Lower(key) == "include" && IsBlank(Peek())) return ParseInclude(map, close);
    // Between a key and its value any space goes, new lines too (lexKeyEnd).
    while (IsBlank(Peek()) || IsNewline(Peek())) Next();
    if (Peek() == '=' || Peek() == ':') {
      Next();
      SkipBlanks();
      if (IsNewline(Peek())) return Fail(fmt::format("'{}' has no value: a new line follows its separator", key));
    }
    if (AtEnd()) return Fail(key_line, fmt::format("'{}' has no value", key));
    Entry e{.key = std::move(key), .line = key_line};
    if (!ParseValue(&e.value)) return false;
    std::string name = e.key;
    Put(map, std::move(e));
    return EndOfValue(close, name);
  }

  bool ParseKey(std::string* key, bool* bare) {
    char c = Peek();
    if (c == '=' || c == ':') return Fail(fmt::format("expected a key, found '{}'", c));
    if (c == '"' || c == '\'') {
      Next();
      while (!AtEnd() && Peek() != c) *key += Next();
      if (AtEnd()) return Fail("quoted key is not closed");
      Next();
      *bare = false;
      return true;
    }
    while (!AtEnd() && !IsBlank(Peek()) && !IsNewline(Peek()) && Peek() != '=' && Peek() != ':' && Peek() != '{' &&
           Peek() != '[') {
      *key += Next();
    }
    if (key->empty()) return Fail(fmt::format("expected a key, found {}", Printable(Peek())));
    *bare = true;
    return true;
  }

  // After a value only blanks and a comment may follow on its line, unless
  // a ';' or ',' ends it or the block closes.
  bool EndOfValue(char close, std::string_view key) {
    SkipBlanks();
    char c = Peek();
    if (AtEnd() || c == '}' || (close == '\0' && c == '{')) return true;
    if (AtComment()) {
      SkipComment();
      return true;
    }
    if (IsNewline(c) || c == ';' || c == ',') {
      Next();
      return true;
    }
    return Fail(fmt::format("after the value of '{}': expected a new line, ';' or ',', found {}", key, Printable(c)));
  }

  bool ParseValue(Node* out) {
    out->file = file_;
    out->line = line_;
    char c = Peek();
    if (c == '[') return ParseArray(out);
    if (c == '{') {
      if (++depth_ > kMaxDepth) return Fail("blocks nested too deep");
      Next();
      out->type = Node::Type::kMap;
      bool ok = ParseBody(out, '}');
      --depth_;
      return ok;
    }
    if (c == '\'' || c == '"') {
      out->type = Node::Type::kString;
      if (!ParseQuoted(&out->text)) return false;
      out->raw = out->text;
      return true;
    }
    if (c == '(') return ParseBlock(out);
    if (c == '-' || IsDigit(c)) return ParseNumberish(out);
    if (c == '.') return Fail("a number must start with a digit, not '.'");
    if (EndsBare(c)) return Fail(fmt::format("expected a value, found {}", Printable(c)));
    return ParseBare(out);
  }

  bool ParseArray(Node* out) {
    if (++depth_ > kMaxDepth) return Fail("arrays nested too deep");
    Next();  // '['
    out->type = Node::Type::kList;
    for (;;) {
      while (!AtEnd()) {
        if (IsBlank(Peek()) || IsNewline(Peek())) {
          Next();
        } else if (AtComment()) {
          SkipComment();
        } else {
          break;
        }
      }
      if (AtEnd()) return Fail(out->line, "array is not closed: missing ']'");
      if (Peek() == ']') break;
      if (Peek() == ',') return Fail("unexpected ',' in an array");
      Node item;
      if (!ParseValue(&item)) return false;
      out->items.push_back(std::move(item));
      SkipBlanks();
      if (AtComment()) SkipComment();
      if (Peek() == ',' || IsNewline(Peek())) {
        Next();
      } else if (Peek() != ']') {
        if (AtEnd()) return Fail(out->line, "array is not closed: missing ']'");
        return Fail(fmt::format("in an array: expected ',' or ']', found {}", Printable(Peek())));
      }
    }
    Next();  // ']'
    --depth_;
    return true;
  }

  // 'raw' strings take everything up to the next quote; "..." strings
  // take \t \n \r \" \\ and \xHH escapes.
  bool ParseQuoted(std::string* out) {
    int start = line_;
    char quote = Next();
    while (!AtEnd() && Peek() != quote) {
      char c = Next();
      if (c == '\\' && quote == '"') {
        if (!Escape(out)) return false;
      } else {
        *out += c;
      }
    }
    if (AtEnd()) return Fail(start, "string is not closed");
    Next();
    return true;
  }

  bool Escape(std::string* out) {
    char c = AtEnd() ? '\0' : Next();
    switch (c) {
      case 't':
        *out += '\t';
        return true;
      case 'n':
        *out += '\n';
        return true;
      case 'r':
        *out += '\r';
        return true;
      case '"':
        *out += '"';
        return true;
      case '\\':
        *out += '\\';
        return true;
      case 'x': {
        unsigned value = 0;
        std::string_view hex = text_.substr(pos_, 2);
        auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
        if (hex.size() != 2 || ec != std::errc() || end != hex.data() + 2) {
          return Fail("expected two hexadecimal digits after '\\x'");
        }
        pos_ += 2;
        *out += static_cast<char>(value);
        return true;
      }
      default:
        return Fail(fmt::format("invalid escape {}: only \\xXX, \\t, \\n, \\r, \\\" and \\\\ are allowed",
                                c == '\0' ? "at end of file" : fmt::format("'\\{}'", c)));
    }
  }

  // ( ... ) keeps everything up to a ')' alone on its line.
  bool ParseBlock(Node* out) {
    int start = line_;
    Next();  // '('
    for (size_t i = pos_; (i = text_.find("\n)", i)) != std::string_view::npos; ++i) {
      char after = i + 2 < text_.size() ? text_[i + 2] : '\n';
      if (!IsNewline(after)) continue;
      out->type = Node::Type::kString;
      out->text = std::string(text_.substr(pos_, i - pos_));
      out->raw = out->text;
      while (pos_ < i + 2) Next();
      return true;
    }
    return Fail(start, "block is not closed: expected ')' alone on a line");
  }

  bool ParseBare(Node* out) {
    int line = line_;
    std::string text;
    bool escaped = false;
    while (!EndsBare(Peek())) {
      char c = Next();
      if (c == '\\') {
        escaped = true;
        if (!Escape(&text)) return false;
      } else {
        text += c;
      }
    }
    out->raw = text;
    std::string lower = Lower(text);
    if (!escaped && (lower == "true" || lower == "yes" || lower == "on")) {
      out->type = Node::Type::kBool;
      out->text = "true";
    } else if (!escaped && (lower == "false" || lower == "no" || lower == "off")) {
      out->type = Node::Type::kBool;
      out->text = "false";
    } else if (!escaped && text.size() > 1 && text[0] == '$') {
      return Resolve(text.substr(1), line, out);
    } else {
      out->type = Node::Type::kString;
      out->text = std::move(text);
    }
    return true;
  }

  // A value that starts like a number: an integer (with a size suffix),
  // a float, an IP address or a date; anything else that starts with a
  // digit is a bare string, as nats-server 2.9+ reads "2s" or "10ms".
  bool ParseNumberish(Node* out) {
    std::string token;
    while (!EndsBare(Peek())) token += Next();
    out->raw = token;
    std::string_view t = token;
    bool negative = t.starts_with("-");
    std::string_view digits = negative ? t.substr(1) : t;
    if (digits.empty() || !IsDigit(digits[0])) return Fail(fmt::format("expected a digit after '-' in '{}'", token));
    size_t n = 0;
    while (n < digits.size() && IsDigit(digits[n])) ++n;
    uint64_t multiplier = 0;
    if (Multiplier(digits.substr(n), &multiplier)) {
      uint64_t value = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + n, value);
      constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
      if (ec != std::errc() || value > kMax / multiplier)
        return Fail(fmt::format("integer '{}' is out of range", token));
      out->type = Node::Type::kInteger;
      out->text = fmt::format("{}{}", negative ? "-" : "", value * multiplier);
      return true;
    }
    size_t dot = digits.find('.');
    if (dot == n && dot + 1 < digits.size() &&
        digits.find_first_not_of("0123456789", dot + 1) == std::string_view::npos) {
      out->type = Node::Type::kFloat;
      out->text = token;
      return true;
    }
    if (!negative && IsDatetime(t)) {
      out->type = Node::Type::kString;  // tern has no option that takes a date
      out->text = token;
      return true;
    }
    if (negative) return Fail(fmt::format("'{}' is not a number", token));
    out->type = Node::Type::kString;
    out->text = token;
    return true;
  }

  bool ParseInclude(Node* map, char close) {
    int line = line_;
    SkipBlanks();
    std::string name;
    if (Peek() == '\'' || Peek() == '"') {
      char quote = Next();
      while (!AtEnd() && !IsNewline(Peek()) && Peek() != quote) name += Next();
      if (Peek() != quote) return Fail("include: file name is not closed");
      Next();
    } else {
      while (!AtEnd() && !IsBlank(Peek()) && !IsNewline(Peek()) && Peek() != ';' && Peek() != '}') name += Next();
    }
    if (name.empty()) return Fail("include needs a file name");
    if (include_depth_ >= kMaxIncludes) {
      return Fail(line, fmt::format("include '{}': includes nested too deep (does a file include itself?)", name));
    }
    std::filesystem::path path = name;
    if (path.is_relative()) path = std::filesystem::path(*file_).parent_path() / path;
    std::ifstream in(path);
    if (!in)
      return Fail(line, fmt::format("include '{}': cannot read '{}': {}", name, path.string(), std::strerror(errno)));
    std::stringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    Node included;
    Parser nested(path.string(), content, env_, include_depth_ + 1, errors_);
    if (!nested.ParseFile(&included)) return false;
    for (auto& e : included.entries) Put(map, std::move(e));
    return EndOfValue(close, "include");
  }

  // $NAME: the nearest enclosing block's earlier key, else the environment,
  // whose text is read as a value ("4222" is a number there too).
  bool Resolve(const std::string& name, int line, Node* out) {
    // A bcrypt hash ($2a$...) is not a variable; nats-server keeps it whole.
    if (name.starts_with("2a$")) {
      out->type = Node::Type::kString;
      out->text = "$" + name;
      return true;
    }
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
      for (auto& e : (*scope)->entries) {
        if (e.key != name) continue;
        e.used_as_variable = true;
        *out = e.value;
        out->line = line;
        return true;
      }
    }
    if (auto it = env_.find(name); it != env_.end()) {
      std::string text = "value=" + it->second;
      std::vector<std::string> problems;
      Node parsed;
      Parser value(fmt::format("${} (environment)", name), text, env_, kMaxIncludes, &problems);
      if (!value.ParseFile(&parsed) || parsed.entries.size() != 1) {
        return Fail(line,
                    fmt::format("${}: the environment's value '{}' is not a value in this syntax", name, it->second));
      }
      *out = std::move(parsed.entries[0].value);
      out->file = file_;
      out->line = line;
      return true;
    }
    return Fail(line, fmt::format("variable ${} is not defined (not earlier in an enclosing block, not in the "
                                  "environment)",
                                  name));
  }

  // A repeated key replaces the earlier value, as in nats-server.
  static void Put(Node* map, Entry e) {
    for (auto& existing : map->entries) {
      if (existing.key == e.key) {
        existing = std::move(e);
        return;
      }
    }
    map->entries.push_back(std::move(e));
  }

  std::shared_ptr<const std::string> file_;
  std::string_view text_;
  const Env& env_;
  int include_depth_;
  std::vector<std::string>* errors_;
  size_t pos_ = 0;
  int line_ = 1;
  int depth_ = 0;
  std::vector<Node*> scopes_;  // blocks being read, outermost first, for $VAR
};

}  // namespace

bool ParseNatsConf(const std::string& path, const std::string& text, const Env& env, Node* root,
                   std::vector<std::string>* errors) {
  return Parser(path, text, env, 0, errors).ParseFile(root);
}

}  // namespace tern::server::config
