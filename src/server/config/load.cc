// LoadConfig: flags first (they may name the file and ask for --help), then
// file < environment < flags into one Builder, then the checks.
#include <fmt/format.h>

#include "server/config/builder.h"
#include "server/config/values.h"

extern char** environ;  // POSIX; not declared by every libc header set

namespace tern::server::config {

void Builder::Record(const Spec& s, std::string label, ConfigLayer layer) {
  opts.layers[s.name] = layer;
  origin[&s] = std::move(label);
  if (s.kind == Kind::kSwitch) switches.insert(&s);
}

bool Builder::Set(const Spec& s, std::string_view text, std::string label, ConfigLayer layer, bool append) {
  std::string problem;
  void* field = s.kind == Kind::kSwitch ? nullptr : Field(s);
  if (!ParseValue(s, text, append, field, &problem)) {
    errors.push_back(fmt::format("{}: {}", label, problem));
    return false;
  }
  Record(s, std::move(label), layer);
  return true;
}

bool Builder::SetItems(const Spec& s, const std::vector<std::string>& items, std::string label, ConfigLayer layer) {
  std::string problem;
  if (!ParseItems(s, items, Field(s), &problem)) {
    errors.push_back(fmt::format("{}: {}", label, problem));
    return false;
  }
  Record(s, std::move(label), layer);
  return true;
}

std::string Builder::Origin(const Spec& s) const {
  auto it = origin.find(&s);
  return it == origin.end() ? "default" : it->second;
}

Env ProcessEnv() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv = *e;
    size_t eq = kv.find('=');
    if (eq != kv.npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

}  // namespace tern::server::config

namespace tern::server {

ConfigResult LoadConfig(int argc, const char* const* argv, const std::map<std::string, std::string>& env) {
  using namespace config;
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
  if (!path.empty()) ReadConfigFile(path, path_origin, env, &b);
  ReadEnv(env, &b);
  for (const auto& f : flags) b.Set(*f.spec, f.text, f.label, ConfigLayer::kFlag, f.append);
  Check(&b);
  CheckFiles(&b);

  r.options = std::move(b.opts);
  r.errors.insert(r.errors.end(), b.errors.begin(), b.errors.end());
  r.warnings = std::move(b.warnings);
  return r;
}

ConfigResult LoadConfig(int argc, const char* const* argv) { return LoadConfig(argc, argv, config::ProcessEnv()); }

}  // namespace tern::server
