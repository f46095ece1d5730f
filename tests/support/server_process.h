// A real server process on free loopback ports, for black-box tests.
//
// Start() picks a port by binding port 0 and releasing it (a second one for
// a WebSocket listener), execs the server, and waits until every configured
// port listens. If the server dies first (most often
// because another process took the port in between), it retries on a fresh
// port. The destructor stops it with SIGTERM and records a test failure if it
// does not exit with the flavour's code in time (SIGKILL after a bound), so a
// server that hangs or crashes on shutdown fails the test that started it.
// The server's stderr goes to a file whose tail is printed when a test fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server_flavor.h"

namespace tern::testing {

class ServerProcess {
 public:
  ServerProcess(const ServerFlavor& flavor, ServerLimits limits = {}, std::vector<std::string> extra_args = {},
                ServerListeners listeners = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // False (with the reason in error()) if no attempt came up within the bound.
  bool Start(std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  // Sends SIGTERM and waits up to `bound`, then SIGKILLs. Returns the exit
  // code, or nullopt if it had to be killed or died by a signal. Idempotent:
  // later calls return the first result.
  std::optional<int> Stop(std::chrono::milliseconds bound = std::chrono::seconds(5));
  // How long the last Stop() waited for the process to exit.
  std::chrono::milliseconds stop_duration() const { return stop_duration_; }

  // False once the process has exited; an exit nobody asked for fails the test.
  bool IsRunning();
  void Signal(int signo);

  int port() const { return port_; }
  int websocket_port() const { return websocket_port_; }  // 0 without a websocket listener
  pid_t pid() const { return pid_; }
  const std::string& host() const { return host_; }
  std::string url() const;  // nats://127.0.0.1:PORT
  const std::string& flavor_name() const { return flavor_name_; }
  const std::string& error() const { return error_; }
  // Start() failed because tern has the websocket flags but not the listener yet.
  bool websocket_not_built() const { return websocket_not_built_; }
  const std::string& stderr_path() const { return stderr_path_; }
  std::string StderrTail(size_t max_bytes = 4000) const;

  // Whether the destructor checks the exit code (off for tests that kill it).
  void set_check_exit(bool check) { check_exit_ = check; }

 private:
  bool SpawnOnce(int port, int websocket_port);
  bool WaitExit(std::chrono::milliseconds bound, int* status);

  std::unique_ptr<ServerFlavor> flavor_;
  std::string flavor_name_;
  ServerLimits limits_;
  std::vector<std::string> extra_args_;
  ServerListeners listeners_;
  std::string host_ = "127.0.0.1";
  std::string work_dir_;
  std::string stderr_path_;
  std::string error_;
  int port_ = 0;
  int websocket_port_ = 0;
  pid_t pid_ = -1;
  bool stopped_ = false;
  bool check_exit_ = true;
  bool crashed_ = false;  // exited without being asked to
  bool websocket_not_built_ = false;
  std::optional<int> exit_code_;
  std::chrono::milliseconds stop_duration_{0};
};

// Binds 127.0.0.1:0, reads the port the kernel chose, and releases it.
int PickFreePort();
// Raises this process's open-file soft limit to the hard limit (children
// inherit it); tests with thousands of sockets call it. Returns the new limit.
long RaiseFdLimit();

}  // namespace tern::testing
