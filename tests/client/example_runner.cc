// Runs one example program against a server started for it:
//   client_example_runner /path/to/example
// The example gets the server URL as its only argument; its exit code is ours.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "test_server.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s EXAMPLE_BINARY\n", argv[0]);
    return 2;
  }
  tern::testing::TestServer server;
  if (!server.Start()) {
    std::fprintf(stderr, "server did not start:\n%s\n", server.LogTail().c_str());
    return 1;
  }
  std::string url = server.url();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(argv[1], argv[1], url.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  server.Stop();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "example died by signal %d\n", WTERMSIG(status));
  return 1;
}
