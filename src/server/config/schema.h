// The option table. One Spec per option says everything every layer needs:
// its dotted name (the YAML path, TERN_ variable and --flag all derive from
// it), kind, where the value lives in Options, help, extra spellings,
// bounds, choices and whether SIGHUP may change it. Layers, checks, reload
// and help only walk this table; adding an option is adding an entry.
//
// A field is reached through a path of member hops from the table's root
// (Options, or one element of a list of structs), so a block of fields can
// be declared once over its own struct (TlsOptions) and attached under any
// prefix (`tls`, `websocket.tls`) by prepending the hop to that struct.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tern::server::config {

enum class Kind : uint8_t {
  kString,          // std::string; `choices`, if any, are the allowed values
  kInt,             // int
  kPort,            // int, -1 (random) to 65535
  kBool,            // bool; a bare flag means true
  kDuration,        // std::chrono::milliseconds, whole milliseconds
  kSize,            // uint64_t bytes
  kEnum,            // an enum field; `choices` are its names in value order
  kStringList,      // std::vector<std::string>; comma separated in flags and env
  kHandshakeFirst,  // the TlsOptions holding handshake_first and its fallback
  kStructList,      // std::vector<T>; `element` describes T
  kSwitch,          // no field: a flag that asserts something the checks verify (--tls)
};

// One step from a struct to one of its members.
using Hop = void* (*)(void*);

template <typename T>
struct MemberTraits;
template <typename C, typename M>
struct MemberTraits<M C::*> {
  using Class = C;
};

template <auto kMember>
void* HopTo(void* object) {
  using Class = typename MemberTraits<decltype(kMember)>::Class;
  return &(static_cast<Class*>(object)->*kMember);
}

// Reads and writes an enum field through its integral value.
struct EnumType {
  int (*get)(const void* field);
  void (*set)(void* field, int value);
};
template <typename E>
inline constexpr EnumType kEnumOf = {
    [](const void* f) { return static_cast<int>(*static_cast<const E*>(f)); },
    [](void* f, int v) { *static_cast<E*>(f) = static_cast<E>(v); },
};

// A std::vector<T> seen without T.
struct ListType {
  size_t (*size)(const void* list);
  const void* (*at)(const void* list, size_t i);
  void* (*append)(void* list);  // adds a default T and returns it
  void (*clear)(void* list);
  void (*assign)(void* to, const void* from);
};
template <typename T>
inline constexpr ListType kListOf = {
    [](const void* l) { return static_cast<const std::vector<T>*>(l)->size(); },
    [](const void* l, size_t i) -> const void* { return &(*static_cast<const std::vector<T>*>(l))[i]; },
    [](void* l) -> void* { return &static_cast<std::vector<T>*>(l)->emplace_back(); },
    [](void* l) { static_cast<std::vector<T>*>(l)->clear(); },
    [](void* to, const void* from) { *static_cast<std::vector<T>*>(to) = *static_cast<const std::vector<T>*>(from); },
};

// How a list of structs is written in a flag or variable, where there is
// no nesting: linger's "room.>=3s/64MiB,chat.*=1s".
struct CompactForm {
  // Appends the items in `text` to `list`; one line per problem.
  bool (*parse)(std::string_view text, void* list, std::vector<std::string>* problems);
  std::string (*format)(const void* list);
};

struct Spec {
  std::string name;  // canonical dotted name, relative to the table's root
  Kind kind = Kind::kString;
  std::vector<Hop> path;  // root -> field; empty for kSwitch
  std::string_view help;
  std::string flags;    // extra flag-only spellings, space separated ("c", "tlscert")
  std::string aliases;  // extra spellings valid as flag and file key
  std::string_view metavar;
  std::string_view default_note;  // shown for the default (and for an empty value) instead of ""
  std::string_view heading;       // help: printed above this option, to open a group
  int64_t min = 0;                // ints, ports, sizes; milliseconds for durations; length for strings
  int64_t max = std::numeric_limits<int64_t>::max();
  std::span<const std::string_view> choices = {};
  bool reloadable = false;
  bool secret = false;  // a password or token: never shown in logs or help
  bool in_file = true;
  bool required = false;  // list elements: the key must be present
  const EnumType* enum_type = nullptr;
  // kStringList: each item must pass; returns why not, or "".
  std::string (*check_item)(std::string_view item) = nullptr;
  // kStructList.
  const ListType* list = nullptr;
  std::span<const Spec> element = {};
  const CompactForm* compact = nullptr;
  std::string (*check_element)(const void* element) = nullptr;
};

using Table = std::span<const Spec>;

// Every option of Options, in help order.
Table Schema();
// Aborts on an unknown name: a typo in tern's code, not in user input.
const Spec& SpecNamed(std::string_view name);

// Appends `fields` to `out` under `prefix` (no prefix: ""), reached from
// the root through `path`. Extra flag spellings per field name come from
// `flags` ("cert_file=tlscert"); headings from the first field onward.
void Attach(std::vector<Spec>* out, std::string_view prefix, const std::vector<Hop>& path, Table fields,
            std::string_view heading = {}, std::span<const std::pair<std::string_view, std::string_view>> flags = {});

void* FieldOf(const Spec& spec, void* root);
const void* FieldOf(const Spec& spec, const void* root);

// Lookups over a table. A file key matches a name or alias; a flag also
// matches the flag-only spellings.
const Spec* FindKey(Table table, std::string_view key);
const Spec* FindFlag(Table table, std::string_view key);
// True when some option in `table` is nested under `key` ("log" for log.level).
bool IsSection(Table table, std::string_view key);
// The rest of the first option's name under section `key`, for examples.
std::string_view FirstUnder(Table table, std::string_view key);
// Whether `word` is one of the space-separated `words`.
bool HasWord(std::string_view words, std::string_view word);
std::vector<std::string_view> Words(std::string_view words);

// TERN_ + upper case, dots as underscores.
std::string EnvName(std::string_view name);
// " (did you mean X?)" for a near miss among `candidates`, else "".
std::string Suggest(std::string_view wrong, const std::vector<std::string>& candidates);

}  // namespace tern::server::config
