// --help, generated from the table so it cannot drift from what is parsed.
#include <fmt/format.h>

#include "server/config/config.h"
#include "server/config/schema.h"
#include "server/config/values.h"

namespace tern::server {
namespace {

using config::Kind;
using config::Spec;

std::string Metavar(const Spec& s) {
  if (!s.metavar.empty()) return std::string(s.metavar);
  switch (s.kind) {
    case Kind::kEnum:
      return config::JoinChoices(s.choices, "|");
    case Kind::kString:
      return s.choices.empty() ? "text" : config::JoinChoices(s.choices, "|");
    case Kind::kPort:
      return "port";
    case Kind::kInt:
      return "n";
    case Kind::kSize:
      return "size";
    case Kind::kDuration:
      return "duration";
    case Kind::kBool:
    case Kind::kSwitch:
      return "bool";
    case Kind::kStringList:
      return "text,...";
    case Kind::kHandshakeFirst:
    case Kind::kStructList:
      break;
  }
  return "text";
}

std::string Forms(const Spec& s) {
  std::string spellings;
  // Long-only flags line up under the long form of those with a short one.
  auto flags = config::Words(s.flags);
  bool has_short = !flags.empty() && flags[0].size() == 1;
  if (!has_short) spellings = "    ";
  for (auto w : flags) spellings += fmt::format("{}{}, ", w.size() == 1 ? "-" : "--", w);
  spellings += fmt::format("--{}", s.name);
  bool boolean = s.kind == Kind::kBool || s.kind == Kind::kSwitch;
  std::string value = boolean ? fmt::format("[<{}>]", Metavar(s)) : fmt::format("<{}>", Metavar(s));
  std::string aliases;
  for (auto w : config::Words(s.aliases)) aliases += fmt::format("{}--{}", aliases.empty() ? " (also " : ", ", w);
  if (!aliases.empty()) aliases += ")";
  return fmt::format("  {} {}{}", spellings, value, aliases);
}

}  // namespace

std::vector<std::string> OptionNames() {
  std::vector<std::string> out;
  for (const auto& s : config::Schema()) out.push_back(s.name);
  return out;
}

std::string HelpText() {
  std::string out =
      "Usage: tern-server [options]\n"
      "\n"
      "Every option has one name, used three ways: as a key in the YAML config\n"
      "file (nested at each '.', e.g. log: {level: debug}), as an environment\n"
      "variable TERN_<NAME> ('.' -> '_'), and as a flag --<name>=<value> or\n"
      "--<name> <value>. Precedence: flag > environment > file > default.\n"
      "Durations: 250ms, 3s, 2m, 1h. Sizes: 1024, 64KB or 64KiB (x1024), 64K (x1000).\n"
      "Booleans: true/false, yes/no, on/off, 1/0; a boolean flag alone means true.\n"
      "Lists: a YAML list in the file, comma separated in a flag or variable.\n"
      "-c also reads a nats-server configuration file (.conf, or by its syntax)\n"
      "with nats-server's names and units; see docs/config.md.\n"
      "\n"
      "Options:\n";
  const Options defaults;
  for (const auto& s : config::Schema()) {
    if (!s.heading.empty()) out += fmt::format("\n{}:\n", s.heading);
    std::string def = !s.default_note.empty()   ? std::string(s.default_note)
                      : s.kind == Kind::kSwitch ? "off"
                                                : config::DisplayValue(s, config::FieldOf(s, &defaults));
    std::string forms = Forms(s);
    std::string where = fmt::format("{}, default: {}", config::EnvName(s.name), def);
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
      "  --tls, --tlscert, --tlskey, --tlscacert, --tlsverify\n"
      "                     the client listener's TLS, as listed above\n"
      "  -h, --help         show this help\n"
      "  -v, --version      show the version\n"
      "\n"
      "SIGHUP re-reads the config file; options marked reloadable take effect,\n"
      "others are reported as needing a restart. Flags and environment keep\n"
      "their values across a reload.\n";
  return out;
}

}  // namespace tern::server
