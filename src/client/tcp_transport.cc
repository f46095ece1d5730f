#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

#include "transport.h"

namespace tern::internal {
namespace {

// Tags in epoll_event.data: which descriptor fired.
constexpr uint32_t kSocketTag = 0;
constexpr uint32_t kWakeTag = 1;

class TcpTransport : public Transport {
 public:
  // epoll_fd watches fd and wake_fd (an eventfd) edge-triggered (see WaitReadable).
  TcpTransport(int fd, int epoll_fd, int wake_fd) : fd_(fd), epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}
  ~TcpTransport() override {
    ::close(epoll_fd_);
    ::close(wake_fd_);
    ::close(fd_);
  }

  long Read(char* buf, size_t size, std::chrono::milliseconds timeout) override {
    if (timeout.count() >= 0) {
      pollfd p{fd_, POLLIN, 0};
      int r;
      do {
        r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      } while (r < 0 && errno == EINTR);
      if (r == 0) {
        errno = ETIMEDOUT;
        return -1;
      }
      if (r < 0) return -1;
    }
    ssize_t n;
    do {
      n = ::recv(fd_, buf, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  long TryRead(char* buf, size_t size) override {
    ssize_t n;
    do {
      n = ::recv(fd_, buf, size, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    // The peer's FIN may have come with the last bytes, as one edge: this
    // read returns the bytes, short, and the EOF behind them would raise no
    // new event, so the reader would sleep on a dead socket. Queue the
    // wake-up the FIN no longer can (a client of a killed server hung so).
    if (n > 0 && static_cast<size_t>(n) < size && peer_closed_.load(std::memory_order_acquire)) Wake();
    return n;
  }

  // One epoll instance per socket, waited on by every would-be reader. Its
  // waiters are woken one per event, newest first (they queue exclusively at
  // the head), and edge-triggering keeps an event from also waking the
  // others, which level-triggering would do when it re-queues the item.
  Wait WaitReadable(std::chrono::milliseconds timeout) override {
    epoll_event ev;
    int r;
    do {
      r = ::epoll_wait(epoll_fd_, &ev, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r > 0) {
      if (ev.data.u32 == kWakeTag) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof(count));  // reset; each write is an edge of its own
      } else if ((ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        peer_closed_.store(true, std::memory_order_release);
      }
      return Wait::kReady;
    }
    return r == 0 ? Wait::kTimeout : Wait::kError;
  }

  // EPOLL_CTL_MOD re-polls the socket and queues an event if it is readable.
  void Rearm() override {
    epoll_event ev{};
    ev.events = kEvents;
    ev.data.u32 = kSocketTag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &ev);
  }

  void Wake() override {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }

  static constexpr uint32_t kEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

  bool WriteAll(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void Shutdown() override { ::shutdown(fd_, SHUT_RDWR); }

 private:
  int fd_;
  int epoll_fd_;
  int wake_fd_;
  std::atomic<bool> peer_closed_{false};  // an event said the peer is done sending
};

// Non-blocking connect bounded by the timeout, then back to blocking mode:
// the reader and writer threads each block on their own direction.
int ConnectWithTimeout(const addrinfo* ai, std::chrono::milliseconds timeout, std::string* error) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    *error = std::strerror(errno);
    return -1;
  }
  int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (r < 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      *error = "connect timed out";
      ::close(fd);
      return -1;
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    r = so_error == 0 ? 0 : -1;
    errno = so_error;
  }
  if (r < 0) {
    *error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, flags);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

std::string TransportError(const Transport& t, int saved_errno) {
  std::string why = t.LastError();
  return why.empty() ? std::strerror(saved_errno) : why;
}

Result<std::unique_ptr<Transport>> DialTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                                           std::chrono::milliseconds write_timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port_text = std::to_string(port);
  int gai = ::getaddrinfo(host.c_str(), port_text.c_str(), &hints, &res);
  if (gai != 0) return Status(Code::kConnectFailed, ::gai_strerror(gai));
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) fd = ConnectWithTimeout(ai, timeout, &error);
  ::freeaddrinfo(res);
  if (fd < 0) return Status(Code::kConnectFailed, error);
  if (write_timeout.count() > 0) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(write_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((write_timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = TcpTransport::kEvents;
  ev.data.u32 = kSocketTag;
  epoll_event wake{};
  wake.events = EPOLLIN | EPOLLET;
  wake.data.u32 = kWakeTag;
  if (epoll_fd < 0 || wake_fd < 0 || ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ||
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &wake) < 0) {
    std::string why = std::strerror(errno);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    ::close(fd);
    return Status(Code::kConnectFailed, "epoll: " + why);
  }
  return std::unique_ptr<Transport>(std::make_unique<TcpTransport>(fd, epoll_fd, wake_fd));
}

}  // namespace tern::internal
