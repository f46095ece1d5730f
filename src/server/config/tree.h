// What a config file parses into, whichever its syntax: maps, lists and
// scalars, each with the file and line it came from. The YAML layer fills
// it from yaml-cpp (untyped scalars); the nats-server reader from its own
// grammar (typed scalars, since nats-server gives a bare number a unit by
// the option it sets). Keeping one tree lets the rest of config/ stay free
// of either parser.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tern::server::config {

struct Entry;

struct Node {
  enum class Type : uint8_t { kNull, kString, kInteger, kFloat, kBool, kMap, kList };

  Type type = Type::kNull;
  // Scalars: the value as text. Integers in decimal after any size suffix
  // ("1MB" -> "1048576"), booleans "true"/"false", floats as written.
  std::string text;
  std::string raw;  // as written in the file, for messages ("1MB", "yes")
  std::shared_ptr<const std::string> file;
  int line = 0;
  std::vector<Entry> entries;  // kMap, in file order
  std::vector<Node> items;     // kList

  bool is_scalar() const { return type != Type::kNull && type != Type::kMap && type != Type::kList; }
  const Entry* Find(std::string_view key) const;
  std::string Where() const { return (file ? *file : std::string("?")) + ":" + std::to_string(line); }
  std::string_view TypeName() const {
    return type == Type::kMap ? "map" : type == Type::kList ? "list" : type == Type::kNull ? "nothing" : "single value";
  }
};

struct Entry {
  std::string key;  // as written
  int line = 0;
  Node value;
  bool used_as_variable = false;  // nats-server: a $VAR source is no unknown option

  std::string Where() const { return (value.file ? *value.file : std::string("?")) + ":" + std::to_string(line); }
};

inline const Entry* Node::Find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

}  // namespace tern::server::config
