// Every setting of a tern-server node, with its default. config.h fills one
// of these from file, environment and flags; the server only reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"

namespace tern::server {

enum class QueuePolicy { kRandom, kRoundRobin };

// Which layer gave an option its value; see config.h for the precedence.
enum class ConfigLayer : uint8_t { kDefault, kFile, kEnv, kFlag };

// Hold messages that found no subscriber for subjects matching `subject`.
struct LingerRule {
  std::string subject;                       // pattern, wildcards allowed
  std::chrono::milliseconds hold{3000};      // how long a message waits
  uint64_t max_bytes = 64ull * 1024 * 1024;  // bound for this rule's held messages
};

struct Options {
  std::string server_name;  // default: the server id
  std::string addr = "0.0.0.0";
  int port = 4222;
  int http_port = 0;  // monitoring; reserved until the monitor lands (0 = off)
  int workers = 0;    // 0: one per core

  log::Level log_level = log::Level::kInfo;
  std::string log_file;  // empty: stderr

  uint64_t max_payload = 1024 * 1024;
  uint64_t max_control_line = 4096;
  int max_connections = 65536;
  int max_subscriptions = 0;  // per connection; 0 = unlimited
  uint64_t max_pending = 64ull * 1024 * 1024;
  std::chrono::milliseconds write_deadline{10'000};
  std::chrono::milliseconds ping_interval{120'000};
  int max_pings_out = 2;
  std::chrono::milliseconds auth_timeout{2'000};
  std::chrono::milliseconds shutdown_grace{5'000};  // flush budget on SIGTERM/SIGINT

  QueuePolicy queue_policy = QueuePolicy::kRandom;
  std::vector<LingerRule> linger;

  std::string config_file;  // where the file layer came from, for logs and reload
  // Option name ("log.level") -> layer that set it; absent means default. A
  // reload re-reads the file but must keep what flags and environment set.
  std::map<std::string, ConfigLayer> layers;
};

}  // namespace tern::server
