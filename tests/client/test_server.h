// A server process for client-library tests that can be killed and restarted
// on the same port (what a reconnect test needs; tests/support's
// ServerProcess picks a fresh port on every start).
//
// Which server: env TERN_CLIENT_TEST_SERVER = "nats" (default), "tern", or a
// path to a binary ("...tern-server" selects the tern flavour, anything else
// the nats flavour). Arguments come from tests/support's ServerFlavor, so both
// flavours are spelled in one place.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server_flavor.h"

namespace tern::testing {

// The flavour named by TERN_CLIENT_TEST_SERVER.
std::unique_ptr<ServerFlavor> ClientTestFlavor();

class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extra_args = {});
  ~TestServer();  // Stop()
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Starts on a free loopback port (or the previous one after Kill()) and
  // waits until it accepts connections. False when it does not come up.
  bool Start(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));
  // SIGKILL, no goodbye; the port stays reserved for Start().
  void Kill();
  // SIGTERM, then SIGKILL after a bound.
  void Stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::string flavor_name() const { return flavor_->Name(); }
  std::string LogTail() const;
  // Whether `<server> --help` mentions text (a flag): how a test learns that
  // the server under test has a feature yet (tern-server's --tlscert).
  bool HelpMentions(const std::string& text) const;
  // Where files for the server (a config file) may go; removed with it.
  const std::string& work_dir() const { return work_dir_; }

 private:
  void Reap(std::chrono::milliseconds bound);

  std::unique_ptr<ServerFlavor> flavor_;
  std::vector<std::string> extra_args_;
  std::string work_dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tern::testing
