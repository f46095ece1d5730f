// tern passwd: a bcrypt hash for authorization.users[].password (or the
// token), as `nats server passwd` makes one. The password is read from the
// terminal without echo (twice), or as one line from a pipe; --pass exists
// for scripts but leaves the password in the shell history and `ps`.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "common.h"
#include "server/auth/bcrypt.h"

namespace tern::cli {
namespace {

bool ReadHidden(const char* prompt, std::string* out) {
  std::fprintf(stderr, "%s", prompt);
  termios old{};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  bool ok = static_cast<bool>(std::getline(std::cin, *out));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return ok;
}

}  // namespace

int RunPasswd(const PasswdOptions& o) {
  std::string password = o.password;
  if (password.empty()) {
    if (::isatty(STDIN_FILENO)) {
      std::string again;
      if (!ReadHidden("Password: ", &password) || !ReadHidden("Again: ", &again)) return kExitUsage;
      if (password != again) {
        std::fprintf(stderr, "tern passwd: the two passwords differ\n");
        return kExitUsage;
      }
    } else if (!std::getline(std::cin, password)) {
      std::fprintf(stderr, "tern passwd: no password on standard input\n");
      return kExitUsage;
    }
  }
  // nats-server refuses passwords shorter than this with `nats server passwd`;
  // a short one is a guessable one whatever the hash.
  if (password.size() < 8 && !o.allow_short) {
    std::fprintf(stderr, "tern passwd: password shorter than 8 characters (--allow-short to accept it)\n");
    return kExitUsage;
  }
  auto hash = server::auth::BcryptHash(password, o.cost);
  if (!hash.ok()) {
    std::fprintf(stderr, "tern passwd: %s\n", hash.message().c_str());
    return kExitUsage;
  }
  std::printf("%s\n", hash.value().c_str());
  return kExitOk;
}

}  // namespace tern::cli
