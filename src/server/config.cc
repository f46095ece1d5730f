#include "server/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <span>
#include <sstream>
#include <type_traits>
#include <variant>

#include "base/units.h"
#include "proto/subject.h"

extern char** environ;  // POSIX; not declared by every libc header set

namespace tern::server {
namespace {

using std::chrono::milliseconds;

enum class Kind { kInt, kPort, kString, kDuration, kSize, kEnum, kLinger };

template <typename T>
using Member = T Options::*;
using Field = std::variant<Member<std::string>, Member<int>, Member<uint64_t>, Member<milliseconds>, Member<log::Level>,
                           Member<QueuePolicy>, Member<std::vector<LingerRule>>>;

// Indexed by the enum's value.
constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kQueuePolicyNames[] = {"random", "round_robin"};

struct OptionSpec {
  std::string_view name;
  Kind kind;
  Field field;
  std::string_view help;
  std::string_view flags = {};    // extra flag-only spellings, space separated
  std::string_view aliases = {};  // extra spellings valid as flag and YAML key
  std::string_view metavar = {};
  std::string_view default_note = {};  // shown in help instead of the formatted default
  int64_t min = 0;                     // bound for ints and sizes; milliseconds for durations
  int64_t max = std::numeric_limits<int64_t>::max();
  std::span<const std::string_view> choices = {};
  bool reloadable = false;
  bool in_file = true;
};

constexpr int64_t kIntMax = INT_MAX;

// Help order. Reloadable follows what a live server can take without
// re-binding or rebuilding its workers: logging, per-connection limits read
// at accept/subscribe time, and ping/deadline timers.
// clang-format off
const OptionSpec kSpecs[] = {
    {.name = "config", .kind = Kind::kString, .field = &Options::config_file,
     .help = "YAML config file to read (the file layer).",
     .flags = "c", .metavar = "file", .default_note = "none", .in_file = false},
    {.name = "name", .kind = Kind::kString, .field = &Options::server_name,
     .help = "Server name shown to clients and peers.",
     .flags = "n", .aliases = "server_name", .metavar = "name", .default_note = "the server id"},
    {.name = "addr", .kind = Kind::kString, .field = &Options::addr,
     .help = "Address to listen on for client connections.",
     .flags = "a", .aliases = "net", .metavar = "host", .min = 1},
    {.name = "port", .kind = Kind::kPort, .field = &Options::port,
     .help = "Port for client connections; -1 picks a random free port.",
     .flags = "p", .min = -1, .max = 65535},
    {.name = "http_port", .kind = Kind::kPort, .field = &Options::http_port,
     .help = "Port for HTTP monitoring, 0 = off (reserved until monitoring lands).",
     .flags = "m", .min = -1, .max = 65535},
    {.name = "workers", .kind = Kind::kInt, .field = &Options::workers,
     .help = "Worker threads; 0 = one per core.", .max = 1024},
    {.name = "log.level", .kind = Kind::kEnum, .field = &Options::log_level,
     .help = "Least severe log level written (-D = debug, -V/-DV = trace).",
     .choices = kLevelNames, .reloadable = true},
    {.name = "log.file", .kind = Kind::kString, .field = &Options::log_file,
     .help = "File to append the log to.",
     .flags = "l log", .metavar = "file", .default_note = "stderr", .reloadable = true},
    {.name = "max_payload", .kind = Kind::kSize, .field = &Options::max_payload,
     .help = "Largest message payload a client may publish (at most max_pending).",
     .min = 1, .max = int64_t{1} << 30, .reloadable = true},
    {.name = "max_control_line", .kind = Kind::kSize, .field = &Options::max_control_line,
     .help = "Longest protocol line (PUB/SUB/CONNECT ...) a client may send.",
     .min = 1, .max = int64_t{1} << 30, .reloadable = true},
    {.name = "max_connections", .kind = Kind::kInt, .field = &Options::max_connections,
     .help = "Client connections accepted at once.",
     .min = 1, .max = kIntMax, .reloadable = true},
    {.name = "max_subscriptions", .kind = Kind::kInt, .field = &Options::max_subscriptions,
     .help = "Subscriptions per connection; 0 = unlimited.",
     .max = kIntMax, .reloadable = true},
    {.name = "max_pending", .kind = Kind::kSize, .field = &Options::max_pending,
     .help = "Bytes buffered for a connection before it is a slow consumer and closed.",
     .min = 1, .reloadable = true},
    {.name = "write_deadline", .kind = Kind::kDuration, .field = &Options::write_deadline,
     .help = "How long a blocked write may take before the connection is a slow consumer.",
     .min = 1, .reloadable = true},
    {.name = "ping_interval", .kind = Kind::kDuration, .field = &Options::ping_interval,
     .help = "Interval between server PINGs to each client.",
     .min = 1, .reloadable = true},
    {.name = "max_pings_out", .kind = Kind::kInt, .field = &Options::max_pings_out,
     .help = "Unanswered PINGs before a client is considered stale and closed.",
     .aliases = "ping_max", .min = 1, .max = kIntMax, .reloadable = true},
    {.name = "auth_timeout", .kind = Kind::kDuration, .field = &Options::auth_timeout,
     .help = "Time a new client has to send CONNECT.",
     .min = 1, .reloadable = true},
    {.name = "shutdown_grace", .kind = Kind::kDuration, .field = &Options::shutdown_grace,
     .help = "Time to flush clients on SIGTERM/SIGINT before exiting.",
     .reloadable = true},
    {.name = "queue_policy", .kind = Kind::kEnum, .field = &Options::queue_policy,
     .help = "How a queue group member is chosen for each message.",
     .choices = kQueuePolicyNames},
    {.name = "linger", .kind = Kind::kLinger, .field = &Options::linger,
     .help = "Hold messages that found no subscriber, per subject pattern (see docs/config.md).",
     .metavar = "subject=for[/max_bytes],...", .default_note = "none"},
};
// clang-format on

const OptionSpec& SpecNamed(std::string_view name) {
  for (const auto& s : kSpecs) {
    if (s.name == name) return s;
  }
  std::abort();  // a typo in this file, not in user input
}

bool HasWord(std::string_view words, std::string_view word) {
  while (!words.empty()) {
    size_t end = words.find(' ');
    if (words.substr(0, end) == word) return true;
    if (end == std::string_view::npos) break;
    words.remove_prefix(end + 1);
  }
  return false;
}

const OptionSpec* FindFlag(std::string_view key) {
  for (const auto& s : kSpecs) {
    if (s.name == key || HasWord(s.flags, key) || HasWord(s.aliases, key)) return &s;
  }
  return nullptr;
}

const OptionSpec* FindKey(std::string_view key) {
  for (const auto& s : kSpecs) {
    if (s.name == key || HasWord(s.aliases, key)) return &s;
  }
  return nullptr;
}

std::string EnvName(std::string_view name) {
  std::string out = "TERN_";
  for (char c : name) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for a near miss among `candidates`, else "".
std::string Suggest(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  size_t best_distance = std::max<size_t>(2, wrong.size() / 4) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(wrong, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  return best == nullptr ? std::string() : fmt::format(" (did you mean {}?)", *best);
}

std::vector<std::string> AllSpellings(std::string_view prefix, bool file) {
  std::vector<std::string> out;
  for (const auto& s : kSpecs) {
    if (file && !s.in_file) continue;
    out.push_back(fmt::format("{}{}", prefix, s.name));
  }
  return out;
}

// ---- values ---------------------------------------------------------------

std::string CheckRule(const LingerRule& rule) {
  if (!proto::IsValidSubject(rule.subject)) return fmt::format("'{}' is not a valid subject", rule.subject);
  if (rule.hold.count() <= 0) return fmt::format("{}: hold time must be at least 1ms", rule.subject);
  if (rule.max_bytes == 0) return fmt::format("{}: max_bytes must be at least 1 byte", rule.subject);
  return {};
}

std::string NotADuration(std::string_view text) {
  return fmt::format("'{}' is not a duration (e.g. 3s, 250ms, 2m, 1h)", text);
}
std::string NotASize(std::string_view text) { return fmt::format("'{}' is not a size (e.g. 1MiB, 512KB, 1024)", text); }

std::string JoinChoices(std::span<const std::string_view> choices, std::string_view sep) {
  std::string out;
  for (auto c : choices) out += out.empty() ? std::string(c) : fmt::format("{}{}", sep, c);
  return out;
}

bool Fail(std::string* problem, std::string why) {
  *problem = std::move(why);
  return false;
}

template <typename T>
T& Ref(const OptionSpec& s, Options* o) {
  return o->*std::get<Member<T>>(s.field);
}

// Converts `text` for option `s` into *o. On failure *o is untouched and
// *problem says why, without naming the option (the caller knows how the
// user spelled it).
bool SetText(const OptionSpec& s, std::string_view text, bool append, Options* o, std::string* problem) {
  switch (s.kind) {
    case Kind::kString:
      if (static_cast<int64_t>(text.size()) < s.min) return Fail(problem, "must not be empty");
      Ref<std::string>(s, o) = std::string(text);
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
      Ref<int>(s, o) = static_cast<int>(v);
      return true;
    }
    case Kind::kSize: {
      uint64_t v = 0;
      if (!ParseSize(text, &v)) return Fail(problem, NotASize(text));
      if (v < static_cast<uint64_t>(s.min))
        return Fail(problem, fmt::format("'{}' is too small (at least {} byte)", text, s.min));
      if (v > static_cast<uint64_t>(s.max)) {
        return Fail(problem, fmt::format("'{}' is too large (at most {})", text, FormatSize(s.max)));
      }
      Ref<uint64_t>(s, o) = v;
      return true;
    }
    case Kind::kDuration: {
      milliseconds v{};
      if (!ParseDuration(text, &v)) return Fail(problem, NotADuration(text));
      if (v.count() < s.min) return Fail(problem, fmt::format("'{}' is too short (at least {}ms)", text, s.min));
      Ref<milliseconds>(s, o) = v;
      return true;
    }
    case Kind::kEnum: {
      auto it = std::find(s.choices.begin(), s.choices.end(), text);
      if (it == s.choices.end()) {
        return Fail(problem, fmt::format("'{}' is not one of {}", text, JoinChoices(s.choices, ", ")));
      }
      int index = static_cast<int>(it - s.choices.begin());
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(o->*member)>;
            if constexpr (std::is_enum_v<T>) o->*member = static_cast<T>(index);
          },
          s.field);
      return true;
    }
    case Kind::kLinger: {
      std::vector<LingerRule> rules;
      std::vector<std::string> problems;
      if (!ParseLingerRules(text, &rules, &problems))
        return Fail(problem, fmt::format("{}", fmt::join(problems, "; ")));
      auto& target = Ref<std::vector<LingerRule>>(s, o);
      if (!append) target.clear();
      target.insert(target.end(), rules.begin(), rules.end());
      return true;
    }
  }
  return false;
}

std::string FormatValue(const OptionSpec& s, const Options& o) {
  return std::visit(
      [&](auto member) -> std::string {
        using T = std::remove_cvref_t<decltype(o.*member)>;
        const T& v = o.*member;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, int>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          return FormatSize(v);
        } else if constexpr (std::is_same_v<T, milliseconds>) {
          return FormatDuration(v);
        } else if constexpr (std::is_enum_v<T>) {
          return std::string(s.choices[static_cast<size_t>(v)]);
        } else {
          return FormatLingerRules(v);
        }
      },
      s.field);
}

