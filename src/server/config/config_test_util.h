// Shared by the config tests: a temporary directory for files, LoadConfig
// from an argument list, and assertions that print every error on failure.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "server/config/config.h"

namespace tern::server {

using std::chrono::milliseconds;
using Env = std::map<std::string, std::string>;

inline std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// Passes when some error contains `needle`; on failure prints every error.
inline ::testing::AssertionResult HasError(const ConfigResult& r, std::string_view needle) {
  for (const auto& e : r.errors) {
    if (e.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error contains \"" << needle << "\"; errors:" << Joined(r.errors);
}

inline ::testing::AssertionResult HasWarning(const ConfigResult& r, std::string_view needle) {
  for (const auto& w : r.warnings) {
    if (w.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no warning contains \"" << needle << "\"; warnings:" << Joined(r.warnings);
}

inline std::string EnvNameOf(const std::string& name) {
  std::string env = "TERN_";
  for (char c : name) env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tern-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }
  std::string WriteYaml(const std::string& text, const std::string& name = "tern.yaml") {
    return WriteFile(name, text);
  }

  // Files for tls options; config only checks that they can be read. Made
  // once, so a test may replace them with real ones.
  std::string Cert() { return Once("certs/server-cert.pem", "-----BEGIN CERTIFICATE-----\n"); }
  std::string Key() { return Once("certs/server-key.pem", "-----BEGIN PRIVATE KEY-----\n"); }
  std::string Ca() { return Once("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n"); }
  std::string Once(const std::string& name, const std::string& text) {
    return std::filesystem::exists(dir_ / name) ? (dir_ / name).string() : WriteFile(name, text);
  }
  // Flags that turn TLS on for the client listener, then `more`.
  std::vector<std::string> TlsArgs(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--tlscert", Cert(), "--tlskey", Key()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  static ConfigResult Load(std::vector<std::string> args, const Env& env = {}) {
    args.insert(args.begin(), "tern-server");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return LoadConfig(static_cast<int>(argv.size()), argv.data(), env);
  }

  static ConfigResult LoadOk(std::vector<std::string> args, const Env& env = {}) {
    ConfigResult r = Load(std::move(args), env);
    EXPECT_TRUE(r.errors.empty()) << Joined(r.errors);
    return r;
  }

  std::filesystem::path dir_;
};

}  // namespace tern::server
