// Many idle connections: open config.conns nonblocking connections from one
// epoll loop, each sending CONNECT + one SUB on its own subject + PING, and
// count a connection ready at its PONG (so its subscription exists). After the
// report, the connections are held (answering server PINGs) until stdin closes
// or hold_s passes, so a driver can read the server's memory meanwhile.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "conn.h"
#include "report.h"
#include "scenarios.h"

namespace tern::loadgen {
namespace {

// Connections between connect() and PONG at once; enough to keep the server
// busy, few enough not to overflow its accept backlog.
constexpr int kMaxInFlight = 256;
constexpr uint64_t kStdinTag = UINT64_MAX;

enum class State : uint8_t { kClosed, kConnecting, kAwaitPong, kReady };

struct Slot {
  int fd = -1;
  State state = State::kClosed;
  std::string in;  // bytes received before the PONG (INFO, then PONG)
};

class IdleRun {
 public:
  explicit IdleRun(const Config& config) : config_(config), slots_(static_cast<size_t>(config.conns)) {}
  ~IdleRun() {
    for (Slot& s : slots_) {
      if (s.fd >= 0) ::close(s.fd);
    }
    if (epoll_ >= 0) ::close(epoll_);
  }

  // Opens every connection; false with error_ set on the first failure.
  bool OpenAll(Deadline deadline);
  // Holds until stdin closes or `until`; returns connections still open.
  int Hold(Deadline until);
  const std::string& error() const { return error_; }

 private:
  bool OpenNext();
  bool OnEvent(size_t index, uint32_t events);
  bool ReadInto(Slot& slot, bool* closed);

  const Config& config_;
  std::vector<Slot> slots_;
  sockaddr_in addr_{};
  int epoll_ = -1;
  size_t opened_ = 0;
  int in_flight_ = 0;
  size_t ready_ = 0;
  std::string error_;
};

bool IdleRun::OpenAll(Deadline deadline) {
  addr_.sin_family = AF_INET;
  addr_.sin_port = htons(static_cast<uint16_t>(config_.port));
  if (inet_pton(AF_INET, config_.host.c_str(), &addr_.sin_addr) != 1) {
    error_ = "not an IPv4 address: " + config_.host;
    return false;
  }
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    error_ = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  std::vector<epoll_event> events(1024);
  while (ready_ < slots_.size()) {
    while (opened_ < slots_.size() && in_flight_ < kMaxInFlight) {
      if (!OpenNext()) return false;
    }
    if (Clock::now() >= deadline) {
      error_ = fmt::format("timeout: {} of {} connections ready", ready_, slots_.size());
      return false;
    }
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    if (n < 0 && errno != EINTR) {
      error_ = std::string("epoll_wait: ") + std::strerror(errno);
      return false;
    }
    for (int i = 0; i < n; ++i) {
      if (!OnEvent(events[i].data.u64, events[i].events)) return false;
    }
  }
  return true;
}

bool IdleRun::OpenNext() {
  size_t index = opened_++;
  Slot& slot = slots_[index];
  slot.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (slot.fd < 0) {
    error_ = fmt::format("socket #{}: {}", index, std::strerror(errno));
    return false;
  }
  int rc = ::connect(slot.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_));
  if (rc != 0 && errno != EINPROGRESS) {
    error_ = fmt::format("connect #{}: {}", index, std::strerror(errno));
    return false;
  }
  slot.state = State::kConnecting;
  ++in_flight_;
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLIN;
  ev.data.u64 = index;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, slot.fd, &ev) != 0) {
    error_ = fmt::format("epoll_ctl #{}: {}", index, std::strerror(errno));
    return false;
  }
  return true;
}

// Drains the socket into slot.in; answers PINGs once ready.
bool IdleRun::ReadInto(Slot& slot, bool* closed) {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(slot.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      std::string_view chunk(buf, static_cast<size_t>(n));
      if (slot.state == State::kReady) {
        if (chunk.find("PING\r\n") != std::string_view::npos) {
          (void)!::send(slot.fd, "PONG\r\n", 6, MSG_NOSIGNAL);
        }
      } else {
        slot.in.append(chunk);
      }
      continue;
    }
    if (n == 0) {
      *closed = true;
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    if (errno == EINTR) continue;
    error_ = std::string("recv: ") + std::strerror(errno);
    return false;
  }
}

