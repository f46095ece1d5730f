// The only file that includes yaml-cpp (a heavy header): YAML text becomes
// a config tree and nothing else in config/ sees a YAML::Node.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "server/config/builder.h"

namespace tern::server::config {
namespace {

class Converter {
 public:
  Converter(std::shared_ptr<const std::string> file, std::vector<std::string>* errors)
      : file_(std::move(file)), errors_(errors) {}

  Node Convert(const YAML::Node& n) {
    Node out;
    out.file = file_;
    out.line = n.Mark().line + 1;
    if (n.IsScalar()) {
      out.type = Node::Type::kString;
      out.text = n.Scalar();
      out.raw = out.text;
    } else if (n.IsSequence()) {
      out.type = Node::Type::kList;
      for (const auto& item : n) out.items.push_back(Convert(item));
    } else if (n.IsMap()) {
      out.type = Node::Type::kMap;
      for (const auto& kv : n) {
        // Nodes are handles; copies keep them alive past the iterator's proxy.
        YAML::Node k = kv.first;
        YAML::Node v = kv.second;
        if (!k.IsScalar()) {
          errors_->push_back(fmt::format("{}:{}: keys must be plain names", *file_, k.Mark().line + 1));
          continue;
        }
        Entry e{.key = k.Scalar(), .line = k.Mark().line + 1, .value = Convert(v)};
        // A key with no value has no mark of its own; the key's line is where it is.
        if (e.value.type == Node::Type::kNull) e.value.line = e.line;
        out.entries.push_back(std::move(e));
      }
    }
    return out;
  }

 private:
  std::shared_ptr<const std::string> file_;
  std::vector<std::string>* errors_;
};

}  // namespace

bool ParseYaml(const std::string& path, const std::string& text, Node* root, std::vector<std::string>* errors) {
  YAML::Node doc;
  // yaml-cpp reports through exceptions; this runs once at start-up or
  // reload, far from the hot path.
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors->push_back(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
    return false;
  }
  *root = Converter(std::make_shared<const std::string>(path), errors).Convert(doc);
  return true;
}

}  // namespace tern::server::config
