#include "server/ws_stage.h"

#include <optional>

#include "proto/ws/deflate.h"
#include "proto/ws/frame_decoder.h"
#include "proto/ws/frame_encoder.h"

namespace tern::server {

namespace ws = proto::ws;

namespace {

// Deflate state per connection is costly (about 256 KiB to compress with
// context takeover); both sides reset their context after each message, so
// an idle connection can give its zlib state back.
constexpr ws::DeflateParams kWantedDeflate{.server_no_context_takeover = true,
                                           .client_no_context_takeover = true};
// A compressed message inflates to at most this, which is what stops a zip
// bomb; uncompressed messages are a stream and are not bounded as a whole.
constexpr uint64_t kMaxInflatedMessage = 64ull * 1024 * 1024;

// The close codes nats-server sends for the same reasons, except where it
// puts a code on the wire that RFC 6455 reserves (1006 for a stale
// connection): that one is "internal" here.
uint16_t CloseCode(io::CloseKind kind) {
  switch (kind) {
    case io::CloseKind::kNormal:
      return ws::kCloseNormal;
    case io::CloseKind::kGoingAway:
      return ws::kCloseGoingAway;
    case io::CloseKind::kPolicy:
      return ws::kClosePolicyViolation;
    case io::CloseKind::kProtocolError:
      return ws::kCloseProtocolError;
    case io::CloseKind::kTooBig:
      return ws::kCloseMessageTooBig;
    case io::CloseKind::kInternal:
      return ws::kCloseInternalError;
  }
  return ws::kCloseInternalError;
}

class WebsocketStage final : public io::Stage, private ws::FrameHandler {
 public:
  WebsocketStage(std::shared_ptr<const ws::ServerPolicy> policy, const WebsocketOptions& options)
      : policy_(std::move(policy)),
        handshake_(std::make_unique<ws::ServerHandshake>(policy_.get())),
        max_frame_(options.max_frame) {}

  base::Status Inbound(char* data, size_t size, io::StageIo& io) override {
    io_ = &io;
    if (handshake_ != nullptr) {
      ws::HandshakeResult r = handshake_->Feed(std::string_view(data, size));
      if (r.status == ws::HandshakeStatus::kNeedMore) return base::Status::Ok();
      io.Down(handshake_->response());
      if (r.status == ws::HandshakeStatus::kError) {
        return base::Status("websocket handshake refused (" + std::to_string(handshake_->status_code()) +
                            "): " + std::string(handshake_->error()));
      }
      Open();
      data += r.consumed;
      size -= r.consumed;
    }
    if (size == 0 || peer_closed_) return base::Status::Ok();
    ws::DecodeResult result = decoder_->Feed(data, size, *this);
    if (!result.ok()) {
      std::string close;
      ws::AppendClose(close, result.error, result.reason);
      io.Down(close);
      close_sent_ = true;
      return base::Status("websocket: " + std::string(result.reason) + " (close " + std::to_string(result.error) + ")");
    }
    return base::Status::Ok();
  }

  base::Status Outbound(std::string_view data, std::string& out) override {
    if (deflater_ != nullptr) {
      if (!ws::AppendCompressedMessage(out, ws::Opcode::kBinary, data, *deflater_)) {
        return base::Status("websocket: compression failed");
      }
      return base::Status::Ok();
    }
    ws::AppendFrameHeader(out, ws::Opcode::kBinary, true, data.size());
    out.append(data);
    return base::Status::Ok();
  }

  void Closing(const io::CloseNote& note, std::string& out) override {
    if (handshake_ != nullptr || close_sent_) return;
    close_sent_ = true;
    ws::AppendClose(out, CloseCode(note.kind), note.text);
  }

  bool open() const override { return handshake_ == nullptr; }
  bool peer_closed() const override { return peer_closed_; }
  std::string_view name() const override { return "websocket"; }

  void ReleaseIdleMemory() override {
    if (decoder_ != nullptr) decoder_->ShrinkIfIdle();
    if (deflater_ != nullptr && deflater_->no_context_takeover()) deflater_->Release();
  }

 private:
  void Open() {
    const std::optional<ws::DeflateParams>& deflate = handshake_->deflate();
    ws::DecoderLimits limits;
    limits.max_frame_payload = max_frame_;
    limits.max_message = deflate ? kMaxInflatedMessage : 0;
    decoder_ = std::make_unique<ws::FrameDecoder>(ws::Role::kServer, limits);
    if (deflate) {
      decoder_->EnableDeflate(*deflate);
      deflater_ = std::make_unique<ws::Deflater>(*deflate, ws::Role::kServer);
    }
    handshake_.reset();  // the request's copy is not needed any more
  }

  // ws::FrameHandler: decoded in place in the caller's writable buffer (or
  // the inflater's), which is why handing it up as char* is sound.
  void OnData(ws::Opcode, std::string_view chunk, bool) override {
    if (!chunk.empty()) io_->Up(const_cast<char*>(chunk.data()), chunk.size());
  }
  void OnPing(std::string_view payload) override {
    std::string pong;
    ws::AppendPong(pong, payload);
    io_->Down(pong);
  }
  void OnClose(uint16_t code, std::string_view) override {
    // Echo the peer's code (none when it sent none), then the connection
    // closes once this is written.
    peer_closed_ = true;
    if (close_sent_) return;
    close_sent_ = true;
    std::string close;
    ws::AppendClose(close, code == ws::kCloseNoStatus ? ws::kCloseNormal : code);
    io_->Down(close);
  }

  std::shared_ptr<const ws::ServerPolicy> policy_;
  std::unique_ptr<ws::ServerHandshake> handshake_;  // until the upgrade is done
  std::unique_ptr<ws::FrameDecoder> decoder_;
  std::unique_ptr<ws::Deflater> deflater_;  // when permessage-deflate was agreed
  uint64_t max_frame_;
  io::StageIo* io_ = nullptr;
  bool peer_closed_ = false;
  bool close_sent_ = false;
};

}  // namespace

std::shared_ptr<const ws::ServerPolicy> MakeWebsocketPolicy(const WebsocketOptions& options, bool tls) {
  auto policy = std::make_shared<ws::ServerPolicy>();
  policy->same_origin = options.same_origin;
  policy->allowed_origins = options.allowed_origins;
  policy->tls = tls;
  policy->allow_compression = options.compression;
  policy->deflate = kWantedDeflate;
  return policy;
}

std::unique_ptr<io::Stage> NewWebsocketStage(std::shared_ptr<const ws::ServerPolicy> policy,
                                             const WebsocketOptions& options) {
  return std::make_unique<WebsocketStage>(std::move(policy), options);
}

}  // namespace tern::server
