#include "tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace tern::testing {
namespace {

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Moves what is readable on `from` to `to`; false when either end is done.
bool Pump(int from, int to) {
  char buf[64 * 1024];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::send(to, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
    if (w <= 0) {
      if (w < 0 && errno == EINTR) continue;
      return false;
    }
    off += w;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  CloseAll();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::set_mode(Mode mode) {
  mode_ = mode;
  if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
}

void TcpProxy::CloseAll() {
  for (const Link& l : links_) {
    ::close(l.client);
    ::close(l.server);
  }
  links_.clear();
}

void TcpProxy::Run() {
  while (!stop_) {
    const Mode mode = mode_.load();
    if (mode == Mode::kCut) CloseAll();
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (mode == Mode::kForward) {
      for (const Link& l : links_) {
        fds.push_back({l.client, POLLIN, 0});
        fds.push_back({l.server, POLLIN, 0});
      }
    }
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    if (fds[1].revents & POLLIN) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
    }
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        ++accepted_;
        if (mode == Mode::kCut) {
          ::close(client);
        } else {
          // Blackholed, a new link still connects (as a partitioned
          // network's TCP stack would not, but a half-dead one does).
          int server = ConnectTo(target_);
          if (server < 0) {
            ::close(client);
          } else {
            links_.push_back({client, server});
          }
        }
      }
    }
    if (mode != Mode::kForward) continue;
    std::vector<size_t> dead;
    const size_t polled = (fds.size() - 2) / 2;  // a link accepted just now was not polled
    for (size_t i = 0; i < polled; ++i) {
      const pollfd& c = fds[2 + 2 * i];
      const pollfd& s = fds[3 + 2 * i];
      bool ok = true;
      if (c.revents & (POLLIN | POLLHUP | POLLERR)) ok = Pump(links_[i].client, links_[i].server);
      if (ok && (s.revents & (POLLIN | POLLHUP | POLLERR))) ok = Pump(links_[i].server, links_[i].client);
      if (!ok) dead.push_back(i);
    }
    for (size_t k = dead.size(); k-- > 0;) {
      const Link l = links_[dead[k]];
      ::close(l.client);
      ::close(l.server);
      links_.erase(links_.begin() + static_cast<std::ptrdiff_t>(dead[k]));
    }
  }
}

}  // namespace tern::testing
