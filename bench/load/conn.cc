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

bool Conn::Dial(const Endpoint& endpoint, Deadline deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(endpoint.port));
  if (inet_pton(AF_INET, endpoint.host.c_str(), &addr.sin_addr) != 1) {
    error_ = "not an IPv4 address: " + endpoint.host;
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
  switch (endpoint.transport) {
    case Transport::kTcp:
      return true;
    case Transport::kTls:
      return ReadInfoForTls(deadline) && StartTls(endpoint, deadline);
    case Transport::kWs:
      return Upgrade(endpoint, deadline);
    case Transport::kWss:
      return StartTls(endpoint, deadline) && Upgrade(endpoint, deadline);
  }
  return false;
}

bool Conn::ReadInfoForTls(Deadline deadline) {
  // The server says INFO in plain text and then waits for our ClientHello,
  // so a plain read cannot take any TLS bytes with the INFO.
  std::string info;
  while (info.find("\r\n") == std::string::npos) {
    if (Clock::now() >= deadline) {
      error_ = "timeout waiting for INFO";
      return false;
    }
    size_t got = 0;
    PumpResult result = ReadSome(&got);
    if (result == PumpResult::kClosed || result == PumpResult::kError) return false;
    info.append(buf_.get(), got);
    if (info.size() > kReadBuffer / 2) {
      error_ = "INFO line too long";
      return false;
    }
  }
  if (info.find("\"tls_required\":true") == std::string::npos) {
    error_ = "server does not offer TLS on this port (no tls_required in INFO)";
    return false;
  }
  return true;
}

bool Conn::StartTls(const Endpoint& endpoint, Deadline deadline) {
  if (endpoint.tls == nullptr) {
    error_ = "no TLS context";
    return false;
  }
  tls_ = std::make_unique<TlsSession>(*endpoint.tls, fd_, endpoint.host, /*lean=*/false);
  for (;;) {
    TlsSession::Step step = tls_->Handshake();  // waits up to the receive timeout for the server
    if (!tls_->wire().empty()) {
      bool sent = SendRaw(tls_->wire(), deadline, nullptr);
      tls_->wire().clear();
      if (!sent) return false;
    }
    if (step == TlsSession::Step::kDone) return true;
    if (step == TlsSession::Step::kError) {
      error_ = tls_->error();
      return false;
    }
    if (Clock::now() >= deadline) {
      error_ = "timeout in the TLS handshake";
      return false;
    }
  }
}

bool Conn::Upgrade(const Endpoint& endpoint, Deadline deadline) {
  std::string key = WsNewKey();
  if (!SendAll(WsUpgradeRequest(endpoint.host, endpoint.port, endpoint.ws_path, key), deadline)) return false;
  size_t have = 0;
  for (;;) {
    if (Clock::now() >= deadline) {
      error_ = "timeout waiting for the WebSocket upgrade";
      return false;
    }
    size_t got = 0;
    have_ = have;
    PumpResult result = ReadSome(&got);
    have_ = 0;
    if (result == PumpResult::kClosed || result == PumpResult::kError) return false;
    have += got;
    long head = WsCheckUpgrade(std::string_view(buf_.get(), have), key, &error_);
    if (head < 0) return false;
    if (head == 0) {
      if (have == kReadBuffer) {
        error_ = "WebSocket upgrade response too long";
        return false;
      }
      continue;
    }
    // Frames (the INFO, say) may have come with the response: Pump unframes
    // them before it reads again.
    preread_ = have - static_cast<size_t>(head);
    std::memmove(buf_.get(), buf_.get() + head, preread_);
    ws_ = std::make_unique<WsUnframer>();
    return true;
  }
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
  if (tls_ == nullptr && ws_ == nullptr) return SendRaw(bytes, deadline, cancel);
  std::string_view wire = bytes;
  if (ws_ != nullptr) {
    frame_.clear();
    WsAppendFrame(frame_, kWsBinary, bytes, masks_.Next());
    wire = frame_;
  }
  if (tls_ == nullptr) return SendRaw(wire, deadline, cancel);
  if (!tls_->Encrypt(wire)) {
    error_ = tls_->error();
    return false;
  }
  bool sent = SendRaw(tls_->wire(), deadline, cancel);
  tls_->wire().clear();
  return sent;
}

bool Conn::SendRaw(std::string_view bytes, Deadline deadline, const std::atomic<bool>* cancel) {
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
  char* at = buf_.get() + have_;
  const size_t room = kReadBuffer - have_;
  if (tls_ != nullptr) {
    long n = tls_->Read(at, room, /*wait=*/true);
    if (n > 0) {
      // One recv() read ahead as much ciphertext as had arrived; take all of
      // its records now, as a plain read would have taken all the bytes.
      size_t total = static_cast<size_t>(n);
      while (total < room && tls_->HasBuffered()) {
        long more = tls_->Read(at + total, room - total, /*wait=*/false);
        if (more <= 0) break;  // a close or an error shows on the next read
        total += static_cast<size_t>(more);
      }
      *got = total;
      return PumpResult::kData;
    }
    if (n == TlsSession::kWouldBlock) return PumpResult::kIdle;
    if (n == TlsSession::kClosed) {
      if (error_.empty()) error_ = "server closed the connection";
      return PumpResult::kClosed;
    }
    error_ = tls_->error();
    return PumpResult::kError;
  }
  ssize_t n = ::recv(fd_, at, room, 0);
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

bool Conn::Unframe(size_t got, size_t* begin, size_t* end, bool* closed) {
  WsUnframer::Span span = ws_->Unframe(buf_.get(), have_, have_ + got);
  if (ws_->failed()) {
    error_ = ws_->error();
    return false;
  }
  *begin = span.begin;
  *end = span.end;
  for (const std::string& ping : ws_->pings()) {
    std::string pong;
    WsAppendFrame(pong, kWsPong, ping, masks_.Next());
    if (tls_ != nullptr) {
      if (!tls_->Encrypt(pong)) {
        error_ = tls_->error();
        return false;
      }
      pong.swap(tls_->wire());
      tls_->wire().clear();
    }
    if (!SendRaw(pong, Clock::now() + std::chrono::seconds(5), nullptr)) return false;
  }
  ws_->pings().clear();
  if (ws_->close_received()) {
    if (error_.empty()) error_ = "server sent a WebSocket close";
    *closed = true;
  }
  return true;
}

bool Conn::AfterFeed(size_t begin, size_t end, size_t consumed) {
  if (scanner_.failed()) {
    error_ = "malformed frame from server";
    return false;
  }
  have_ = end - begin - consumed;
  if (have_ == kReadBuffer) {
    error_ = "control line longer than the read buffer";
    return false;
  }
  if (have_ > 0) std::memmove(buf_.get(), buf_.get() + begin + consumed, have_);
  return true;
}

}  // namespace tern::loadgen
