#include "server/config/values.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <functional>

#include "base/host_port.h"
#include "base/units.h"
#include "proto/subject.h"
#include "server/config/config.h"

namespace tern::server::config {
namespace {

using std::chrono::milliseconds;

bool Fail(std::string* problem, std::string why) {
  *problem = std::move(why);
  return false;
}

template <typename T>
T& As(void* field) {
  return *static_cast<T*>(field);
}
template <typename T>
const T& As(const void* field) {
  return *static_cast<const T*>(field);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Server durations are whole milliseconds; units says so when they are not.
bool ParseMillis(std::string_view text, milliseconds* out, std::string* problem) {
  auto parsed = units::ParseDuration(text);
  if (!parsed) return Fail(problem, NotADuration(text));
  auto whole = units::ToWholeMillis(*parsed);
  if (!whole) return Fail(problem, fmt::format("'{}' is not a whole number of milliseconds", text));
  *out = *whole;
  return true;
}

bool ParseStrings(const Spec& s, const std::vector<std::string>& items, std::vector<std::string>* out,
                  std::string* problem) {
  std::vector<std::string> problems;
  for (const auto& item : items) {
    if (item.empty()) {
      problems.push_back("empty item");
    } else if (s.check_item != nullptr) {
      if (std::string why = s.check_item(item); !why.empty()) problems.push_back(std::move(why));
    }
  }
  if (!problems.empty()) return Fail(problem, fmt::format("{}", fmt::join(problems, "; ")));
  out->insert(out->end(), items.begin(), items.end());
  return true;
}

bool ParseHandshakeFirst(std::string_view text, TlsOptions* tls, std::string* problem) {
  const TlsOptions defaults;
  bool on = false;
  if (ParseBool(text, &on)) {
    tls->handshake_first = on ? TlsHandshakeFirst::kOn : TlsHandshakeFirst::kOff;
    tls->handshake_first_fallback = defaults.handshake_first_fallback;
    return true;
  }
  if (text == "auto" || text == "auto_fallback") {
    tls->handshake_first = TlsHandshakeFirst::kAuto;
    tls->handshake_first_fallback = defaults.handshake_first_fallback;
    return true;
  }
  milliseconds delay{};
  std::string why;
  if (!ParseMillis(text, &delay, &why)) {
    return Fail(problem, fmt::format("'{}' is not false, true, auto or a fallback delay such as 50ms", text));
  }
  // As in nats-server: no delay means no plain-text fallback at all.
  tls->handshake_first = delay.count() == 0 ? TlsHandshakeFirst::kOn : TlsHandshakeFirst::kAuto;
  tls->handshake_first_fallback = delay.count() == 0 ? defaults.handshake_first_fallback : delay;
  return true;
}

std::string FormatHandshakeFirst(const TlsOptions& tls) {
  switch (tls.handshake_first) {
    case TlsHandshakeFirst::kOff:
      return "false";
    case TlsHandshakeFirst::kOn:
      return "true";
    case TlsHandshakeFirst::kAuto:
      break;
  }
  return tls.handshake_first_fallback == TlsOptions{}.handshake_first_fallback
             ? "auto"
             : units::FormatDuration(tls.handshake_first_fallback);
}

}  // namespace

bool ParseBool(std::string_view text, bool* out) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view yes : {"true", "yes", "on", "1"}) {
    if (lower == yes) {
      *out = true;
      return true;
    }
  }
  for (std::string_view no : {"false", "no", "off", "0"}) {
    if (lower == no) {
      *out = false;
      return true;
    }
  }
  return false;
}

std::string NotADuration(std::string_view text) {
  return fmt::format("'{}' is not a duration ({})", text, units::kDurationExamples);
}

std::string NotASize(std::string_view text) {
  return fmt::format("'{}' is not a size ({})", text, units::kSizeExamples);
}

std::string JoinChoices(std::span<const std::string_view> choices, std::string_view sep) {
  std::string out;
  for (auto c : choices) out += out.empty() ? std::string(c) : fmt::format("{}{}", sep, c);
  return out;
}

