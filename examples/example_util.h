// Shared bits of the example programs: the server URL from argv and a check
// that prints the failure and exits non-zero (each example doubles as a test).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tern/tern.h"

namespace example {

inline std::string ServerUrl(int argc, char** argv) {
  if (argc > 1) return argv[1];
  const char* env = std::getenv("TERN_URL");
  return env != nullptr ? env : "nats://127.0.0.1:4222";
}

inline void Check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(const tern::Status& s, const std::string& what) { Check(s.ok(), what + ": " + s.ToString()); }

inline std::unique_ptr<tern::Connection> MustConnect(const std::string& url, const std::string& name) {
  tern::Options o;
  o.servers = {url};
  o.name = name;
  auto c = tern::Connection::Connect(o);
  Check(c.status(), "connect " + name + " to " + url);
  return std::move(c.value());
}

}  // namespace example