void CopyValue(const OptionSpec& s, const Options& from, Options* to) {
  std::visit([&](auto member) { to->*member = from.*member; }, s.field);
}

// ---- layers ---------------------------------------------------------------

// Accumulates the result of all layers; `origin` remembers which setting won
// so that cross-option checks can say where each side came from.
struct Builder {
  Options opts;
  std::map<const OptionSpec*, std::string> origin;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  void Record(const OptionSpec& s, std::string label, ConfigLayer layer) {
    opts.layers[std::string(s.name)] = layer;
    origin[&s] = std::move(label);
  }
  void Set(const OptionSpec& s, std::string_view text, std::string label, ConfigLayer layer, bool append = false) {
    std::string problem;
    if (!SetText(s, text, append, &opts, &problem)) {
      errors.push_back(fmt::format("{}: {}", label, problem));
      return;
    }
    Record(s, std::move(label), layer);
  }
  std::string Origin(const OptionSpec& s) const {
    auto it = origin.find(&s);
    return it == origin.end() ? "default" : it->second;
  }
};

// One flag occurrence, converted after the file and environment layers.
struct FlagSetting {
  const OptionSpec* spec;
  std::string label;
  std::string text;
  bool append;
};

class FileReader {
 public:
  FileReader(Builder* b, std::string path) : b_(b), path_(std::move(path)) {}

