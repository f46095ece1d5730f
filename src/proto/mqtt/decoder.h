// Decoder for the packets one MQTT peer sends, in the shape of the project's
// other parsers: a state machine over bytes with no socket. Each Decode()
// call takes whatever the socket gave and returns one packet, "need more"
// (having kept the bytes of the partial packet), or an error, with how much
// of the input it consumed.
//
// A packet that arrives whole is decoded in place: its strings and payload
// are views into the caller's buffer. One split across reads is copied, once,
// into a buffer of the decoder's own that grows with the bytes that actually
// arrive (never with what the header declares) and is given back between
// packets when it grew large, so an idle connection keeps sizeof(Decoder) and
// nothing on the heap. The maximum packet size is checked on the fixed
// header, before any of the body is kept: a declared 256 MiB packet costs
// nothing.
//
// Every check the spec asks of a receiver is made here (see parse.h and
// decode_properties.h for the list), and an error says which rule was broken,
// the reason code the spec gives for it, and what to send before closing:
// a CONNACK for a refused CONNECT, a DISCONNECT for a 5.0 peer afterwards,
// nothing for 3.1.1 (whose servers have no DISCONNECT to send).
//
//   for (;;) {
//     mqtt::Packet packet;
//     const mqtt::DecodeResult r = decoder.Decode(input, &packet);
//     input.remove_prefix(r.consumed);
//     if (r.status == mqtt::DecodeStatus::kNeedMore) break;  // all of input consumed
//     if (r.status == mqtt::DecodeStatus::kError) return Refuse(decoder.error());
//     Handle(packet);  // its views are valid until the next Decode()
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/mqtt/packets.h"
#include "proto/mqtt/types.h"

namespace tern::proto::mqtt {

// 1 MiB, EMQX's default (mosquitto's is the protocol's 256 MiB).
inline constexpr uint32_t kDefaultMaxPacketSize = 1u << 20;

struct DecoderOptions {
  Role role = Role::kServer;
  // Server: kUnknown (the default) expects a CONNECT first and takes the
  // version from it; a version means the CONNECT was handled before this
  // decoder started (tests, a connection handed over). Client: the version
  // its CONNECT asked for; required.
  Version version = Version::kUnknown;
  // Largest whole packet accepted, fixed header included (the size 5.0's
  // Maximum Packet Size counts). A server announces it in its CONNACK.
  uint32_t max_packet_size = kDefaultMaxPacketSize;
};

enum class DecodeStatus : uint8_t {
  kPacket,    // one packet decoded
  kNeedMore,  // all the input was consumed (and the bytes of a partial packet kept)
  kError,     // see Decoder::error(); every later call fails the same way
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  // Bytes of the input this call used: the packet's own when kPacket (the
  // part of it this input held, if it began in an earlier one), all of them
  // when kNeedMore, 0 when kError.
  size_t consumed = 0;
};

enum class ErrorAction : uint8_t {
  kClose,           // close without sending anything
  kSendConnack,     // send CONNACK with `reason` (in `version`'s form), then close
  kSendDisconnect,  // send DISCONNECT with `reason` (5.0 only), then close
};

struct DecodeError {
  ReasonCode reason = ReasonCode::kSuccess;
  ErrorAction action = ErrorAction::kClose;
  // The form of the CONNACK or DISCONNECT to send. A CONNECT whose level is
  // not one this codec speaks is answered in 3.1.1's form, as mosquitto
  // does: every client can read it.
  Version version = Version::kUnknown;
  // Which rule the packet broke, for logs ("MQTT-3.3.1-4: PUBLISH with QoS 3").
  std::string_view rule;
};

class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {});

  // Decodes at most one packet from the start of `input` into `*packet`.
  DecodeResult Decode(std::string_view input, Packet* packet);

  const DecodeError& error() const { return error_; }
  Role role() const { return role_; }
  // The version packets are decoded as: a server's is set by the CONNECT.
  Version version() const { return version_; }
  // A client learns the version it speaks only from its own CONNECT.
  void set_version(Version version) { version_ = version; }
  uint32_t max_packet_size() const { return max_packet_size_; }
  void set_max_packet_size(uint32_t max) { max_packet_size_ = max; }

  // Bytes held for a split packet (or the last packet, until the next call).
  size_t buffered() const { return header_have_ + partial_.size(); }
  // Heap bytes held: the split buffer's capacity.
  size_t heap_bytes() const { return partial_.capacity() > kInlineCapacity ? partial_.capacity() : 0; }
  // Gives the split buffer's memory back when no packet is in progress.
  // Ends the life of the last packet's views if they were in it.
  void ShrinkIfIdle();

 private:
  enum class State : uint8_t { kHeader, kBody, kDelivered, kFailed };
  // std::string's own storage, which costs no heap.
  static constexpr size_t kInlineCapacity = 15;

  // Checks the fixed header in [p, p + n) as far as it goes: 0 = need more,
  // else its size; -1 on error.
  int ScanHeader(const uint8_t* p, size_t n, uint32_t* remaining);
  bool CheckFirstByte(uint8_t b);
  bool CheckLength(uint8_t b, size_t header_size, uint32_t remaining);
  bool DecodeBody(uint8_t b, std::string_view body, Packet* packet);
  void Gather(const char* p, size_t n);
  void ReleasePartial();
  bool Fail(ReasonCode reason, std::string_view rule);

  std::string partial_;  // the body of a split packet
  uint32_t max_packet_size_;
  uint32_t body_size_ = 0;  // Remaining Length of the packet in progress
  uint8_t header_[5] = {};  // the fixed header of a split packet
  uint8_t header_have_ = 0;
  Role role_;
  Version version_;
  State state_ = State::kHeader;
  bool connected_ = false;  // server: CONNECT decoded
  DecodeError error_;
};

}  // namespace tern::proto::mqtt