bool ParseValue(const Spec& s, std::string_view text, bool append, void* field, std::string* problem) {
  switch (s.kind) {
    case Kind::kString:
      if (static_cast<int64_t>(text.size()) < s.min) return Fail(problem, "must not be empty");
      if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), text) == s.choices.end()) {
        return Fail(problem, fmt::format("'{}' is not one of {}", text, JoinChoices(s.choices, ", ")));
      }
      As<std::string>(field) = std::string(text);
      return true;
    case Kind::kInt:
    case Kind::kPort: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      bool number = !text.empty() && ec == std::errc() && end == text.data() + text.size();
      if (s.kind == Kind::kPort && (!number || v < s.min || v > s.max)) {
        return Fail(problem, fmt::format("'{}' is not a port (0-65535, or -1 for a random port)", text));
      }
      if (!number) return Fail(problem, fmt::format("'{}' is not a whole number", text));
      if (v < s.min || v > s.max) {
        return Fail(problem, fmt::format("'{}' is out of range ({} to {})", text, s.min, s.max));
      }
      As<int>(field) = static_cast<int>(v);
      return true;
    }
    case Kind::kBool:
      if (!ParseBool(text, &As<bool>(field))) {
        return Fail(problem, fmt::format("'{}' is not true or false (also yes/no, on/off, 1/0)", text));
      }
      return true;
    case Kind::kSize: {
      auto v = units::ParseSize(text);
      if (!v) return Fail(problem, NotASize(text));
      if (*v < static_cast<uint64_t>(s.min)) {
        return Fail(problem, fmt::format("'{}' is too small (at least {} byte)", text, s.min));
      }
      if (*v > static_cast<uint64_t>(s.max)) {
        return Fail(problem, fmt::format("'{}' is too large (at most {})", text, units::FormatSize(s.max)));
      }
      As<uint64_t>(field) = *v;
      return true;
    }
    case Kind::kDuration: {
      milliseconds v{};
      if (!ParseMillis(text, &v, problem)) return false;
      if (v.count() < s.min) return Fail(problem, fmt::format("'{}' is too short (at least {}ms)", text, s.min));
      As<milliseconds>(field) = v;
      return true;
    }
    case Kind::kEnum: {
      auto it = std::find(s.choices.begin(), s.choices.end(), text);
      if (it == s.choices.end()) {
        return Fail(problem, fmt::format("'{}' is not one of {}", text, JoinChoices(s.choices, ", ")));
      }
      s.enum_type->set(field, static_cast<int>(it - s.choices.begin()));
      return true;
    }
    case Kind::kStringList: {
      std::vector<std::string> items;
      for (size_t start = 0; !text.empty() && start <= text.size();) {
        size_t comma = text.find(',', start);
        items.emplace_back(Trim(text.substr(start, comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      auto& list = As<std::vector<std::string>>(field);
      std::vector<std::string> parsed = append ? list : std::vector<std::string>();
      if (!ParseStrings(s, items, &parsed, problem)) return false;
      list = std::move(parsed);
      return true;
    }
    case Kind::kHandshakeFirst:
      return ParseHandshakeFirst(text, &As<TlsOptions>(field), problem);
    case Kind::kStructList: {
      if (s.compact == nullptr) return Fail(problem, "cannot be written as text: set it in the config file");
      std::vector<std::string> problems;
      if (!append) s.list->clear(field);
      if (!s.compact->parse(text, field, &problems)) return Fail(problem, fmt::format("{}", fmt::join(problems, "; ")));
      return true;
    }
    case Kind::kSwitch: {
      bool on = false;
      if (!ParseBool(text, &on)) return Fail(problem, fmt::format("'{}' is not true or false", text));
      if (!on) return Fail(problem, "can only be switched on (leave it out for off)");
      return true;
    }
  }
  return false;
}

bool ParseItems(const Spec& s, const std::vector<std::string>& items, void* field, std::string* problem) {
  std::vector<std::string> parsed;
  if (!ParseStrings(s, items, &parsed, problem)) return false;
  As<std::vector<std::string>>(field) = std::move(parsed);
  return true;
}

std::string FormatValue(const Spec& s, const void* field) {
  switch (s.kind) {
    case Kind::kString:
      return As<std::string>(field);
    case Kind::kInt:
    case Kind::kPort:
      return std::to_string(As<int>(field));
    case Kind::kBool:
      return As<bool>(field) ? "true" : "false";
    case Kind::kSize:
      return units::FormatSize(As<uint64_t>(field));
    case Kind::kDuration:
      return units::FormatDuration(As<milliseconds>(field));
    case Kind::kEnum:
      return std::string(s.choices[static_cast<size_t>(s.enum_type->get(field))]);
    case Kind::kStringList:
      return fmt::format("{}", fmt::join(As<std::vector<std::string>>(field), ","));
    case Kind::kHandshakeFirst:
      return FormatHandshakeFirst(As<TlsOptions>(field));
    case Kind::kStructList:
      return s.compact != nullptr ? s.compact->format(field) : fmt::format("{} entries", s.list->size(field));
    case Kind::kSwitch:
      break;
  }
  return {};
}

std::string DisplayValue(const Spec& s, const void* field) {
  std::string text = FormatValue(s, field);
  if (s.secret) return text.empty() ? "none" : "(secret)";
  // An empty string means something ("the server id", "stderr"); an empty
  // list shows as empty.
  return text.empty() && s.kind == Kind::kString && !s.default_note.empty() ? std::string(s.default_note) : text;
}

void CopyValue(const Spec& s, const void* from_root, void* to_root) {
  if (s.kind == Kind::kSwitch) return;
  const void* from = FieldOf(s, from_root);
  void* to = FieldOf(s, to_root);
  switch (s.kind) {
    case Kind::kString:
      As<std::string>(to) = As<std::string>(from);
      break;
    case Kind::kInt:
    case Kind::kPort:
      As<int>(to) = As<int>(from);
      break;
    case Kind::kBool:
      As<bool>(to) = As<bool>(from);
      break;
    case Kind::kSize:
      As<uint64_t>(to) = As<uint64_t>(from);
      break;
    case Kind::kDuration:
      As<milliseconds>(to) = As<milliseconds>(from);
      break;
    case Kind::kEnum:
      s.enum_type->set(to, s.enum_type->get(from));
      break;
    case Kind::kStringList:
      As<std::vector<std::string>>(to) = As<std::vector<std::string>>(from);
      break;
    case Kind::kHandshakeFirst:
      As<TlsOptions>(to).handshake_first = As<TlsOptions>(from).handshake_first;
      As<TlsOptions>(to).handshake_first_fallback = As<TlsOptions>(from).handshake_first_fallback;
      break;
    case Kind::kStructList:
      s.list->assign(to, from);
      break;
    case Kind::kSwitch:
      break;
  }
}

std::string CheckLingerRule(const LingerRule& rule) {
  if (!proto::IsValidSubject(rule.subject)) return fmt::format("'{}' is not a valid subject", rule.subject);
  if (rule.hold.count() <= 0) return fmt::format("{}: hold time must be at least 1ms", rule.subject);
  if (rule.max_bytes == 0) return fmt::format("{}: max_bytes must be at least 1 byte", rule.subject);
  return {};
}

std::string CheckPublishPattern(std::string_view entry) {
  if (proto::IsValidSubject(entry)) return {};
  return fmt::format("'{}' is not a valid subject", entry);
}

std::string CheckSubscribePattern(std::string_view entry) {
  size_t space = entry.find(' ');
  std::string_view subject = entry.substr(0, space);
  if (!proto::IsValidSubject(subject)) return fmt::format("'{}' is not a valid subject", subject);
  if (space != entry.npos) {
    std::string_view queue = entry.substr(space + 1);
    if (queue.empty() || queue.find(' ') != queue.npos) {
      return fmt::format("'{}': expected a subject and at most one queue group", entry);
    }
  }
  return {};
}

std::string FormatUsers(const std::vector<UserOptions>& users) {
  std::string out;
  for (const UserOptions& u : users) {
    std::string whole = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", u.user, u.password, u.nkey,
                                    fmt::join(u.permissions.publish.allow, ","),
                                    fmt::join(u.permissions.publish.deny, ","),
                                    fmt::join(u.permissions.subscribe.allow, ","),
                                    fmt::join(u.permissions.subscribe.deny, ","), u.permissions.allow_responses,
                                    u.permissions.responses_max, u.permissions.responses_expires.count(),
                                    u.limits.max_connections, u.limits.max_subscriptions, u.limits.max_payload);
    if (!out.empty()) out += ',';
    out += fmt::format("{}#{:06x}", u.user.empty() ? u.nkey.substr(0, 8) : u.user,
                       std::hash<std::string>{}(whole) & 0xffffff);
  }
  return out;
}

std::string CheckOrigin(std::string_view origin) {
  size_t sep = origin.find("://");
  std::string_view scheme = origin.substr(0, sep);
  std::string_view host = sep == std::string_view::npos ? std::string_view() : origin.substr(sep + 3);
  if (!host.empty() && host.back() == '/') host.remove_suffix(1);
  bool scheme_ok = !scheme.empty() && std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                   std::all_of(scheme.begin(), scheme.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                   });
  bool host_ok = !host.empty() && host.find_first_of("/ \t?#") == std::string_view::npos;
  if (!scheme_ok || !host_ok) return fmt::format("'{}' is not an origin (scheme://host[:port])", origin);
  return {};
}

std::string CheckHostPort(std::string_view text) {
  auto parsed = base::ParseHostPort(text, /*default_port=*/6222);
  return parsed.ok() ? std::string() : parsed.message();
}

}  // namespace tern::server::config

namespace tern::server {

bool ParseDuration(std::string_view text, std::chrono::milliseconds* out) {
  std::string ignored;
  return config::ParseMillis(text, out, &ignored);
}

bool ParseSize(std::string_view text, uint64_t* out) {
  auto parsed = units::ParseSize(text);
  if (!parsed) return false;
  *out = *parsed;
  return true;
}

std::string FormatDuration(std::chrono::milliseconds value) { return units::FormatDuration(value); }

std::string FormatSize(uint64_t value) { return units::FormatSize(value); }

}  // namespace tern::server