  void Read(std::string_view path_origin) {
    std::error_code ec;
    if (std::filesystem::is_directory(path_, ec)) {
      b_->errors.push_back(fmt::format("{}: config file '{}' is a directory", path_origin, path_));
      return;
    }
    std::ifstream in(path_);
    if (!in) {
      b_->errors.push_back(
          fmt::format("{}: cannot read config file '{}': {}", path_origin, path_, std::strerror(errno)));
      return;
    }
    std::stringstream text;
    text << in.rdbuf();
    YAML::Node root;
    // yaml-cpp reports through exceptions; this runs once at start-up or
    // reload, far from the hot path.
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
      b_->errors.push_back(fmt::format("{}:{}:{}: {}", path_, e.mark.line + 1, e.mark.column + 1, e.msg));
      return;
    }
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      b_->errors.push_back(fmt::format("{}: expected a map of options at the top level", path_));
      return;
    }
    Walk(root, "");
  }

 private:
  std::string Where(const YAML::Node& n) const { return fmt::format("{}:{}", path_, n.Mark().line + 1); }

  static std::string_view TypeName(const YAML::Node& n) {
    return n.IsMap() ? "map" : n.IsSequence() ? "list" : "single value";
  }

  void Walk(const YAML::Node& map, const std::string& prefix) {
    for (const auto& entry : map) {
      // Nodes are handles; copies keep them alive past the iterator's proxy.
      YAML::Node k = entry.first;
      YAML::Node v = entry.second;
      if (!k.IsScalar()) {
        b_->errors.push_back(fmt::format("{}: keys must be plain names", Where(k)));
        continue;
      }
      std::string key = prefix.empty() ? k.Scalar() : prefix + "." + k.Scalar();
      const OptionSpec* s = FindKey(key);
      if (s != nullptr) {
        Value(*s, key, k, v);
      } else if (IsSection(key)) {
        if (v.IsMap()) {
          Walk(v, key);
        } else {
          b_->errors.push_back(fmt::format("{}: {}: is a section; expected a map such as `{}: {{{}: ...}}`", Where(k),
                                           key, key, SectionExample(key)));
        }
      } else {
        b_->errors.push_back(
            fmt::format("{}: unknown option '{}'{}", Where(k), key, Suggest(key, AllSpellings("", true))));
      }
    }
  }

  static bool IsSection(std::string_view key) {
    for (const auto& s : kSpecs) {
      if (s.name.size() > key.size() && s.name.starts_with(key) && s.name[key.size()] == '.') return true;
    }
    return false;
  }
  static std::string_view SectionExample(std::string_view key) {
    for (const auto& s : kSpecs) {
      if (s.name.starts_with(key) && s.name.size() > key.size()) return s.name.substr(key.size() + 1);
    }
    return "";
  }

  void Value(const OptionSpec& s, const std::string& key, const YAML::Node& k, const YAML::Node& v) {
    std::string label = fmt::format("{}: {}", Where(k), key == s.name ? key : fmt::format("{} ({})", key, s.name));
    if (!s.in_file) {
      b_->errors.push_back(fmt::format("{}: cannot be set in the config file", label));
      return;
    }
    auto [seen, fresh] = lines_.emplace(&s, k.Mark().line + 1);
    if (!fresh) {
      b_->errors.push_back(fmt::format("{}: set twice (also on line {})", label, seen->second));
      return;
    }
    if (s.kind == Kind::kLinger && (v.IsSequence() || v.IsNull())) {
      LingerList(s, label, v);
    } else if (v.IsScalar()) {
      b_->Set(s, v.Scalar(), label, ConfigLayer::kFile);
    } else if (v.IsNull()) {
      b_->errors.push_back(fmt::format("{}: needs a value", label));
    } else {
      b_->errors.push_back(fmt::format("{}: expected a single value, found a {}", label, TypeName(v)));
    }
  }

  // linger: [{subject: room.>, for: 3s, max_bytes: 64MiB}, ...]
  void LingerList(const OptionSpec& s, const std::string& label, const YAML::Node& list) {
    std::vector<LingerRule> rules;
    size_t errors_before = b_->errors.size();
    for (size_t i = 0; i < list.size(); ++i) {
      YAML::Node item = list[i];
      std::string where = fmt::format("{}: linger[{}]", Where(item), i);
      if (!item.IsMap()) {
        b_->errors.push_back(fmt::format("{}: expected a map with subject, for, max_bytes", where));
        continue;
      }
      LingerRule rule;
      bool has_subject = false;
      for (const auto& entry : item) {
        std::string key = entry.first.Scalar();
        YAML::Node v = entry.second;
        if (!v.IsScalar()) {
          b_->errors.push_back(fmt::format("{}.{}: expected a single value", where, key));
        } else if (key == "subject") {
          rule.subject = v.Scalar();
          has_subject = true;
        } else if (key == "for") {
          if (!ParseDuration(v.Scalar(), &rule.hold))
            b_->errors.push_back(fmt::format("{}.for: {}", where, NotADuration(v.Scalar())));
        } else if (key == "max_bytes") {
          if (!ParseSize(v.Scalar(), &rule.max_bytes))
            b_->errors.push_back(fmt::format("{}.max_bytes: {}", where, NotASize(v.Scalar())));
        } else {
          b_->errors.push_back(fmt::format("{}: unknown key '{}' (expected subject, for, max_bytes)", where, key));
        }
      }
      if (!has_subject) {
        b_->errors.push_back(fmt::format("{}: subject is missing", where));
      } else if (std::string problem = CheckRule(rule); !problem.empty()) {
        b_->errors.push_back(fmt::format("{}: {}", where, problem));
      }
      rules.push_back(std::move(rule));
    }
    if (b_->errors.size() != errors_before) return;
    Ref<std::vector<LingerRule>>(s, &b_->opts) = std::move(rules);
    b_->Record(s, label, ConfigLayer::kFile);
  }

  Builder* b_;
  std::string path_;
  std::map<const OptionSpec*, int> lines_;  // option -> line first set, to catch repeats and alias clashes
};

