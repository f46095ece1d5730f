// The load generator's WebSocket client (RFC 6455): the upgrade request and
// the check of its answer, masked binary frames out, and an in-place
// unframer for what the server sends. No extensions are offered, so server
// frames carry plain NATS bytes.
//
// Unframing happens in the connection's read buffer without a copy of the
// stream: the bytes between two frames' payloads (a header, a control frame)
// leave a gap, which is closed by moving the shorter side, the already
// joined data before it or the payload after it. A server frame of 256 KiB
// thus costs a move of the few bytes of a partial NATS control line kept
// from the previous read, not of the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tern::loadgen {

inline constexpr uint8_t kWsText = 0x1;
inline constexpr uint8_t kWsBinary = 0x2;
inline constexpr uint8_t kWsClose = 0x8;
inline constexpr uint8_t kWsPing = 0x9;
inline constexpr uint8_t kWsPong = 0xA;

// A fresh Sec-WebSocket-Key (base64 of 16 random bytes).
std::string WsNewKey();
std::string WsAcceptFor(std::string_view key);
std::string WsUpgradeRequest(std::string_view host, int port, std::string_view path, std::string_view key);
// Looks at the start of the server's answer: 0 while the head is incomplete,
// its length (bytes to drop; frames may follow) when it is a 101 with the
// right Sec-WebSocket-Accept, -1 with *error set otherwise.
long WsCheckUpgrade(std::string_view data, std::string_view key, std::string* error);

// Appends one final frame of `opcode` carrying `data`, masked with `mask`
// as a client must.
void WsAppendFrame(std::string& out, uint8_t opcode, std::string_view data, uint32_t mask);

// A cheap source of masking keys (RFC 6455 wants them unpredictable to
// intermediaries, which a seeded xorshift is; strength does not matter here).
class WsMasks {
 public:
  WsMasks();
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<uint32_t>(state_ >> 16);
  }

 private:
  uint64_t state_;
};

class WsUnframer {
 public:
  struct Span {
    size_t begin = 0;
    size_t end = 0;
  };

  // buf[0, kept) is NATS data kept from earlier reads; buf[kept, end) is
  // raw bytes just read. Afterwards the NATS data, old and new, is
  // buf[begin, end) of the result; the rest of buf is scratch. Every raw byte
  // is consumed (a partial frame header is remembered).
  Span Unframe(char* buf, size_t kept, size_t end);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Ping payloads to answer with pongs; the caller clears it.
  std::vector<std::string>& pings() { return pings_; }
  bool close_received() const { return close_received_; }

 private:
  enum class State : uint8_t { kHead, kData, kControl };
  void OnHeader();
  void OnControl();

  State state_ = State::kHead;
  uint8_t head_[14];
  size_t head_have_ = 0;
  size_t head_need_ = 2;
  uint64_t left_ = 0;  // payload bytes of the current frame still to come
  uint8_t opcode_ = 0;
  std::string control_;
  std::vector<std::string> pings_;
  bool close_received_ = false;
  std::string error_;
};

}  // namespace tern::loadgen
