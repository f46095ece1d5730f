#include "server/listener.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "io/socket.h"
#include "server/endpoint.h"
#include "server/server.h"

namespace tern::server {

namespace {
// Bounded so one listener's storm cannot monopolise the acceptor's turn.
constexpr int kMaxAcceptsPerEvent = 256;
constexpr int kBacklog = 4096;
}  // namespace


base::Result<std::unique_ptr<Listener>> Listener::Bind(Server& server, Endpoint& endpoint) {
  // As in nats-server: -1 picks any free port.
  auto fd = io::Listen(endpoint.host, endpoint.port < 0 ? 0 : endpoint.port, kBacklog);
  if (!fd.ok()) return base::Status(endpoint.name + " listener: " + fd.message());
  endpoint.port = io::LocalPort(*fd);
  return std::unique_ptr<Listener>(new Listener(server, endpoint, *fd));
}

Listener::Listener(Server& server, const Endpoint& endpoint, int fd)
    : server_(server), endpoint_(endpoint), fd_(fd), reserve_fd_(open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

base::Status Listener::Register(io::EventLoop& loop) { return loop.Add(fd_, EPOLLIN, this); }

void Listener::OnEvents(uint32_t) {
  for (int i = 0; i < kMaxAcceptsPerEvent && fd_ >= 0; ++i) {
    int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      server_.Dispatch(fd, endpoint_);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
      // Out of descriptors: the pending connection would keep the
      // level-triggered listener ready forever. Spend the reserve descriptor
      // to accept and drop it, so we shed load instead of spinning.
      ::close(reserve_fd_);
      int dropped = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (dropped >= 0) ::close(dropped);
      reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
      log::Error("accept: out of file descriptors, connection refused");
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) log::Error("accept failed: errno {}", errno);
    return;
  }
}

void Listener::Close(io::EventLoop& loop) {
  if (fd_ < 0) return;
  loop.Remove(fd_);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace tern::server
