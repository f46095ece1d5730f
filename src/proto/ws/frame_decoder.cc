#include "proto/ws/frame_decoder.h"

#include <algorithm>
#include <cstring>

namespace tern::proto::ws {
namespace {

// The header's full size is known from its second byte.
inline size_t HeaderSize(uint8_t b1) {
  const uint8_t len7 = b1 & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
}

inline bool IsKnownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

}  // namespace

FrameDecoder::FrameDecoder(Role role, DecoderLimits limits) : limits_(limits), role_(role) {}

FrameDecoder::~FrameDecoder() = default;

void FrameDecoder::EnableDeflate(const DeflateParams& params) {
  const bool peer_is_client = role_ == Role::kServer;
  deflate_ = true;
  peer_resets_context_ = peer_is_client ? params.client_no_context_takeover : params.server_no_context_takeover;
  inflater_ =
      std::make_unique<Inflater>(peer_is_client ? params.client_max_window_bits : params.server_max_window_bits);
}

void FrameDecoder::ShrinkIfIdle() {
  if (inflater_ != nullptr && peer_resets_context_ && !in_message()) inflater_->Release();
}

DecodeResult FrameDecoder::Feed(char* data, size_t size, FrameHandler& handler) {
  size_t pos = 0;
  for (;;) {
    switch (state_) {
      case State::kHeader: {
        if (pos == size) return {size};
        const uint8_t* h;
        const size_t avail = size - pos;
        if (header_have_ == 0 && avail >= 2 && avail >= HeaderSize(static_cast<uint8_t>(data[pos + 1]))) {
          // The common case: the whole header is in this read.
          h = reinterpret_cast<const uint8_t*>(data + pos);
          pos += HeaderSize(h[1]);
        } else {
          // A header split across reads: gather it, two bytes first since
          // they say how long it is.
          if (header_have_ < 2) {
            const size_t n = std::min<size_t>(2 - header_have_, avail);
            std::memcpy(header_ + header_have_, data + pos, n);
            header_have_ = static_cast<uint8_t>(header_have_ + n);
            pos += n;
            if (header_have_ < 2) return {size};
          }
          const size_t need = HeaderSize(header_[1]);
          const size_t n = std::min(need - header_have_, size - pos);
          std::memcpy(header_ + header_have_, data + pos, n);
          header_have_ = static_cast<uint8_t>(header_have_ + n);
          pos += n;
          if (header_have_ < need) return {size};
          header_have_ = 0;
          h = header_;
        }
        StartFrame(h, handler);
        break;
      }
      case State::kPayload: {
        // remaining_ > 0 here: empty frames finish in StartFrame.
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - pos));
        if (n == 0) return {size};
        DeliverData(data + pos, n, handler);
        pos += n;
        break;
      }
      case State::kControl: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, size - pos));
        if (n == 0) return {size};
        char* dst = control_ + control_have_;
        std::memcpy(dst, data + pos, n);
        if (masked_) MaskInPlace(dst, n, mask_, mask_offset_);
        mask_offset_ = static_cast<uint8_t>((mask_offset_ + n) & 3);
        control_have_ = static_cast<uint8_t>(control_have_ + n);
        remaining_ -= n;
        pos += n;
        if (remaining_ == 0) FinishControl(handler);
        break;
      }
      case State::kClosed:
        return {pos, 0, {}, true};
      case State::kFailed:
        return {pos, error_, reason_, false};
    }
  }
}

bool FrameDecoder::StartFrame(const uint8_t* h, FrameHandler& handler) {
  const uint8_t b0 = h[0];
  const uint8_t b1 = h[1];
  if ((b0 & 0x30) != 0) return Fail(kCloseProtocolError, "reserved bits set");
  const uint8_t op = b0 & 0x0F;
  if (!IsKnownOpcode(op)) return Fail(kCloseProtocolError, "unknown opcode");
  const bool rsv1 = (b0 & 0x40) != 0;
  fin_ = (b0 & 0x80) != 0;
  masked_ = (b1 & 0x80) != 0;
  uint64_t len = b1 & 0x7F;
  const uint8_t* p = h + 2;
  if (len == 126) {
    len = static_cast<uint64_t>(p[0]) << 8 | p[1];
    p += 2;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = len << 8 | p[i];
    p += 8;
    if ((len >> 63) != 0) return Fail(kCloseProtocolError, "invalid payload length");
  }
  if (masked_ != (role_ == Role::kServer)) {
    return Fail(kCloseProtocolError,
                role_ == Role::kServer ? "unmasked frame from client" : "masked frame from server");
  }
  if (masked_) std::memcpy(mask_.data(), p, 4);
  opcode_ = static_cast<Opcode>(op);
  mask_offset_ = 0;
  remaining_ = len;

  if (IsControl(opcode_)) {
    if (!fin_) return Fail(kCloseProtocolError, "fragmented control frame");
    if (len > kMaxControlPayload) return Fail(kCloseProtocolError, "control frame too long");
    if (rsv1) return Fail(kCloseProtocolError, "reserved bits set");
    control_have_ = 0;
    state_ = State::kControl;
    if (len == 0) return FinishControl(handler);
    return true;
  }

  if (opcode_ == Opcode::kContinuation) {
    if (!in_message()) return Fail(kCloseProtocolError, "continuation without a message");
    // RFC 7692 6.1: RSV1 marks the first frame of a compressed message only.
    if (rsv1) return Fail(kCloseProtocolError, "reserved bits set");
  } else {
    if (in_message()) return Fail(kCloseProtocolError, "new message inside a fragmented one");
    if (rsv1 && !deflate_) return Fail(kCloseProtocolError, "reserved bits set");
  }
  if (len > limits_.max_frame_payload) return Fail(kCloseMessageTooBig, "frame too big");
  if (opcode_ != Opcode::kContinuation) {
    message_ = opcode_;
    compressed_ = rsv1;
    message_size_ = 0;
    utf8_.Reset();
  }
  if (!compressed_) {
    // Refused on the declared length; compressed messages are counted as
    // they inflate instead.
    if (limits_.max_message != 0 && len > limits_.max_message - message_size_) {
      return Fail(kCloseMessageTooBig, "message too big");
    }
    message_size_ += len;
  }
  state_ = State::kPayload;
  if (len == 0) return DeliverData(nullptr, 0, handler);
  return true;
}

