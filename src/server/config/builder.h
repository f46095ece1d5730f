// The pieces LoadConfig and ReloadFromFile are made of. A Builder collects
// what every layer sets, where it came from, and every problem; the layers
// (file, environment, flags) and the checks only talk to it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/config/config.h"
#include "server/config/schema.h"
#include "server/config/tree.h"

namespace tern::server::config {

using Env = std::map<std::string, std::string>;

struct Builder {
  Options opts;
  std::map<const Spec*, std::string> origin;  // which setting won, for messages that name two options
  std::set<const Spec*> switches;             // kSwitch options that were turned on
  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  void Record(const Spec& s, std::string label, ConfigLayer layer);
  // Parses `text` into the option; on failure adds "label: why" to errors.
  bool Set(const Spec& s, std::string_view text, std::string label, ConfigLayer layer, bool append = false);
  // A string list given item by item.
  bool SetItems(const Spec& s, const std::vector<std::string>& items, std::string label, ConfigLayer layer);
  std::string Origin(const Spec& s) const;
  void* Field(const Spec& s) { return FieldOf(s, &opts); }
  const void* Field(const Spec& s) const { return FieldOf(s, &opts); }
};

// Reads a tern-named tree (the YAML layer) into the builder: keys nest at
// each dot, lists of structs read each element through its own table.
void ApplyTree(const Node& root, Builder* b);
// One list of structs (`s` a kStructList spec) into the std::vector at
// `target`; how the options' own lists are read, open for tests of tables.
void ReadStructList(const Spec& s, const Node& list, void* target, Builder* b);

enum class FileFormat { kYaml, kNatsConf };
// By extension (.conf / .yaml, .yml), else by content: `key = value`,
// `key {`, a line ending in `{`, `//` comments or `include` are nats-server's.
FileFormat DetectFormat(std::string_view path, std::string_view text);

// The file layer. `path_origin` says where the path came from ("-c").
void ReadConfigFile(const std::string& path, std::string_view path_origin, const Env& env, Builder* b);
// yaml_layer.cc: YAML text -> tree; false (and an error) on a syntax error.
bool ParseYaml(const std::string& path, const std::string& text, Node* root, std::vector<std::string>* errors);
// nats_map.cc: a parsed nats-server file -> options, warning or refusing
// what tern does not support.
void ApplyNatsTree(const Node& root, Builder* b);

void ReadEnv(const Env& env, Builder* b);

// One flag occurrence, applied after the file and environment layers.
struct FlagSetting {
  const Spec* spec;
  std::string label;
  std::string text;
  bool append;
};
void ParseFlags(int argc, const char* const* argv, ConfigResult* r, std::vector<FlagSetting>* out);

// Rules between options, once every layer is in.
void Check(Builder* b);
// Start-up only: files named by options must be readable now.
void CheckFiles(Builder* b);

Env ProcessEnv();

}  // namespace tern::server::config
