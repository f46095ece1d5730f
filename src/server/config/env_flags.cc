// The TERN_* environment and command-line flag layers.
#include <fmt/format.h>

#include <set>

#include "server/config/builder.h"
#include "server/config/values.h"

namespace tern::server::config {

void ReadEnv(const Env& env, Builder* b) {
  for (const auto& [name, value] : env) {
    if (!name.starts_with("TERN_")) continue;
    const Spec* found = nullptr;
    for (const auto& s : Schema()) {
      if (EnvName(s.name) == name) found = &s;
    }
    if (found == nullptr) {
      std::vector<std::string> known;
      for (const auto& s : Schema()) known.push_back(EnvName(s.name));
      b->warnings.push_back(fmt::format("{}: not a tern-server option, ignored{}", name, Suggest(name, known)));
      continue;
    }
    b->Set(*found, value, name, ConfigLayer::kEnv);
  }
}

// Flags follow nats-server (Go's flag package): one or two dashes, value
// after '=' or as the next argument; names are option names or aliases. A
// boolean flag alone means true; it takes the next argument only when that
// is a boolean word, since tern-server has no positional arguments.
void ParseFlags(int argc, const char* const* argv, ConfigResult* r, std::vector<FlagSetting>* out) {
  std::set<const Spec*> seen;
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
      const Spec& s = SpecNamed("log.level");
      out->push_back({&s, std::string(arg), std::string(s.choices[static_cast<size_t>(preset)]), false});
    } else if (const Spec* s = FindFlag(Schema(), key); s != nullptr) {
      std::string label =
          key == s->name ? fmt::format("{}{}", dashes, key) : fmt::format("{}{} ({})", dashes, key, s->name);
      bool boolean = s->kind == Kind::kBool || s->kind == Kind::kSwitch;
      bool ignored = false;
      std::string value;
      if (eq != std::string_view::npos) {
        value = body.substr(eq + 1);
      } else if (boolean) {
        value = i + 1 < argc && ParseBool(argv[i + 1], &ignored) ? argv[++i] : "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        r->errors.push_back(fmt::format("{}: needs a value", label));
        continue;
      }
      // A repeated list flag adds items; anything else: the last one wins.
      bool list = s->kind == Kind::kStructList || s->kind == Kind::kStringList;
      bool append = list && !seen.insert(s).second;
      out->push_back({s, std::move(label), std::move(value), append});
    } else {
      // Its value, if it had one, is not worth a second error.
      if (eq == std::string_view::npos && i + 1 < argc && argv[i + 1][0] != '-') ++i;
      std::vector<std::string> spellings;
      for (const auto& spec : Schema()) spellings.push_back(fmt::format("--{}", spec.name));
      r->errors.push_back(fmt::format("unknown flag '{}'{}", arg.substr(0, dashes.size() + key.size()),
                                      Suggest(fmt::format("--{}", key), spellings)));
    }
  }
}

}  // namespace tern::server::config
