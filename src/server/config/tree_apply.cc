// A tern-named tree (the YAML file) against the option table. Nothing here
// knows a particular option: nesting, lists of strings and lists of structs
// with nested fields all come from the table, so a new option or section
// needs no code here.
#include <fmt/format.h>

#include "server/config/builder.h"
#include "server/config/values.h"

namespace tern::server::config {
namespace {

std::string Names(Table table) {
  std::string out;
  for (const auto& s : table) out += out.empty() ? s.name : ", " + s.name;
  return out;
}

// Reads one map of settings into either the options (through the builder,
// which records the layer) or one element of a list of structs.
class MapReader {
 public:
  // An element's problems all point at the element's first line, where a
  // reader finds "linger[3]".
  MapReader(Builder* b, Table table, void* element, std::string display, std::string where)
      : b_(b), table_(table), element_(element), display_(std::move(display)), where_(std::move(where)) {}

  void Read(const Node& map, const std::string& prefix) {
    for (const Entry& e : map.entries) {
      std::string key = prefix.empty() ? e.key : prefix + "." + e.key;
      const Spec* s = FindKey(table_, key);
      bool section = IsSection(table_, key);
      if (section && (e.value.type == Node::Type::kMap || s == nullptr || !s->in_file)) {
        if (e.value.type == Node::Type::kMap) {
          Read(e.value, key);
        } else {
          Error(fmt::format("{}: {}{}: is a section; expected a map such as `{}: {{{}: ...}}`", Where(e),
                            top() ? "" : display_ + ".", key, key, FirstUnder(table_, key)));
        }
      } else if (s != nullptr) {
        Value(*s, key, e);
      } else if (top()) {
        std::vector<std::string> names;
        for (const auto& spec : table_) {
          if (spec.in_file) names.push_back(spec.name);
        }
        Error(fmt::format("{}: unknown option '{}'{}", Where(e), key, Suggest(key, names)));
      } else {
        Error(fmt::format("{}: {}: unknown key '{}' (expected {})", Where(e), display_, key, Names(table_)));
      }
    }
  }

  bool Saw(const Spec& s) const { return lines_.contains(&s); }

  // Each element is read through the element's own table, so nested
  // sections and lists inside it work the same way as at the top.
  void StructList(const Spec& s, const std::string& label, const std::string& shown, const Node& list) {
    void* target = Field(s);
    s.list->clear(target);
    size_t errors_before = b_->errors.size();
    for (size_t i = 0; i < list.items.size(); ++i) {
      const Node& item = list.items[i];
      std::string where = fmt::format("{}: {}[{}]", item.Where(), shown, i);
      if (item.type != Node::Type::kMap) {
        Error(fmt::format("{}: expected a map with {}", where, Names(s.element)));
        continue;
      }
      void* element = s.list->append(target);
      MapReader reader(b_, s.element, element, fmt::format("{}[{}]", shown, i), item.Where());
      size_t element_errors = b_->errors.size();
      reader.Read(item, "");
      for (const auto& field : s.element) {
        if (field.required && !reader.Saw(field)) Error(fmt::format("{}: {} is missing", where, field.name));
      }
      if (b_->errors.size() == element_errors && s.check_element != nullptr) {
        if (std::string problem = s.check_element(element); !problem.empty()) {
          Error(fmt::format("{}: {}", where, problem));
        }
      }
    }
    if (top() && b_->errors.size() == errors_before) b_->Record(s, label, ConfigLayer::kFile);
  }

 private:
  bool top() const { return element_ == nullptr; }
  std::string Where(const Entry& e) const { return where_.empty() ? e.Where() : where_; }
  void Error(std::string message) { b_->errors.push_back(std::move(message)); }
  void* Field(const Spec& s) { return top() ? b_->Field(s) : FieldOf(s, element_); }

  void Value(const Spec& s, const std::string& key, const Entry& e) {
    std::string shown = key == s.name ? key : fmt::format("{} ({})", key, s.name);
    std::string label = fmt::format("{}: {}{}", Where(e), top() ? "" : display_ + ".", shown);
    if (!s.in_file) return Error(fmt::format("{}: cannot be set in the config file", label));
    auto [seen, fresh] = lines_.emplace(&s, e.line);
    if (!fresh) return Error(fmt::format("{}: set twice (also on line {})", label, seen->second));

    const Node& v = e.value;
    bool list_kind = s.kind == Kind::kStringList || s.kind == Kind::kStructList;
    if (v.type == Node::Type::kNull && list_kind) {
      if (s.kind == Kind::kStructList) {
        s.list->clear(Field(s));
      } else {
        static_cast<std::vector<std::string>*>(Field(s))->clear();
      }
      if (top()) b_->Record(s, label, ConfigLayer::kFile);
    } else if (v.type == Node::Type::kNull) {
      Error(fmt::format("{}: needs a value", label));
    } else if (v.is_scalar()) {
      Put(s, v.text, label);
    } else if (v.type == Node::Type::kList && s.kind == Kind::kStringList) {
      StringList(s, label, top() ? key : display_ + "." + key, v);
    } else if (v.type == Node::Type::kList && s.kind == Kind::kStructList) {
      StructList(s, label, top() ? key : display_ + "." + key, v);
    } else if (list_kind) {
      Error(fmt::format("{}: expected a list, found a {}", label, v.TypeName()));
    } else {
      Error(fmt::format("{}: expected a single value, found a {}", label, v.TypeName()));
    }
  }

  void Put(const Spec& s, const std::string& text, const std::string& label) {
    if (top()) {
      b_->Set(s, text, label, ConfigLayer::kFile);
      return;
    }
    std::string problem;
    if (!ParseValue(s, text, false, Field(s), &problem)) Error(fmt::format("{}: {}", label, problem));
  }

  void StringList(const Spec& s, const std::string& label, const std::string& shown, const Node& list) {
    std::vector<std::string> items;
    bool ok = true;
    for (size_t i = 0; i < list.items.size(); ++i) {
      const Node& item = list.items[i];
      if (!item.is_scalar()) {
        Error(fmt::format("{}: {}[{}]: expected a single value, found a {}", item.Where(), shown, i, item.TypeName()));
        ok = false;
      }
      items.push_back(item.text);
    }
    if (!ok) return;
    if (top()) {
      b_->SetItems(s, items, label, ConfigLayer::kFile);
      return;
    }
    std::string problem;
    if (!ParseItems(s, items, Field(s), &problem)) Error(fmt::format("{}: {}", label, problem));
  }

  Builder* b_;
  Table table_;
  void* element_;  // null: the options
  std::string display_;
  std::string where_;
  std::map<const Spec*, int> lines_;  // option -> line first set, to catch repeats and alias clashes
};

}  // namespace

void ReadStructList(const Spec& s, const Node& list, void* target, Builder* b) {
  Spec here = s;
  here.path.clear();  // FieldOf(here, target) is the list itself
  MapReader(b, {}, target, s.name, "").StructList(here, s.name, s.name, list);
}

void ApplyTree(const Node& root, Builder* b) {
  if (root.type == Node::Type::kNull) return;
  if (root.type != Node::Type::kMap) {
    b->errors.push_back(fmt::format("{}: expected a map of options at the top level", root.file ? *root.file : ""));
    return;
  }
  MapReader(b, Schema(), nullptr, "", "").Read(root, "");
}

}  // namespace tern::server::config
