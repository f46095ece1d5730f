#include "raw_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

namespace tern::testing {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Printable form of protocol bytes for failure messages.
std::string Show(std::string_view s, size_t max = 300) {
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

std::vector<std::string> SplitWs(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

RawClient::~RawClient() { Close(); }

RawClient::RawClient(RawClient&& o) noexcept { *this = std::move(o); }

RawClient& RawClient::operator=(RawClient&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.fd_;
    o.fd_ = -1;
    auto_pong_ = o.auto_pong_;
    buf_ = std::move(o.buf_);
    pos_ = o.pos_;
    info_line_ = std::move(o.info_line_);
  }
  return *this;
}

AssertionResult RawClient::Connect(int port, const ConnectOptions& options) {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return AssertionFailure() << "socket: " << std::strerror(errno);
  if (options.recv_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.recv_buffer, sizeof(options.recv_buffer));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!options.source_address.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, options.source_address.c_str(), &from.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      int e = errno;
      Close();
      return AssertionFailure() << "bind to " << options.source_address << ": " << std::strerror(e);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const auto deadline = Clock::now() + options.timeout;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      int e = errno;
      Close();
      return AssertionFailure() << "connect to port " << port << ": " << std::strerror(e);
    }
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) {
      Close();
      return AssertionFailure() << "connect to port " << port << " timed out";
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Close();
      return AssertionFailure() << "connect to port " << port << ": " << std::strerror(err);
    }
  }
  if (!options.read_info) return AssertionSuccess();
  auto line = NextLine(deadline, false);
  if (!line) return AssertionFailure() << "no INFO line after connect: " << last_error_;
  if (line->rfind("INFO ", 0) != 0) return AssertionFailure() << "first line is not INFO: " << Show(*line);
  info_line_ = *line;
  return AssertionSuccess();
}

AssertionResult RawClient::ConnectAndHandshake(int port, const std::string& connect_json,
                                               const ConnectOptions& options) {
  if (auto r = Connect(port, options); !r) return r;
  if (auto r = Send("CONNECT " + connect_json + "\r\nPING\r\n"); !r) return r;
  const auto deadline = Clock::now() + options.timeout;
  for (;;) {
    auto line = NextLine(deadline, true);
    if (!line) return AssertionFailure() << "no PONG after CONNECT " << connect_json << ": " << last_error_;
    if (*line == "PONG") return AssertionSuccess();
    if (*line != "+OK")
      return AssertionFailure() << "unexpected reply to CONNECT " << connect_json << ": " << Show(*line);
  }
}

void RawClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
  pos_ = 0;
}

void RawClient::Abort() {
  if (fd_ >= 0) {
    linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  Close();
}

void RawClient::ShutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

nlohmann::json RawClient::InfoJson() const {
  if (info_line_.size() < 5) return nlohmann::json();
  return nlohmann::json::parse(info_line_.substr(5), nullptr, /*allow_exceptions=*/false);
}

AssertionResult RawClient::Send(std::string_view data, Millis timeout) {
  if (fd_ < 0) return AssertionFailure() << "send on a closed client";
  const auto deadline = Clock::now() + timeout;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, RemainingMs(deadline)) <= 0) {
        return AssertionFailure() << "send timed out after " << off << " of " << data.size() << " bytes";
      }
      continue;
    }
    return AssertionFailure() << "send failed after " << off << " bytes: " << std::strerror(errno);
  }
  return AssertionSuccess();
}

RawClient::Fill RawClient::FillBuffer(Clock::time_point deadline) {
  if (fd_ < 0) {
    last_error_ = "not connected";
    return Fill::kError;
  }
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1u << 20)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  char tmp[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return Fill::kOk;
    }
    if (n == 0) {
      last_error_ = "connection closed by server";
      return Fill::kClosed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      int left = RemainingMs(deadline);
      if (left == 0 || ::poll(&p, 1, left) <= 0) {
        last_error_ = "timed out";
        return Fill::kTimeout;
      }
      continue;
    }
    last_error_ = std::string("recv: ") + std::strerror(errno);
    return errno == ECONNRESET ? Fill::kClosed : Fill::kError;
  }
}