void ReadEnv(const std::map<std::string, std::string>& env, Builder* b) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with("TERN_")) continue;
    const OptionSpec* found = nullptr;
    for (const auto& s : kSpecs) {
      if (EnvName(s.name) == name) found = &s;
    }
    if (found == nullptr) {
      std::vector<std::string> known;
      for (const auto& s : kSpecs) known.push_back(EnvName(s.name));
      b->warnings.push_back(fmt::format("{}: not a tern-server option, ignored{}", name, Suggest(name, known)));
      continue;
    }
    b->Set(*found, value, name, ConfigLayer::kEnv);
  }
}

// Flags follow nats-server (Go's flag package): one or two dashes, value
// after '=' or as the next argument; names are option names or aliases.
void ParseFlags(int argc, const char* const* argv, ConfigResult* r, std::vector<FlagSetting>* out) {
  std::set<const OptionSpec*> seen;
  int preset = -1;  // most verbose level from -D/-V so far; they combine like nats's debug+trace
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-' || arg == "--") {
      r->errors.push_back(fmt::format("unexpected argument '{}' (options look like --port 4222)", arg));
      continue;
    }
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    size_t eq = body.find('=');
    std::string_view key = body.substr(0, eq);
    std::string_view dashes = arg.substr(0, arg.size() - body.size());
    if (key == "h" || key == "help") {
      r->help = true;
    } else if (key == "v" || key == "version") {
      r->version = true;
    } else if (key == "D" || key == "debug" || key == "V" || key == "trace" || key == "DV" || key == "VV" ||
               key == "DVV") {
      if (eq != std::string_view::npos) {
        r->errors.push_back(fmt::format("{}{}: takes no value", dashes, key));
        continue;
      }
      int level = static_cast<int>(key == "D" || key == "debug" ? log::Level::kDebug : log::Level::kTrace);
      preset = preset < 0 ? level : std::min(preset, level);
      out->push_back({&SpecNamed("log.level"), std::string(arg), std::string(kLevelNames[preset]), false});
    } else if (const OptionSpec* s = FindFlag(key); s != nullptr) {
      std::string label =
          key == s->name ? fmt::format("{}{}", dashes, key) : fmt::format("{}{} ({})", dashes, key, s->name);
      std::string value;
      if (eq != std::string_view::npos) {
        value = body.substr(eq + 1);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        r->errors.push_back(fmt::format("{}: needs a value", label));
        continue;
      }
      // A repeated list flag adds rules; anything else: the last one wins.
      bool append = s->kind == Kind::kLinger && !seen.insert(s).second;
      out->push_back({s, std::move(label), std::move(value), append});
    } else {
      // Its value, if it had one, is not worth a second error.
      if (eq == std::string_view::npos && i + 1 < argc && argv[i + 1][0] != '-') ++i;
      std::vector<std::string> spellings = AllSpellings("--", false);
      r->errors.push_back(fmt::format("unknown flag '{}'{}", arg.substr(0, dashes.size() + key.size()),
                                      Suggest(fmt::format("--{}", key), spellings)));
    }
  }
}

