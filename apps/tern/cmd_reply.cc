// tern reply SUBJECT [ANSWER]: answer requests with a fixed text, the
// request itself (--echo) or a shell command's output (--command).
//
// Requests are taken from a channel subscription and answered one at a time
// on the main thread, so a --command never runs twice at once.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "tern/subscription.h"

extern char** environ;

namespace tern::cli {
namespace {

struct CommandResult {
  bool started = false;
  bool timed_out = false;
  int exit_status = -1;  // exit code, or 128 + signal
  std::string output;
  std::string error;
};

// Runs `sh -c command` with input on stdin and the request's subject in
// TERN_SUBJECT; collects stdout. Killed at the deadline.
CommandResult RunCommand(const std::string& command, const Message& request, std::chrono::milliseconds timeout) {
  CommandResult r;
  // Everything the child needs is built before fork(): the library's threads
  // are running, so the child may only call async-signal-safe functions.
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "TERN_SUBJECT=", 13) != 0 && std::strncmp(*e, "TERN_REPLY=", 11) != 0)
      env_store.emplace_back(*e);
  }
  env_store.push_back("TERN_SUBJECT=" + request.subject);
  env_store.push_back("TERN_REPLY=" + request.reply);
  std::vector<char*> envp;
  for (auto& s : env_store) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};

  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return r;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return r;
  }
  if (pid == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    ::_exit(127);
  }
  r.started = true;
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  int in_fd = in_pipe[1];
  int out_fd = out_pipe[0];
  ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (request.data.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Feed stdin and drain stdout together: a command that writes a lot before
  // reading all its input would otherwise deadlock with us.
  while (out_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    int n = ::poll(fds, in_fd >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (in_fd >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      ssize_t w = ::write(in_fd, request.data.data() + written, request.data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) written = request.data.size();  // EPIPE: it stopped reading
      if (written == request.data.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      char buf[16384];
      ssize_t got = ::read(out_fd, buf, sizeof buf);
      if (got > 0) {
        r.output.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (r.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  // stdout closed does not mean exited; bound the wait for the exit too.
  for (;;) {
    pid_t done = ::waitpid(pid, &status, r.timed_out ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.exit_status = 128 + WTERMSIG(status);
  return r;
}

}  // namespace

int RunReply(const GlobalOptions& g, const ReplyOptions& o) {
  const int modes = (o.echo ? 1 : 0) + (o.command.empty() ? 0 : 1) + (o.answer ? 1 : 0);
  if (modes > 1) return Fail(kExitUsage, "give only one of ANSWER, --echo and --command");
  Headers extra;
  std::string error;
  if (!ParseHeaders(o.headers, &extra, &error)) return Fail(kExitUsage, error);

  InstallStopHandler();
  ::signal(SIGPIPE, SIG_IGN);  // a --command that exits without reading its stdin
  auto watch = std::make_shared<EventWatch>(true);
  int code = kExitOk;
  auto conn = Connect(g, &code, MakeOptions(g, watch));
  if (!conn) return code;
  auto sub = conn->SubscribeChannel(o.subject, 65536, o.queue);
  if (!sub.ok()) return Fail("subscribe to " + o.subject, sub.status());
  if (Status s = conn->Flush(std::max(g.connect_timeout, std::chrono::milliseconds(1000))); !s.ok()) {
    return Fail("subscribe to " + o.subject, s);
  }
  std::fprintf(stderr, "Listening for requests on \"%s\"%s%s\n", o.subject.c_str(),
               o.queue.empty() ? "" : " in queue group ", o.queue.c_str());
  std::fflush(stderr);

  uint64_t n = 0;
  bool closed = false;
  while (!StopRequested() && (o.count == 0 || n < o.count)) {
    auto m = sub->Next(std::chrono::milliseconds(200));
    if (!m.ok()) {
      if (m.code() == Code::kTimeout) continue;
      closed = true;
      break;
    }
    if (m->reply.empty()) {
      std::fprintf(stderr, "tern: ignoring a message on \"%s\" without a reply subject\n", m->subject.c_str());
      continue;
    }
    ++n;
    if (!o.quiet) {
      std::printf("[#%llu] Received on \"%s\"\n%s\n\n", static_cast<unsigned long long>(n), m->subject.c_str(),
                  m->data.c_str());
      std::fflush(stdout);
    }
    if (o.sleep.count() > 0) std::this_thread::sleep_for(o.sleep);
    Message answer;
    answer.subject = m->reply;
    if (o.echo) {
      answer.headers = m->headers;
      answer.data = m->data;
    } else if (!o.command.empty()) {
      CommandResult r = RunCommand(o.command, *m, o.command_timeout);
      if (!r.started) {
        std::fprintf(stderr, "tern: cannot run command: %s\n", r.error.c_str());
        continue;
      }
      if (r.timed_out) {
        // No answer rather than a partial one: the requester sees a timeout.
        std::fprintf(stderr, "tern: command did not finish within %s; killed, not answering\n",
                     HumanDuration(o.command_timeout).c_str());
        continue;
      }
      if (r.exit_status != 0) std::fprintf(stderr, "tern: command exited with status %d\n", r.exit_status);
      answer.data = std::move(r.output);
    } else if (o.answer) {
      answer.data = ExpandCount(*o.answer, n);
    }
    for (const auto& [key, value] : extra) answer.headers.Add(key, value);
    if (Status s = conn->Publish(answer); !s.ok()) {
      std::fprintf(stderr, "tern: reply to %s: %s\n", answer.subject.c_str(), s.ToString().c_str());
      if (s.code() == Code::kClosed) {
        closed = true;
        break;
      }
    }
  }
  // Let the last answers reach the server before the socket closes.
  (void)sub->Unsubscribe();
  (void)conn->Flush(std::chrono::milliseconds(2000));
  (void)conn->Close();
  if (closed && !StopRequested()) return Fail(kExitConnect, "connection closed");
  if (Status err = watch->server_error(); !err.ok()) return kExitServerError;
  return kExitOk;
}

}  // namespace tern::cli
