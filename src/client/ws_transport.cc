#include "ws_transport.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "proto/ws/client_handshake.h"
#include "proto/ws/frame_decoder.h"
#include "proto/ws/frame_encoder.h"

namespace tern::internal {
namespace {

namespace ws = proto::ws;
using Clock = std::chrono::steady_clock;

// Writes go out as frames of at most this much payload: the server's
// decoder gets bounded frames (nats-server, and tern's ws.max_frame, limit
// them) and NATS reads the frames as one stream, so the split costs nothing.
constexpr size_t kMaxFramePayload = 64 * 1024;
constexpr size_t kReadBuffer = 64 * 1024;

// RFC 6455 5.3: a fresh, unpredictable key for every frame a client sends.
template <size_t N>
void RandomBytes(std::array<uint8_t, N>* out) {
  if (RAND_bytes(out->data(), static_cast<int>(N)) == 1) return;
  std::random_device rd;  // OpenSSL's generator failed: still unpredictable
  for (uint8_t& b : *out) b = static_cast<uint8_t>(rd());
}

ws::MaskKey NewMask() {
  ws::MaskKey key;
  RandomBytes(&key);
  return key;
}

class WsTransport : public Transport, private ws::FrameHandler {
 public:
  explicit WsTransport(std::shared_ptr<Transport> lower)
      : lower_(std::move(lower)),
        decoder_(ws::Role::kClient, ws::DecoderLimits{.max_frame_payload = 1ull << 30, .max_message = 0}),
        in_(kReadBuffer) {}

  Status Handshake(const ServerUrl& url, Clock::time_point deadline);

  long Read(char* buf, size_t size, std::chrono::milliseconds timeout) override;
  long TryRead(char* buf, size_t size) override;
  Wait WaitReadable(std::chrono::milliseconds timeout) override { return lower_->WaitReadable(timeout); }
  void Rearm() override;
  bool WriteAll(std::string_view data) override;
  void Shutdown() override { lower_->Shutdown(); }
  void Wake() override { lower_->Wake(); }
  std::string LastError() const override;
  void Describe(TransportInfo* info) const override {
    lower_->Describe(info);
    info->websocket = true;
  }

 private:
  // FrameHandler, during Decode() on the reading thread.
  void OnData(ws::Opcode, std::string_view chunk, bool) override;
  void OnPing(std::string_view payload) override;
  void OnClose(uint16_t code, std::string_view reason) override;

  // Decodes in_[0, n): payload into buf (up to size), the rest into
  // pending_. Returns the bytes put into buf.
  size_t Decode(size_t n, char* buf, size_t size);
  // Hands out what an earlier Decode() could not fit.
  size_t TakePending(char* buf, size_t size);
  void Fail(std::string why);
  // Control frames the reader queued (pongs, our close reply). wr_mu_ held.
  bool SendControlLocked();
  // The reader must not wait for wr_mu_: the writer may be blocked on a
  // full socket that only reading drains (same reasoning as in TLS).
  void FlushFromReader();

  const std::shared_ptr<Transport> lower_;

  // The reader's: one at a time, the read role.
  ws::FrameDecoder decoder_;
  std::vector<char> in_;
  char* target_ = nullptr;  // where OnData writes, with target_room_ bytes left
  size_t target_room_ = 0;
  std::string pending_;  // decoded bytes beyond the caller's buffer
  size_t pending_pos_ = 0;
  bool closed_ = false;  // the server's close frame came
  bool failed_ = false;
  std::atomic<bool> has_pending_{false};  // for Rearm() from another thread

  mutable std::mutex error_mu_;
  std::string error_;