// Rules between options, run once every layer is in.
void Check(Builder* b) {
  const OptionSpec& payload = SpecNamed("max_payload");
  const OptionSpec& pending = SpecNamed("max_pending");
  if (b->opts.max_payload > b->opts.max_pending) {
    b->errors.push_back(fmt::format("max_payload ({}, from {}) must not exceed max_pending ({}, from {})",
                                    FormatSize(b->opts.max_payload), b->Origin(payload),
                                    FormatSize(b->opts.max_pending), b->Origin(pending)));
  }
  std::set<std::string_view> subjects;
  for (const auto& rule : b->opts.linger) {
    if (!subjects.insert(rule.subject).second) {
      b->errors.push_back(
          fmt::format("linger (from {}): subject '{}' is listed twice", b->Origin(SpecNamed("linger")), rule.subject));
    }
  }
}

std::string_view LayerName(ConfigLayer layer) {
  switch (layer) {
    case ConfigLayer::kFlag:
      return "flag";
    case ConfigLayer::kEnv:
      return "environment";
    case ConfigLayer::kFile:
      return "file";
    case ConfigLayer::kDefault:
      break;
  }
  return "default";
}

}  // namespace

// ---- public ---------------------------------------------------------------

bool ParseDuration(std::string_view text, milliseconds* out) {
  auto parsed = units::ParseDuration(text);
  auto whole = parsed ? units::ToWholeMillis(*parsed) : std::nullopt;
  if (!whole) return false;
  *out = *whole;
  return true;
}

