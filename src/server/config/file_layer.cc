// The file layer: read the file, tell YAML from a nats-server config, and
// hand the tree to the reader for its names.
#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/config/builder.h"
#include "server/config/nats_conf.h"

namespace tern::server::config {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsKeyChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

// One line that only nats-server's syntax has. YAML and nats share
// `key: value` and `#` comments, so those decide nothing.
bool NatsOnlyLine(std::string_view line) {
  if (line.starts_with("//")) return true;
  if (line.starts_with("include ") || line.starts_with("include\t")) return true;
  if (line.ends_with("{") || line == "}" || line.starts_with("}")) return true;
  size_t n = 0;
  if (!line.empty() && (line[0] == '"' || line[0] == '\'')) {
    size_t close = line.find(line[0], 1);
    n = close == std::string_view::npos ? line.size() : close + 1;
  } else {
    while (n < line.size() && IsKeyChar(line[n])) ++n;
  }
  if (n == 0) return false;
  std::string_view rest = Trim(line.substr(n));
  // `key = value`, `key {`; YAML has neither at the start of a line.
  return rest.starts_with("=") || rest.starts_with("{");
}

}  // namespace

FileFormat DetectFormat(std::string_view path, std::string_view text) {
  if (EndsWith(path, ".conf")) return FileFormat::kNatsConf;
  if (EndsWith(path, ".yaml") || EndsWith(path, ".yml")) return FileFormat::kYaml;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    std::string_view l = Trim(line);
    if (l.empty() || l.starts_with("#")) continue;
    if (NatsOnlyLine(l)) return FileFormat::kNatsConf;
  }
  return FileFormat::kYaml;
}

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
  if (DetectFormat(path, text.str()) == FileFormat::kNatsConf) {
    if (ParseNatsConf(path, text.str(), env, &root, &b->errors)) ApplyNatsTree(root, b);
  } else if (ParseYaml(path, text.str(), &root, &b->errors)) {
    ApplyTree(root, b);
  }
}

}  // namespace tern::server::config
