#include "test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_process.h"  // PickFreePort

namespace tern::testing {

std::unique_ptr<ServerFlavor> ClientTestFlavor() {
  const char* v = std::getenv("TERN_CLIENT_TEST_SERVER");
  std::string choice = (v != nullptr && *v != '\0') ? v : "nats";
  if (choice == "nats" || choice == "tern") return MakeFlavor(choice);
  std::string base = choice.substr(choice.find_last_of('/') + 1);
  if (base.find("tern") != std::string::npos) {
    ::setenv("TERN_SERVER_BIN", choice.c_str(), 1);
    return MakeFlavor("tern");
  }
  ::setenv("NATS_SERVER_BIN", choice.c_str(), 1);
  return MakeFlavor("nats");
}

TestServer::TestServer(std::vector<std::string> extra_args)
    : flavor_(ClientTestFlavor()), extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/tern-client-test-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  work_dir_ = dir != nullptr ? dir : "/tmp";
}

TestServer::~TestServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

namespace {

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool TestServer::Start(std::chrono::milliseconds ready_timeout) {
  if (pid_ > 0) return true;
  bool fixed_port = port_ != 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!fixed_port) port_ = PickFreePort();
    std::vector<std::string> args = flavor_->BuildArgs("127.0.0.1", port_, {}, work_dir_);
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::string binary = flavor_->BinaryPath();
    std::string log = work_dir_ + "/server.log";
    // Built before fork: the child of a process with other threads running
    // (a client reconnecting) may only make async-signal-safe calls, and a
    // malloc there can hang on a lock another thread held at the fork (seen
    // under ASan: the restarted server never ran).
    std::vector<char*> argv;
    argv.push_back(binary.data());
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // died (port taken?): try again
      }
      if (Accepts(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      Stop();
      return false;
    }
    // The old port may linger briefly after a kill; retry the same one.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

void TestServer::Reap(std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void TestServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  Reap(std::chrono::seconds(5));
}

void TestServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  Reap(std::chrono::seconds(5));
}

bool TestServer::HelpMentions(const std::string& text) const {
  std::string command = "'" + flavor_->BinaryPath() + "' --help 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  std::string help;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) help.append(buf, n);
  ::pclose(pipe);
  return help.find(text) != std::string::npos;
}

std::string TestServer::LogTail() const {
  std::ifstream in(work_dir_ + "/server.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 3000 ? s.substr(s.size() - 3000) : s;
}

}  // namespace tern::testing
