// permessage-deflate's compression (RFC 7692 section 7.2) on zlib's raw
// deflate. zlib stays out of this header so only proto/ws links it.
//
// Memory: zlib's state (about 40 KiB to inflate with a 32 KiB window, about
// 256 KiB to deflate at memLevel 8) is allocated on the first message and
// kept, because allocating it per message costs more than the message.
// Release() gives it back when no context has to survive, which is how an
// idle connection that negotiated no_context_takeover stays small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proto/ws/deflate_params.h"
#include "proto/ws/frame.h"

struct z_stream_s;

namespace tern::proto::ws {

// Inflates the messages one peer compressed. Pull shape, so inflated bytes
// go to the caller a bounded piece at a time and a zip bomb is stopped after
// one piece past the caller's limit:
//   SetInput(piece); while (Next(&out) && !out.empty()) use(out);
// and after the message's last piece EndMessage() the same way, then
// Reset() if the peer does not keep its context between messages.
class Inflater {
 public:
  static constexpr size_t kChunk = 16 * 1024;

  // window_bits: what the peer's compressor may use (from the negotiation).
  explicit Inflater(uint8_t window_bits);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Compressed bytes of the current message; they must stay valid until
  // Next() has returned an empty piece.
  void SetInput(const char* data, size_t size);
  // Feeds the 00 00 ff ff tail the sender stripped (section 7.2.2).
  void EndMessage();
  // The next piece of output (valid until the next call); empty once the
  // input is used up. False on corrupt data.
  bool Next(std::string_view* out);
  // Drops the window: the next message must not refer back to this one.
  void Reset();
  // Frees zlib's memory; the next message allocates it again.
  void Release();

 private:
  bool Init();
  bool Restart();

  std::unique_ptr<z_stream_s> stream_;
  std::unique_ptr<char[]> out_;
  uint8_t window_bits_;
  bool pending_ = false;  // the last call filled the output: there may be more
  bool ended_ = false;    // the sender ended the stream with a BFINAL block
  bool in_tail_ = false;  // the input is the 00 00 ff ff tail
  bool failed_ = false;   // corrupt input seen; reported once the bytes before it are out
};

// Compresses the messages one side sends.
class Deflater {
 public:
  // window_bits and no_context_takeover: what was agreed for this side's
  // compressor. level 1 by default: a broker compresses for every
  // connection, so speed beats ratio (nats-server uses flate.BestSpeed too).
  Deflater(uint8_t window_bits, bool no_context_takeover, int level = 1, int mem_level = 8);
  // The compressor `role` uses under the agreed parameters.
  Deflater(const DeflateParams& agreed, Role role, int level = 1, int mem_level = 8);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Compresses one whole message and appends the frame payload (the deflate
  // data without the 00 00 ff ff tail) to `out`, then forgets the message
  // when context takeover is off. False when zlib fails (out of memory);
  // `out` is then as it was.
  bool Compress(std::string_view message, std::string& out);
  // Frees zlib's memory; under context takeover the next message then
  // starts afresh, which a peer inflates fine (it only loses ratio).
  void Release();
  bool no_context_takeover() const { return no_context_takeover_; }

 private:
  bool Init();

  std::unique_ptr<z_stream_s> stream_;
  uint8_t window_bits_;
  bool no_context_takeover_;
  int level_;
  int mem_level_;
};

}  // namespace tern::proto::ws