  std::mutex wr_mu_;   // one writer of frames at a time
  std::string frame_;  // under wr_mu_
  std::mutex ctl_mu_;  // control_out_; a leaf
  std::string control_out_;
  std::atomic<bool> control_pending_{false};
};

Status WsTransport::Handshake(const ServerUrl& url, Clock::time_point deadline) {
  ws::ClientOptions options;
  const bool v6 = url.host.find(':') != std::string::npos;
  options.host = (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  options.path = url.path.empty() ? "/" : url.path;
  std::array<uint8_t, 16> nonce;
  RandomBytes(&nonce);
  base::Result<ws::ClientHandshake> hs = ws::ClientHandshake::Create(std::move(options), nonce);
  if (!hs.ok()) return Status(Code::kInvalidArgument, hs.message());
  if (!lower_->WriteAll(hs->request())) {
    return Status(Code::kConnectFailed, "WebSocket upgrade: " + TransportError(*lower_, errno));
  }
  bool first_read = true;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Status(Code::kConnectFailed, "WebSocket upgrade timed out");
    long n = lower_->Read(in_.data(), in_.size(), left);
    if (n <= 0) {
      int saved = errno;
      return Status(Code::kConnectFailed, n == 0 ? "the server closed the connection during the WebSocket upgrade"
                                          : saved == ETIMEDOUT
                                              ? "WebSocket upgrade timed out"
                                              : "WebSocket upgrade: " + TransportError(*lower_, saved));
    }
    std::string_view got(in_.data(), static_cast<size_t>(n));
    if (first_read && got.starts_with("INFO")) {
      return Status(Code::kConnectFailed,
                    "the server answered with NATS's INFO, not HTTP: this is a client port, not a websocket one "
                    "(use nats:// or tls:// here)");
    }
    first_read = false;
    ws::HandshakeResult r = hs->Feed(got);
    if (r.status == ws::HandshakeStatus::kNeedMore) continue;
    if (r.status == ws::HandshakeStatus::kError) {
      std::string why(hs->error());
      // Go's TLS listeners answer plaintext HTTP with a 400 saying so.
      if (got.find("HTTPS server") != std::string_view::npos) {
        return Status(Code::kConnectFailed, "the server speaks TLS on this port: use wss://");
      }
      if (hs->status_code() != 0 && hs->status_code() != 101) {
        return Status(Code::kConnectFailed,
                      "the server refused the WebSocket upgrade with HTTP " + std::to_string(hs->status_code()));
      }
      return Status(Code::kConnectFailed, "bad WebSocket upgrade response: " + why);
    }
    // Whatever followed the response head is frames already.
    const size_t rest = static_cast<size_t>(n) - r.consumed;
    std::memmove(in_.data(), in_.data() + r.consumed, rest);
    Decode(rest, nullptr, 0);
    if (failed_) return Status(Code::kConnectFailed, LastError());
    return Status::Ok();
  }
}

void WsTransport::OnData(ws::Opcode, std::string_view chunk, bool) {
  const size_t n = std::min(chunk.size(), target_room_);
  if (n > 0) {
    std::memcpy(target_, chunk.data(), n);
    target_ += n;
    target_room_ -= n;
  }
  if (n < chunk.size()) {
    pending_.append(chunk.substr(n));
    has_pending_.store(true);
  }
}

void WsTransport::OnPing(std::string_view payload) {
  std::lock_guard<std::mutex> lock(ctl_mu_);
  ws::AppendPong(control_out_, payload, NewMask());
  control_pending_.store(true);
}

void WsTransport::OnClose(uint16_t code, std::string_view reason) {
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(ctl_mu_);
    // Echo the code, as the RFC asks of the side that did not start the close.
    ws::AppendClose(control_out_, code == ws::kCloseNoStatus ? ws::kCloseNormal : code, {}, NewMask());
    control_pending_.store(true);
  }
  std::lock_guard<std::mutex> lock(error_mu_);
  if (error_.empty() && code != ws::kCloseNormal && code != ws::kCloseNoStatus) {
    error_ = "the server closed the WebSocket (" + std::to_string(code) +
             (reason.empty() ? std::string() : ": " + std::string(reason)) + ")";
  }
}

size_t WsTransport::Decode(size_t n, char* buf, size_t size) {
  target_ = buf;
  target_room_ = size;
  ws::DecodeResult r = decoder_.Feed(in_.data(), n, *this);
  const size_t written = size - target_room_;
  target_ = nullptr;
  target_room_ = 0;
  if (!r.ok()) {
    {
      std::lock_guard<std::mutex> lock(ctl_mu_);
      ws::AppendClose(control_out_, r.error, r.reason, NewMask());
      control_pending_.store(true);
    }
    Fail("bad WebSocket frame from the server: " + std::string(r.reason));
  }
  if (control_pending_.load()) FlushFromReader();
  return written;
}

size_t WsTransport::TakePending(char* buf, size_t size) {
  const size_t n = std::min(size, pending_.size() - pending_pos_);
  std::memcpy(buf, pending_.data() + pending_pos_, n);
  pending_pos_ += n;
  if (pending_pos_ == pending_.size()) {
    pending_.clear();
    pending_pos_ = 0;
    has_pending_.store(false);
  }
  return n;
}

void WsTransport::Fail(std::string why) {
  failed_ = true;
  std::lock_guard<std::mutex> lock(error_mu_);
  if (error_.empty()) error_ = std::move(why);
}

std::string WsTransport::LastError() const {
  {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (!error_.empty()) return error_;
  }
  return lower_->LastError();
}

long WsTransport::Read(char* buf, size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = timeout.count() < 0 ? Clock::time_point::max() : Clock::now() + timeout;
  for (;;) {
    if (size_t got = TakePending(buf, size); got > 0) return static_cast<long>(got);
    if (failed_) {
      errno = EPROTO;
      return -1;
    }
    if (closed_) return 0;
    std::chrono::milliseconds left(-1);
    if (timeout.count() >= 0) {
      left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        errno = ETIMEDOUT;
        return -1;
      }
    }
    long n = lower_->Read(in_.data(), in_.size(), left);
    if (n <= 0) return n;
    if (size_t got = Decode(static_cast<size_t>(n), buf, size); got > 0) return static_cast<long>(got);
  }
}

