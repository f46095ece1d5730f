#include "server/cluster/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace tern::server {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

base::Result<int> Connect(const std::string& host, int port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    return base::Status("resolve " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
  if (fd < 0) return base::Status::FromErrno("socket");
  if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
    auto s = base::Status::FromErrno("connect to " + host + ":" + std::to_string(port));
    close(fd);
    return s;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t len = sizeof error;
  if (poll(&p, 1, MillisLeft(deadline)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close(fd);
    return base::Status("connect to " + host + ":" + std::to_string(port) + ": " +
                        (error != 0 ? std::strerror(error) : "timed out"));
  }
  return fd;
}

bool WriteAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, MillisLeft(deadline)) != 1) return false;
      continue;
    }
    return false;
  }
  return true;
}

// Appends what arrives within the deadline; 0 on timeout, -1 on close/error.
ssize_t ReadSome(int fd, std::string* into, Clock::time_point deadline) {
  pollfd p{fd, POLLIN, 0};
  int r = poll(&p, 1, MillisLeft(deadline));
  if (r == 0) return 0;
  if (r < 0) return errno == EINTR ? 0 : -1;
  char buf[16 * 1024];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
  into->append(buf, static_cast<size_t>(n));
  return n;
}

std::string Request(const std::string& host, int port, const std::string& path, const std::string& body) {
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  return req + body;
}

struct Head {
  int status = 0;
  long content_length = -1;
  bool chunked = false;
};

// Reads up to the end of the response head; leaves the rest in *raw.
bool ReadHead(int fd, std::string* raw, Head* head, Clock::time_point deadline) {
  size_t end;
  while ((end = raw->find("\r\n\r\n")) == std::string::npos) {
    if (raw->size() > 64 * 1024 || ReadSome(fd, raw, deadline) <= 0) return false;
  }
  std::string text = raw->substr(0, end);
  raw->erase(0, end + 4);
  if (text.size() < 12 || !text.starts_with("HTTP/1.")) return false;
  head->status = std::atoi(text.c_str() + 9);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (size_t at = text.find("\r\ncontent-length:"); at != std::string::npos) {
    head->content_length = std::atol(text.c_str() + at + 17);
  }
  head->chunked = text.find("\r\ntransfer-encoding: chunked") != std::string::npos;
  return true;
}

// One step of chunked decoding from *raw into *body; false when more bytes
// are needed, true when a chunk (or the end) was taken. *done at the end.
bool DechunkOnce(std::string* raw, std::string* body, bool* done) {
  size_t eol = raw->find("\r\n");
  if (eol == std::string::npos) return false;
  const size_t size = std::strtoul(raw->c_str(), nullptr, 16);
  if (size == 0) {
    *done = true;
    raw->clear();
    return true;
  }
  if (raw->size() < eol + 2 + size + 2) return false;
  body->append(*raw, eol + 2, size);
  raw->erase(0, eol + 2 + size + 2);
  return true;
}

}  // namespace

base::Result<HttpResponse> HttpPost(const std::string& host, int port, const std::string& path, const std::string& body,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto fd = Connect(host, port, deadline);
  if (!fd.ok()) return fd.status();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{*fd};
  if (!WriteAll(*fd, Request(host, port, path, body), deadline)) return base::Status("write to etcd failed");
  std::string raw;
  Head head;
  if (!ReadHead(*fd, &raw, &head, deadline)) return base::Status("no HTTP response from " + host);
  HttpResponse response;
  response.status = head.status;
  if (head.chunked) {
    bool done = false;
    while (!done) {
      while (!done && DechunkOnce(&raw, &response.body, &done)) {
      }
      if (!done && ReadSome(*fd, &raw, deadline) <= 0) return base::Status("HTTP response cut short");
    }
  } else if (head.content_length >= 0) {
    while (raw.size() < static_cast<size_t>(head.content_length)) {
      if (ReadSome(*fd, &raw, deadline) <= 0) return base::Status("HTTP response cut short");
    }
    response.body = raw.substr(0, static_cast<size_t>(head.content_length));
  } else {
    while (ReadSome(*fd, &raw, deadline) > 0) {
    }
    response.body = std::move(raw);
  }
  return response;
}

base::Result<std::unique_ptr<HttpStream>> HttpStream::Open(const std::string& host, int port, const std::string& path,
                                                           const std::string& body,
                                                           std::chrono::milliseconds connect_timeout) {
  const auto deadline = Clock::now() + connect_timeout;
  auto fd = Connect(host, port, deadline);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<HttpStream> stream(new HttpStream(*fd));
  if (!WriteAll(*fd, Request(host, port, path, body), deadline)) return base::Status("write to etcd failed");
  Head head;
  if (!ReadHead(*fd, &stream->raw_, &head, deadline)) return base::Status("no HTTP response from " + host);
  if (head.status != 200) return base::Status("etcd answered HTTP " + std::to_string(head.status));
  stream->chunked_ = head.chunked;
  return stream;
}

HttpStream::~HttpStream() { close(fd_); }

bool HttpStream::Decode() {
  if (!chunked_) {
    body_.append(raw_);
    raw_.clear();
    return true;
  }
  while (!done_ && DechunkOnce(&raw_, &body_, &done_)) {
  }
  return true;
}

HttpStream::Read HttpStream::ReadLine(std::chrono::milliseconds wait, std::string* line) {
  const auto deadline = Clock::now() + wait;
  for (;;) {
    Decode();
    if (size_t nl = body_.find('\n'); nl != std::string::npos) {
      line->assign(body_, 0, nl);
      body_.erase(0, nl + 1);
      return Read::kLine;
    }
    if (done_) return Read::kClosed;
    ssize_t n = ReadSome(fd_, &raw_, deadline);
    if (n < 0) return Read::kClosed;
    if (n == 0) return Read::kTimeout;
  }
}

}  // namespace tern::server