bool ParseSize(std::string_view text, uint64_t* out) {
  auto parsed = units::ParseSize(text);
  if (!parsed) return false;
  *out = *parsed;
  return true;
}

std::string FormatDuration(milliseconds value) { return units::FormatDuration(value); }

std::string FormatSize(uint64_t value) { return units::FormatSize(value); }

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
      if (!ParseDuration(hold, &rule.hold)) problems->push_back(fmt::format("{}: {}", item, NotADuration(hold)));
      if (slash != rest.npos && !ParseSize(rest.substr(slash + 1), &rule.max_bytes)) {
        problems->push_back(fmt::format("{}: {}", item, NotASize(rest.substr(slash + 1))));
      }
    }
    if (std::string problem = CheckRule(rule); !problem.empty()) problems->push_back(problem);
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

ConfigResult LoadConfig(int argc, const char* const* argv, const std::map<std::string, std::string>& env) {
  ConfigResult r;
  std::vector<FlagSetting> flags;
  ParseFlags(argc, argv, &r, &flags);
  if (r.help || r.version) return r;

  Builder b;
  // The file's path is itself an option (flag > env), so it is looked up
  // before the file layer is read.
  std::string path, path_origin;
  if (auto it = env.find("TERN_CONFIG"); it != env.end()) path = it->second, path_origin = "TERN_CONFIG";
  for (const auto& f : flags) {
    if (f.spec->name == "config") path = f.text, path_origin = f.label;
  }
  if (!path.empty()) FileReader(&b, path).Read(path_origin);
  ReadEnv(env, &b);
  for (const auto& f : flags) b.Set(*f.spec, f.text, f.label, ConfigLayer::kFlag, f.append);
  Check(&b);

  r.options = std::move(b.opts);
  r.errors.insert(r.errors.end(), b.errors.begin(), b.errors.end());
  r.warnings = std::move(b.warnings);
  return r;
}

ConfigResult LoadConfig(int argc, const char* const* argv) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv = *e;
    size_t eq = kv.find('=');
    if (eq != kv.npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return LoadConfig(argc, argv, env);
}

