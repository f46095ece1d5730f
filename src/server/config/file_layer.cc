// The file layer: read the file and hand its tree to the reader.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/config/builder.h"

namespace tern::server::config {
void ReadConfigFile(const std::string& path, std::string_view path_origin, const Env& env, Builder* b) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    b->errors.push_back(fmt::format("{}: config file '{}' is a directory", path_origin, path));
    return;
  }
  std::ifstream in(path);
  if (!in) {
    b->errors.push_back(fmt::format("{}: cannot read config file '{}': {}", path_origin, path, std::strerror(errno)));
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  Node root;
  (void)env;
  if (ParseYaml(path, text.str(), &root, &b->errors)) ApplyTree(root, b);
}

}  // namespace tern::server::config
