#include "conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tern::loadgen {
namespace {

// Short enough that loops notice deadlines and stop flags promptly, long
// enough that an idle reader costs nothing.
constexpr int kSocketTimeoutMs = 20;

void SetTimeout(int fd, int option, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv));
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Conn::~Conn() { Close(); }

void Conn::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Conn::Dial(const std::string& host, int port, Deadline deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    error_ = "not an IPv4 address: " + host;
    return false;
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = Errno("socket");
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  SetTimeout(fd_, SO_SNDTIMEO, static_cast<int>(left > 0 ? left : 1));  // bounds connect() too
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    error_ = Errno("connect");
    Close();
    return false;
  }
  SetTimeout(fd_, SO_SNDTIMEO, kSocketTimeoutMs);
  SetTimeout(fd_, SO_RCVTIMEO, kSocketTimeoutMs);
  buf_ = std::make_unique<char[]>(kReadBuffer);
  have_ = 0;
  return true;
}

bool Conn::Handshake(std::string_view extra, Deadline deadline) {
  std::string hello(kConnectLine);
  hello.append(extra);
  if (!SendAll(hello, deadline)) return false;
  struct Ignore {
    void OnMsg(const MsgFrame&) {}
    void OnPong() {}
  } ignore;
  return RoundTrip(ignore, deadline);
}

bool Conn::SendAll(std::string_view bytes, Deadline deadline, const std::atomic<bool>* cancel) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::send(fd_, p, left, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Clock::now() >= deadline) {
        error_ = "timeout writing to server";
        return false;
      }
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        error_ = "cancelled";
        return false;
      }
      continue;
    }
    error_ = Errno("send");
    return false;
  }
  return true;
}

Conn::PumpResult Conn::ReadSome(size_t* got) {
  ssize_t n = ::recv(fd_, buf_.get() + have_, kReadBuffer - have_, 0);
  if (n > 0) {
    *got = static_cast<size_t>(n);
    return PumpResult::kData;
  }
  if (n == 0) {
    if (error_.empty()) error_ = "server closed the connection";
    return PumpResult::kClosed;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return PumpResult::kIdle;
  error_ = Errno("recv");
  return PumpResult::kError;
}

bool Conn::AfterFeed(size_t total, size_t consumed) {
  if (scanner_.failed()) {
    error_ = "malformed frame from server";
    return false;
  }
  have_ = total - consumed;
  if (have_ == kReadBuffer) {
    error_ = "control line longer than the read buffer";
    return false;
  }
  if (have_ > 0) std::memmove(buf_.get(), buf_.get() + consumed, have_);
  return true;
}

}  // namespace tern::loadgen