bool FrameDecoder::DeliverData(char* p, size_t n, FrameHandler& handler) {
  if (masked_) {
    MaskInPlace(p, n, mask_, mask_offset_);
    mask_offset_ = static_cast<uint8_t>((mask_offset_ + n) & 3);
  }
  remaining_ -= n;
  const bool frame_end = remaining_ == 0;
  if (frame_end) state_ = State::kHeader;
  if (compressed_) {
    inflater_->SetInput(p, n);
    if (!Inflate(handler)) return false;
    return frame_end && fin_ ? EndMessage(handler) : true;
  }
  const bool message_end = frame_end && fin_;
  if (message_ == Opcode::kText) {
    if (!utf8_.Feed(p, n) || (message_end && !utf8_.AtBoundary())) {
      return Fail(kCloseInvalidData, "invalid UTF-8");
    }
  }
  if (n != 0 || message_end) handler.OnData(message_, std::string_view(p, n), message_end);
  if (message_end) message_ = Opcode::kContinuation;
  return true;
}

bool FrameDecoder::Inflate(FrameHandler& handler) {
  std::string_view out;
  for (;;) {
    if (!inflater_->Next(&out)) return Fail(kCloseInvalidData, "invalid compressed data");
    if (out.empty()) return true;
    const bool text = message_ == Opcode::kText;
    if (limits_.max_message != 0 && out.size() > limits_.max_message - message_size_) {
      // Check what fits first, so the error is the one a byte-by-byte
      // reader would meet first, however the input was split.
      if (text && !utf8_.Feed(out.data(), static_cast<size_t>(limits_.max_message - message_size_))) {
        return Fail(kCloseInvalidData, "invalid UTF-8");
      }
      return Fail(kCloseMessageTooBig, "message too big");
    }
    message_size_ += out.size();
    if (text && !utf8_.Feed(out)) return Fail(kCloseInvalidData, "invalid UTF-8");
    handler.OnData(message_, out, false);
  }
}

bool FrameDecoder::EndMessage(FrameHandler& handler) {
  inflater_->EndMessage();
  if (!Inflate(handler)) return false;
  if (message_ == Opcode::kText && !utf8_.AtBoundary()) return Fail(kCloseInvalidData, "invalid UTF-8");
  if (peer_resets_context_) inflater_->Reset();
  const Opcode type = message_;
  message_ = Opcode::kContinuation;
  handler.OnData(type, {}, true);
  return true;
}

bool FrameDecoder::FinishControl(FrameHandler& handler) {
  state_ = State::kHeader;
  const std::string_view payload(control_, control_have_);
  switch (opcode_) {
    case Opcode::kPing:
      handler.OnPing(payload);
      return true;
    case Opcode::kPong:
      handler.OnPong(payload);
      return true;
    default:
      break;
  }
  uint16_t code = kCloseNoStatus;
  std::string_view reason;
  if (payload.size() == 1) return Fail(kCloseProtocolError, "close frame with a 1-byte payload");
  if (payload.size() >= 2) {
    code = static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 | static_cast<uint8_t>(payload[1]));
    if (!IsValidCloseCode(code)) return Fail(kCloseProtocolError, "invalid close code");
    reason = payload.substr(2);
    if (!IsValidUtf8(reason)) return Fail(kCloseInvalidData, "invalid UTF-8 in close reason");
  }
  state_ = State::kClosed;
  handler.OnClose(code, reason);
  return true;
}

bool FrameDecoder::Fail(uint16_t code, std::string_view reason) {
  state_ = State::kFailed;
  error_ = code;
  reason_ = reason;
  return false;
}

}  // namespace tern::proto::ws