bool IdleRun::OnEvent(size_t index, uint32_t events) {
  Slot& slot = slots_[index];
  if (slot.state == State::kConnecting) {
    if ((events & EPOLLOUT) == 0 && (events & (EPOLLERR | EPOLLHUP)) == 0) return true;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      error_ = fmt::format("connect #{}: {}", index, std::strerror(err));
      return false;
    }
    std::string hello(kConnectLine);
    hello += fmt::format("SUB idle.{} 1\r\nPING\r\n", index);
    ssize_t n = ::send(slot.fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(hello.size())) {
      error_ = fmt::format("send #{}: {}", index, n < 0 ? std::strerror(errno) : "short write");
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, slot.fd, &ev);
    slot.state = State::kAwaitPong;
    // The server may already have answered; fall through to read.
  }
  bool closed = false;
  if (!ReadInto(slot, &closed)) return false;
  if (slot.state == State::kAwaitPong) {
    size_t err = slot.in.find("-ERR");
    if (err != std::string::npos) {
      size_t end = slot.in.find('\r', err);
      error_ = fmt::format("connection #{}: {}", index, slot.in.substr(err, end - err));
      return false;
    }
    if (slot.in.find("PONG\r\n") != std::string::npos) {
      slot.state = State::kReady;
      std::string().swap(slot.in);
      --in_flight_;
      ++ready_;
    }
  }
  if (closed) {
    error_ = fmt::format("server closed connection #{}", index);
    return false;
  }
  return true;
}

int IdleRun::Hold(Deadline until) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStdinTag;
  // Fails for a regular file or /dev/null on stdin: then hold for the full time.
  (void)epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
  std::vector<epoll_event> events(1024);
  int open = static_cast<int>(ready_);
  while (Clock::now() < until) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kStdinTag) {
        char buf[256];
        (void)!::read(STDIN_FILENO, buf, sizeof(buf));  // a line or EOF: either ends the hold
        return open;
      }
      Slot& slot = slots_[events[i].data.u64];
      bool closed = false;
      if (slot.fd >= 0 && (!ReadInto(slot, &closed) || closed)) {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, slot.fd, nullptr);
        ::close(slot.fd);
        slot.fd = -1;
        --open;
      }
    }
  }
  return open;
}

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int RunIdle(const Config& config) {
  Report report("idle");
  report.Str("label", config.label);
  report.Int("conns", config.conns);
  RaiseFileLimit();
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (config.conns < 1 || static_cast<rlim_t>(config.conns) + 32 > limit.rlim_cur) {
    report.Fail(fmt::format("cannot open {} connections with a file limit of {}", config.conns,
                            static_cast<uint64_t>(limit.rlim_cur)));
    report.Print("");
    return kExitFailed;
  }
  Deadline deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_s));
  IdleRun run(config);
  int64_t t0 = NowNs();
  double cpu0 = ProcessCpuSeconds();
  bool ok = run.OpenAll(deadline);
  double secs = static_cast<double>(NowNs() - t0) * 1e-9;
  double cpu_s = ProcessCpuSeconds() - cpu0;
  report.Num("seconds", secs);
  report.Num("conns_per_sec", secs > 0 ? config.conns / secs : 0);
  report.Num("loadgen_cpu_pct", secs > 0 ? 100 * cpu_s / secs : 0);
  if (!ok) report.Fail(run.error());
  report.Print(fmt::format("idle: {} connections with one SUB each ready in {:.3f} s ({:.0f} conns/s)", config.conns,
                           secs, secs > 0 ? config.conns / secs : 0));
  if (!ok) return run.error().rfind("timeout", 0) == 0 ? kExitTimeout : kExitFailed;
  if (config.hold_s > 0) {
    auto until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.hold_s));
    int open = run.Hold(until);
    std::printf("# hold ended: %d of %d connections still open\n", open, config.conns);
    std::fflush(stdout);
    if (open != config.conns) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tern::loadgen
