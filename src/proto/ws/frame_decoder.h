// Decoder for the frames one WebSocket peer sends (RFC 6455 section 5), in
// the shape of proto/nats's parsers: Feed() takes whatever the socket gave,
// reports events to a handler, and keeps only what a split forces it to keep.
//
// Data is never buffered: payload bytes go to the handler as they arrive,
// unmasked in place in the caller's buffer (the mask offset runs on across
// reads), so a message costs no copy and no memory however large it is. What
// is kept between calls: up to 14 bytes of a split frame header, a control
// frame's payload (at most 125 bytes; control frames may arrive between the
// fragments of a message) and the UTF-8 validator's three bytes. With
// permessage-deflate the inflated bytes are handed up a bounded piece at a
// time from the inflater's buffer.
//
// Every violation the RFC says must fail the connection ends decoding with
// the close code to send: 1002 for framing errors, 1007 for invalid UTF-8 or
// compressed data, 1009 for frames or messages past the limits (checked on
// the declared length, before any payload is read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "proto/ws/deflate.h"
#include "proto/ws/deflate_params.h"
#include "proto/ws/frame.h"
#include "proto/utf8.h"

namespace tern::proto::ws {

// Receives what the decoder finds. Views are valid only during the call.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // A piece of a text or binary message (`type` is kText or kBinary), already
  // unmasked and inflated; text has been checked to be UTF-8 so far. The last
  // piece has message_end set and may be empty.
  virtual void OnData(Opcode type, std::string_view chunk, bool message_end) = 0;
  virtual void OnPing(std::string_view payload) = 0;
  virtual void OnPong(std::string_view /*payload*/) {}
  // The peer's close frame; code is kCloseNoStatus when it carried none. It
  // is the last event: the peer may send nothing after it.
  virtual void OnClose(uint16_t code, std::string_view reason) = 0;
};

struct DecoderLimits {
  // Largest frame payload accepted. Checked on the header, so a peer that
  // declares 2 GiB is refused before it sends a byte of it.
  uint64_t max_frame_payload = 1024 * 1024;
  // Largest message, after inflating when compressed; 0 = no limit. With
  // compression this is what stops a zip bomb, so keep it set then.
  uint64_t max_message = 64 * 1024 * 1024;
};

struct DecodeResult {
  // Bytes of the chunk consumed: all of them unless the close frame came
  // (then up to its end) or an error (then where it was found).
  size_t consumed = 0;
  // 0 while all is well; else the close code to send before failing the
  // connection, and a short reason for the close frame and the logs.
  uint16_t error = 0;
  std::string_view reason;
  bool closed = false;  // the peer's close frame was read (OnClose has run)

  bool ok() const { return error == 0; }
};

class FrameDecoder {
 public:
  // role: which end this decoder runs at. A server decodes a client's frames
  // (which must be masked), a client a server's (which must not be).
  explicit FrameDecoder(Role role, DecoderLimits limits = {});
  ~FrameDecoder();
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Accepts RSV1 (compressed) messages as negotiated. Call before Feed().
  void EnableDeflate(const DeflateParams& params);

  // Decodes `data` in place: masked payload bytes are unmasked where they lie.
  // After an error or the close frame every call returns the same result
  // and consumes nothing.
  DecodeResult Feed(char* data, size_t size, FrameHandler& handler);

  const DecoderLimits& limits() const { return limits_; }
  bool in_message() const { return message_ != Opcode::kContinuation; }
  // Frees the inflater's memory between messages when the peer resets its
  // context anyway (it negotiated no_context_takeover), so an idle
  // connection holds no zlib state.
  void ShrinkIfIdle();

 private:
  enum class State : uint8_t { kHeader, kPayload, kControl, kClosed, kFailed };

  // Validates the header at h (header_size bytes) and sets up the frame.
  bool StartFrame(const uint8_t* h, FrameHandler& handler);
  bool DeliverData(char* p, size_t n, FrameHandler& handler);
  bool EndMessage(FrameHandler& handler);
  bool Inflate(FrameHandler& handler);
  bool FinishControl(FrameHandler& handler);
  bool Fail(uint16_t code, std::string_view reason);

  DecoderLimits limits_;
  Role role_;
  State state_ = State::kHeader;
  // The frame being read.
  Opcode opcode_ = Opcode::kContinuation;
  bool fin_ = false;
  bool masked_ = false;
  uint8_t mask_offset_ = 0;  // payload bytes unmasked so far, mod 4
  uint8_t header_have_ = 0;  // bytes of a split header kept in header_
  uint8_t control_have_ = 0;
  MaskKey mask_{};
  uint64_t remaining_ = 0;  // payload bytes of this frame still to come
  // The message being read: kText or kBinary while one is open.
  Opcode message_ = Opcode::kContinuation;
  bool compressed_ = false;
  bool deflate_ = false;
  bool peer_resets_context_ = false;
  uint64_t message_size_ = 0;
  Utf8Validator utf8_;
  uint16_t error_ = 0;
  std::string_view reason_;
  uint8_t header_[kMaxFrameHeader];
  char control_[kMaxControlPayload];
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace tern::proto::ws
