// Fills Options from four layers: defaults < config file < TERN_*
// environment < command-line flags. Every option has one name used in all
// three forms (`websocket.tls.cert_file` = `websocket: {tls: {cert_file: ..}}`
// = TERN_WEBSOCKET_TLS_CERT_FILE = --websocket.tls.cert_file). The file is
// YAML, or a nats-server configuration file read with nats-server's names
// and units (nats_conf.h), so tern can start from an existing nats setup.
//
// Loading goes parse (every layer, collecting every error), then check
// (cross-option rules), and never half-applies: a result with errors must
// not be used. Each error names the option as the user spelled it and where
// (flag, variable, file:line), so one run shows everything to fix.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/options.h"

namespace tern::server {

// One option whose value differs between the running and the re-read config.
struct ConfigChange {
  std::string name;
  std::string before;  // as a user would write it; an empty value shows its meaning ("the server id")
  std::string after;
};

struct ConfigResult {
  Options options;
  std::vector<std::string> errors;    // non-empty: do not start / do not apply
  std::vector<std::string> warnings;  // worth logging, not fatal (unknown TERN_* vars, ignored nats options)
  bool help = false;                  // -h/--help: print HelpText() and exit
  bool version = false;               // -v/--version
  // Reload only. `options` already holds the reloaded values and keeps the
  // running value of everything in needs_restart.
  std::vector<ConfigChange> reloaded;
  std::vector<ConfigChange> needs_restart;
};

// argv[0] is the program name. With -h or -v only the flags are parsed.
// `env` supplies TERN_* variables and the $VARs of a nats-server file.
ConfigResult LoadConfig(int argc, const char* const* argv, const std::map<std::string, std::string>& env);
// Same, reading the process environment.
ConfigResult LoadConfig(int argc, const char* const* argv);

// SIGHUP: re-reads current.config_file. Options set by a flag or TERN_*
// variable keep their value (current.layers says which); reloadable options
// take the file's value (or the default, if removed from the file); the rest
// keep the running value and are listed in needs_restart. On error `options`
// is `current` unchanged.
ConfigResult ReloadFromFile(const Options& current);
ConfigResult ReloadFromFile(const Options& current, const std::map<std::string, std::string>& env);

// Every option with its flag, variable, default and meaning.
std::string HelpText();
// Canonical option names, in help order.
std::vector<std::string> OptionNames();

// Server durations and sizes, in base/units' vocabulary: a duration needs
// a unit (except 0) and must be whole milliseconds; K is 1000, KB/KiB 1024.
bool ParseDuration(std::string_view text, std::chrono::milliseconds* out);
bool ParseSize(std::string_view text, uint64_t* out);
std::string FormatDuration(std::chrono::milliseconds value);
std::string FormatSize(uint64_t value);

// Compact linger form used by flags and environment:
// "room.>=3s/64MiB,chat.*=1s,news.>" -- subject[=for[/max_bytes]], comma
// separated; omitted parts take LingerRule's defaults. Appends to *out;
// each problem goes to *problems.
bool ParseLingerRules(std::string_view text, std::vector<LingerRule>* out, std::vector<std::string>* problems);
std::string FormatLingerRules(const std::vector<LingerRule>& rules);

}  // namespace tern::server