ConfigResult ReloadFromFile(const Options& current) {
  ConfigResult r;
  r.options = current;
  if (current.config_file.empty()) {
    r.errors.push_back("reload: no config file was given (-c, --config, TERN_CONFIG)");
    return r;
  }
  Builder b;
  FileReader(&b, current.config_file).Read("reload");
  for (const auto& s : kSpecs) {
    auto it = current.layers.find(std::string(s.name));
    if (it != current.layers.end() && (it->second == ConfigLayer::kFlag || it->second == ConfigLayer::kEnv)) {
      CopyValue(s, current, &b.opts);
      b.Record(s, std::string(LayerName(it->second)), it->second);
    }
  }
  Check(&b);
  if (!b.errors.empty()) {
    r.errors = std::move(b.errors);
    return r;
  }
  for (const auto& s : kSpecs) {
    std::string before = FormatValue(s, current), after = FormatValue(s, b.opts);
    if (before == after) continue;
    ConfigChange change{std::string(s.name), before, after};
    if (s.reloadable) {
      r.reloaded.push_back(std::move(change));
      continue;
    }
    CopyValue(s, current, &b.opts);
    std::string name(s.name);
    if (auto it = current.layers.find(name); it != current.layers.end()) {
      b.opts.layers[name] = it->second;
    } else {
      b.opts.layers.erase(name);
    }
    r.needs_restart.push_back(std::move(change));
  }
  r.options = std::move(b.opts);
  r.warnings = std::move(b.warnings);
  return r;
}

std::vector<std::string> OptionNames() {
  std::vector<std::string> out;
  for (const auto& s : kSpecs) out.emplace_back(s.name);
  return out;
}

std::string HelpText() {
  std::string out =
      "Usage: tern-server [options]\n"
      "\n"
      "Every option has one name, used three ways: as a YAML key in the config\n"
      "file (nested at each '.', e.g. log: {level: debug}), as an environment\n"
      "variable TERN_<NAME> ('.' -> '_'), and as a flag --<name>=<value> or\n"
      "--<name> <value>. Precedence: flag > environment > file > default.\n"
      "Durations: 250ms, 3s, 2m, 1h. Sizes: 1024, 64KB or 64KiB (x1024), 64K (x1000).\n"
      "\n"
      "Options:\n";
  const Options defaults;
  for (const auto& s : kSpecs) {
    std::string spellings;
    auto add = [&](std::string_view words, bool single_dash_short) {
      while (!words.empty()) {
        size_t sp = words.find(' ');
        std::string_view w = words.substr(0, sp);
        spellings += fmt::format("{}{}, ", single_dash_short && w.size() == 1 ? "-" : "--", w);
        words = sp == words.npos ? std::string_view() : words.substr(sp + 1);
      }
    };
    // Long-only flags line up under the long form of those with a short one.
    bool has_short = s.flags.size() == 1 || s.flags.find(' ') == 1;
    if (!has_short) spellings = "    ";
    add(s.flags, true);
    spellings += fmt::format("--{}", s.name);
    std::string metavar = !s.metavar.empty()          ? std::string(s.metavar)
                          : s.kind == Kind::kEnum     ? JoinChoices(s.choices, "|")
                          : s.kind == Kind::kPort     ? "port"
                          : s.kind == Kind::kInt      ? "n"
                          : s.kind == Kind::kSize     ? "size"
                          : s.kind == Kind::kDuration ? "duration"
                                                      : "text";
    std::string aliases;
    if (!s.aliases.empty()) {
      aliases = " (also ";
      std::string_view words = s.aliases;
      bool first = true;
      while (!words.empty()) {
        size_t sp = words.find(' ');
        aliases += fmt::format("{}--{}", first ? "" : ", ", words.substr(0, sp));
        first = false;
        words = sp == words.npos ? std::string_view() : words.substr(sp + 1);
      }
      aliases += ")";
    }
    std::string def = !s.default_note.empty() ? std::string(s.default_note) : FormatValue(s, defaults);
    std::string forms = fmt::format("  {} <{}>{}", spellings, metavar, aliases);
    std::string where = fmt::format("{}, default: {}", EnvName(s.name), def);
    if (forms.size() + 2 + where.size() <= 96) {
      out += fmt::format("{:<44}{}\n", forms + "  ", where);
    } else {
      out += fmt::format("{}\n{:44}{}\n", forms, "", where);
    }
    out += fmt::format("      {}{}{}\n", s.help, s.reloadable ? " Reloadable." : "",
                       s.in_file ? "" : " Not settable in the file.");
  }
  out +=
      "\n"
      "Shortcuts (as in nats-server):\n"
      "  -D, --debug        same as --log.level=debug\n"
      "  -V, --trace, -DV   same as --log.level=trace\n"
      "  -h, --help         show this help\n"
      "  -v, --version      show the version\n"
      "\n"
      "SIGHUP re-reads the config file; options marked reloadable take effect,\n"
      "others are reported as needing a restart. Flags and environment keep\n"
      "their values across a reload.\n";
  return out;
}

}  // namespace tern::server
