#include "byte_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern::testing {

int RemainingMs(Deadline deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool WaitFor(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string Show(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::unique_ptr<TcpStream> TcpStream::Connect(const std::string& host, int port, int recv_buffer, Deadline deadline,
                                              std::string* error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  auto stream = std::make_unique<TcpStream>(fd);
  if (recv_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buffer, sizeof(recv_buffer));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "not an IPv4 address: " + host;
    return nullptr;
  }
  const std::string where = "connect to " + host + ":" + std::to_string(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      *error = where + ": " + std::strerror(errno);
      return nullptr;
    }
    if (!WaitFor(fd, POLLOUT, deadline)) {
      *error = where + " timed out";
      return nullptr;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      *error = where + ": " + std::strerror(err);
      return nullptr;
    }
  }
  return stream;
}

TcpStream::~TcpStream() {
  if (fd_ >= 0) ::close(fd_);
}

IoStatus TcpStream::Write(std::string_view data, Deadline deadline, std::string* error) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd_, POLLOUT, deadline)) {
        *error = "send timed out after " + std::to_string(off) + " of " + std::to_string(data.size()) + " bytes";
        return IoStatus::kTimeout;
      }
      continue;
    }
    *error = "send failed after " + std::to_string(off) + " bytes: " + std::strerror(errno);
    return errno == EPIPE || errno == ECONNRESET ? IoStatus::kClosed : IoStatus::kError;
  }
  return IoStatus::kOk;
}

IoStatus TcpStream::Read(std::string* out, Deadline deadline, std::string* error) {
  char tmp[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      out->append(tmp, static_cast<size_t>(n));
      return IoStatus::kOk;
    }
    if (n == 0) {
      *error = "connection closed by server";
      return IoStatus::kClosed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (RemainingMs(deadline) == 0 || !WaitFor(fd_, POLLIN, deadline)) {
        *error = "timed out";
        return IoStatus::kTimeout;
      }
      continue;
    }
    *error = std::string("recv: ") + std::strerror(errno);
    return errno == ECONNRESET ? IoStatus::kClosed : IoStatus::kError;
  }
}

void TcpStream::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

}  // namespace tern::testing
