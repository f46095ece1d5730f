// SIGHUP: the file again, under what flags and environment set at start.
#include <fmt/format.h>

#include "server/config/builder.h"
#include "server/config/values.h"

namespace tern::server {
namespace {

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

ConfigResult ReloadFromFile(const Options& current, const std::map<std::string, std::string>& env) {
  using namespace config;
  ConfigResult r;
  r.options = current;
  if (current.config_file.empty()) {
    r.errors.push_back("reload: no config file was given (-c, --config, TERN_CONFIG)");
    return r;
  }
  Builder b;
  ReadConfigFile(current.config_file, "reload", env, &b);
  for (const auto& s : Schema()) {
    auto it = current.layers.find(s.name);
    if (it != current.layers.end() && (it->second == ConfigLayer::kFlag || it->second == ConfigLayer::kEnv)) {
      CopyValue(s, &current, &b.opts);
      b.Record(s, std::string(LayerName(it->second)), it->second);
    }
  }
  // Files named by options are checked at start-up only: those options
  // need a restart anyway, and a missing file must not block a log-level
  // change.
  Check(&b);
  if (!b.errors.empty()) {
    r.errors = std::move(b.errors);
    return r;
  }
  for (const auto& s : Schema()) {
    std::string before = FormatValue(s, FieldOf(s, &current)), after = FormatValue(s, b.Field(s));
    if (before == after) continue;
    ConfigChange change{s.name, DisplayValue(s, FieldOf(s, &current)), DisplayValue(s, b.Field(s))};
    if (s.reloadable) {
      r.reloaded.push_back(std::move(change));
      continue;
    }
    CopyValue(s, &current, &b.opts);
    if (auto it = current.layers.find(s.name); it != current.layers.end()) {
      b.opts.layers[s.name] = it->second;
    } else {
      b.opts.layers.erase(s.name);
    }
    r.needs_restart.push_back(std::move(change));
  }
  r.options = std::move(b.opts);
  r.warnings = std::move(b.warnings);
  return r;
}

ConfigResult ReloadFromFile(const Options& current) { return ReloadFromFile(current, config::ProcessEnv()); }

}  // namespace tern::server
