// A third-party command-line client (openssl s_client and the like) driven
// through pipes: write its stdin, wait for a string in its output (stdout
// and stderr together), with deadlines throughout. The destructor kills
// what is still running, so a stuck tool cannot outlive its test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is looked up on PATH. False with why in *error.
  bool Start(const std::vector<std::string>& argv, std::string* error);
  bool Write(std::string_view data);
  void CloseStdin();
  // True once `needle` is in output() (reading as needed until the timeout).
  bool WaitForOutput(std::string_view needle, std::chrono::milliseconds timeout);
  // Exit code once it exits (reading its output meanwhile); nullopt if it
  // had to be killed at the timeout or died by a signal.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  const std::string& output() const { return output_; }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string output_;
};

}  // namespace tern::testing