std::optional<std::string> RawClient::NextLine(Clock::time_point deadline, bool skip_pings) {
  for (;;) {
    size_t eol = buf_.find("\r\n", pos_);
    if (eol != std::string::npos) {
      std::string line = buf_.substr(pos_, eol - pos_);
      pos_ = eol + 2;
      if (skip_pings && auto_pong_ && line == "PING") {
        Send("PONG\r\n");
        continue;
      }
      return line;
    }
    if (FillBuffer(deadline) != Fill::kOk) return std::nullopt;
  }
}

std::optional<std::string> RawClient::TakeBytes(size_t n, Clock::time_point deadline) {
  while (buf_.size() - pos_ < n) {
    if (FillBuffer(deadline) != Fill::kOk) return std::nullopt;
  }
  std::string out = buf_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::optional<std::string> RawClient::ReadLine(Millis timeout) { return NextLine(Clock::now() + timeout, false); }

std::optional<std::string> RawClient::ReadBytes(size_t n, Millis timeout) {
  return TakeBytes(n, Clock::now() + timeout);
}

std::string RawClient::ReadSome(size_t max, Millis timeout) {
  if (pos_ == buf_.size()) FillBuffer(Clock::now() + timeout);
  size_t n = std::min(max, buf_.size() - pos_);
  std::string out = buf_.substr(pos_, n);
  pos_ += n;
  return out;
}

std::string RawClient::Pending() const { return Show(std::string_view(buf_).substr(pos_)); }

AssertionResult RawClient::Expect(std::string_view want, Millis timeout) {
  auto line = NextLine(Clock::now() + timeout, want != "PING");
  if (!line) return AssertionFailure() << "expected '" << Show(want) << "' but " << last_error_;
  if (*line != want) {
    return AssertionFailure() << "expected '" << Show(want) << "' got '" << Show(*line) << "' (then: " << Pending()
                              << ")";
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectMatch(const std::string& regex, Millis timeout) {
  auto line = NextLine(Clock::now() + timeout, regex != "PING");
  if (!line) return AssertionFailure() << "expected /" << regex << "/ but " << last_error_;
  if (!std::regex_match(*line, std::regex(regex))) {
    return AssertionFailure() << "expected /" << regex << "/ got '" << Show(*line) << "'";
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectErr(std::string_view text, Millis timeout) {
  return Expect("-ERR '" + std::string(text) + "'", timeout);
}

AssertionResult RawClient::Ping(Millis timeout) {
  if (auto r = Send("PING\r\n"); !r) return r;
  return Expect("PONG", timeout);
}

std::optional<Msg> RawClient::ReadMsg(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  auto line = NextLine(deadline, true);
  if (!line) return std::nullopt;
  auto f = SplitWs(*line);
  Msg m;
  size_t hdr_len = 0, total = 0;
  try {
    if (f.size() >= 4 && f[0] == "MSG" && f.size() <= 5) {
      m.subject = f[1];
      m.sid = f[2];
      if (f.size() == 5) m.reply = f[3];
      total = std::stoul(f.back());
    } else if (f.size() >= 5 && f[0] == "HMSG" && f.size() <= 6) {
      m.has_headers = true;
      m.subject = f[1];
      m.sid = f[2];
      if (f.size() == 6) m.reply = f[3];
      hdr_len = std::stoul(f[f.size() - 2]);
      total = std::stoul(f.back());
    } else {
      last_error_ = "not a MSG/HMSG line: '" + Show(*line) + "'";
      return std::nullopt;
    }
  } catch (...) {
    last_error_ = "bad sizes in '" + Show(*line) + "'";
    return std::nullopt;
  }
  if (hdr_len > total) {
    last_error_ = "header size above total in '" + Show(*line) + "'";
    return std::nullopt;
  }
  auto body = TakeBytes(total + 2, deadline);
  if (!body) {
    last_error_ = "payload of '" + Show(*line) + "' incomplete: " + last_error_;
    return std::nullopt;
  }
  if (body->compare(total, 2, "\r\n") != 0) {
    last_error_ = "payload of '" + Show(*line) + "' not followed by CRLF: " + Show(*body);
    return std::nullopt;
  }
  m.headers = body->substr(0, hdr_len);
  m.payload = body->substr(hdr_len, total - hdr_len);
  return m;
}

AssertionResult RawClient::ExpectMsg(std::string_view subject, std::string_view sid, std::string_view reply,
                                     std::string_view payload, Millis timeout) {
  auto m = ReadMsg(timeout);
  if (!m) return AssertionFailure() << "expected MSG " << subject << " " << sid << ": " << last_error_;
  if (m->has_headers || m->subject != subject || m->sid != sid || m->reply != reply || m->payload != payload) {
    return AssertionFailure() << "expected MSG subject=" << subject << " sid=" << sid << " reply='" << reply
                              << "' payload='" << Show(payload) << "'; got " << (m->has_headers ? "HMSG" : "MSG")
                              << " subject=" << m->subject << " sid=" << m->sid << " reply='" << m->reply
                              << "' payload='" << Show(m->payload) << "'";
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectHmsg(std::string_view subject, std::string_view sid, std::string_view reply,
                                      std::string_view headers, std::string_view payload, Millis timeout) {
  auto m = ReadMsg(timeout);
  if (!m) return AssertionFailure() << "expected HMSG " << subject << " " << sid << ": " << last_error_;
  if (!m->has_headers || m->subject != subject || m->sid != sid || m->reply != reply || m->headers != headers ||
      m->payload != payload) {
    return AssertionFailure() << "expected HMSG subject=" << subject << " sid=" << sid << " reply='" << reply
                              << "' headers='" << Show(headers) << "' payload='" << Show(payload) << "'; got "
                              << (m->has_headers ? "HMSG" : "MSG") << " subject=" << m->subject << " sid=" << m->sid
                              << " reply='" << m->reply << "' headers='" << Show(m->headers) << "' payload='"
                              << Show(m->payload) << "'";
  }
  return AssertionSuccess();
}

AssertionResult RawClient::ExpectClosed(Millis timeout, std::string* drained) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (pos_ < buf_.size()) {
      if (drained != nullptr) drained->append(buf_, pos_, std::string::npos);
      pos_ = buf_.size();
    }
    switch (FillBuffer(deadline)) {
      case Fill::kOk:
        continue;
      case Fill::kClosed:
        return AssertionSuccess();
      case Fill::kTimeout:
        return AssertionFailure() << "connection still open after " << timeout.count() << " ms";
      case Fill::kError:
        return AssertionFailure() << "error while waiting for close: " << last_error_;
    }
  }
}

AssertionResult RawClient::AnswerPingsFor(Millis duration) {
  const auto deadline = Clock::now() + duration;
  for (;;) {
    auto line = NextLine(deadline, false);
    if (!line) {
      if (last_error_ == "timed out") return AssertionSuccess();
      return AssertionFailure() << "while answering pings: " << last_error_;
    }
    if (*line != "PING") return AssertionFailure() << "unexpected '" << Show(*line) << "' while answering pings";
    if (auto r = Send("PONG\r\n"); !r) return r;
  }
}

std::string Pub(std::string_view subject, std::string_view payload, std::string_view reply) {
  std::string s = "PUB " + std::string(subject) + " ";
  if (!reply.empty()) s += std::string(reply) + " ";
  s += std::to_string(payload.size()) + "\r\n";
  s += payload;
  s += "\r\n";
  return s;
}

std::string Hpub(std::string_view subject, std::string_view headers, std::string_view payload, std::string_view reply) {
  std::string s = "HPUB " + std::string(subject) + " ";
  if (!reply.empty()) s += std::string(reply) + " ";
  s += std::to_string(headers.size()) + " " + std::to_string(headers.size() + payload.size()) + "\r\n";
  s += headers;
  s += payload;
  s += "\r\n";
  return s;
}

}  // namespace tern::testing
