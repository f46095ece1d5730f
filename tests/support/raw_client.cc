#include "raw_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "ws_stream.h"

namespace tern::testing {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

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
    stream_ = std::move(o.stream_);
    ws_ = o.ws_;
    o.ws_ = nullptr;
    transport_ = o.transport_;
    auto_pong_ = o.auto_pong_;
    buf_ = std::move(o.buf_);
    pos_ = o.pos_;
    info_line_ = std::move(o.info_line_);
  }
  return *this;
}

AssertionResult RawClient::Connect(const Target& target, const ConnectOptions& options) {
  Close();
  info_line_.clear();
  transport_ = target.transport;
  const auto deadline = Clock::now() + options.timeout;
  const std::string where = std::string(TransportName(target.transport)) + " to port " + std::to_string(target.port);
  std::string why;
  std::unique_ptr<ByteStream> stream =
      TcpStream::Connect(target.host, target.port, options.recv_buffer, deadline, &why);
  if (!stream) return AssertionFailure() << why;

  if (target.transport == Transport::kTls && !target.tls.handshake_first) {
    // NATS "TLS after INFO": the greeting is plain text, the upgrade follows it.
    stream_ = std::move(stream);
    auto line = NextLine(deadline, false);
    if (!line) return AssertionFailure() << where << ": no plain INFO before the TLS handshake: " << last_error_;
    if (line->rfind("INFO ", 0) != 0) return AssertionFailure() << where << ": first line is not INFO: " << Show(*line);
    info_line_ = *line;
    if (pos_ != buf_.size()) {
      return AssertionFailure() << where << ": bytes after the plain INFO, before TLS: " << Pending();
    }
    buf_.clear();
    pos_ = 0;
    stream = std::move(stream_);
  }
  if (UsesTls(target.transport)) {
    stream = TlsStream::Handshake(std::move(stream), target.tls, deadline, &why);
    if (!stream) return AssertionFailure() << where << ": TLS handshake failed: " << why;
  }
  if (IsWebsocket(target.transport)) {
    auto ws = WsStream::Upgrade(std::move(stream), target.host + ":" + std::to_string(target.port), target.ws_path,
                                deadline, &why);
    if (!ws) return AssertionFailure() << where << ": " << why;
    ws_ = ws.get();
    stream = std::move(ws);
  }
  stream_ = std::move(stream);

  if (!options.read_info || !info_line_.empty()) return AssertionSuccess();
  auto line = NextLine(deadline, false);
  if (!line) return AssertionFailure() << where << ": no INFO line after connect: " << last_error_;
  if (line->rfind("INFO ", 0) != 0) return AssertionFailure() << where << ": first line is not INFO: " << Show(*line);
  info_line_ = *line;
  return AssertionSuccess();
}

AssertionResult RawClient::ConnectAndHandshake(const Target& target, const std::string& connect_json,
                                               const ConnectOptions& options) {
  if (auto r = Connect(target, options); !r) return r;
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
  if (stream_) stream_->Goodbye();
  stream_.reset();
  ws_ = nullptr;
  buf_.clear();
  pos_ = 0;
}

void RawClient::Abort() {
  if (stream_) {
    linger lg{1, 0};
    ::setsockopt(stream_->fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  stream_.reset();  // no goodbye: a crashed peer sends none
  ws_ = nullptr;
  buf_.clear();
  pos_ = 0;
}

void RawClient::ShutdownWrite() {
  if (stream_) stream_->ShutdownWrite();
}

nlohmann::json RawClient::InfoJson() const {
  if (info_line_.size() < 5) return nlohmann::json();
  return nlohmann::json::parse(info_line_.substr(5), nullptr, /*allow_exceptions=*/false);
}

AssertionResult RawClient::Send(std::string_view data, Millis timeout) {
  if (!stream_) return AssertionFailure() << "send on a closed client";
  std::string why;
  if (stream_->Write(data, Clock::now() + timeout, &why) != IoStatus::kOk) return AssertionFailure() << why;
  return AssertionSuccess();
}

AssertionResult RawClient::SendRaw(std::string_view bytes, Millis timeout) {
  if (!stream_) return AssertionFailure() << "send on a closed client";
  ByteStream& below = ws_ != nullptr ? ws_->lower() : *stream_;
  std::string why;
  if (below.Write(bytes, Clock::now() + timeout, &why) != IoStatus::kOk) return AssertionFailure() << why;
  return AssertionSuccess();
}

std::optional<uint16_t> RawClient::ws_close_code() const { return ws_ != nullptr ? ws_->close_code() : std::nullopt; }
std::string RawClient::ws_close_reason() const { return ws_ != nullptr ? ws_->close_reason() : ""; }
int RawClient::ws_pongs_received() const { return ws_ != nullptr ? ws_->pongs_received() : 0; }

RawClient::Fill RawClient::FillBuffer(Clock::time_point deadline) {
  if (!stream_) {
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
  switch (stream_->Read(&buf_, deadline, &last_error_)) {
    case IoStatus::kOk:
      return Fill::kOk;
    case IoStatus::kTimeout:
      return Fill::kTimeout;
    case IoStatus::kClosed:
      return Fill::kClosed;
    case IoStatus::kError:
      return Fill::kError;
  }
  return Fill::kError;
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
        return AssertionFailure() << "connection still open after " << timeout.count() << " ms"
                                  << (last_error_ != "timed out" ? " (" + last_error_ + ")" : "");
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