// Fills buf until the layer below comes up short, as conn_read.cc needs (a
// short read means nothing is left anywhere).
long WsTransport::TryRead(char* buf, size_t size) {
  size_t got = TakePending(buf, size);
  while (got < size && !closed_ && !failed_) {
    long n = lower_->TryRead(in_.data(), in_.size());
    if (n <= 0) {
      if (got == 0) return n;  // EOF, or the lower layer's errno
      break;
    }
    got += Decode(static_cast<size_t>(n), buf + got, size - got);
  }
  if (got == 0 && failed_) {
    errno = EPROTO;
    return -1;
  }
  return static_cast<long>(got);
}

void WsTransport::Rearm() {
  lower_->Rearm();
  if (has_pending_.load()) lower_->Wake();  // decoded bytes the socket cannot show
}

bool WsTransport::WriteAll(std::string_view data) {
  std::unique_lock<std::mutex> writing(wr_mu_);
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxFramePayload);
    frame_.clear();
    ws::AppendFrame(frame_, ws::Opcode::kBinary, data.substr(0, n), true, NewMask());
    if (!lower_->WriteAll(frame_)) return false;
    data.remove_prefix(n);
  }
  if (!SendControlLocked()) return false;
  writing.unlock();
  if (control_pending_.load()) FlushFromReader();  // queued after our last look
  return true;
}

bool WsTransport::SendControlLocked() {
  while (control_pending_.exchange(false)) {
    std::string out;
    {
      std::lock_guard<std::mutex> lock(ctl_mu_);
      out.swap(control_out_);
    }
    if (!out.empty() && !lower_->WriteAll(out)) return false;
  }
  return true;
}

void WsTransport::FlushFromReader() {
  // A writer holding wr_mu_ sends these before it lets go (WriteAll's tail).
  std::unique_lock<std::mutex> writing(wr_mu_, std::try_to_lock);
  if (writing.owns_lock()) SendControlLocked();
}

}  // namespace

Result<std::shared_ptr<Transport>> StartWebSocket(std::shared_ptr<Transport> lower, const ServerUrl& url,
                                                  std::chrono::steady_clock::time_point deadline) {
  auto t = std::make_shared<WsTransport>(std::move(lower));
  Status s = t->Handshake(url, deadline);
  if (!s.ok()) return s;
  return std::shared_ptr<Transport>(std::move(t));
}

}  // namespace tern::internal
