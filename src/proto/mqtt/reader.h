// Reads the data types of section 1.5 from a packet body that is wholly in
// memory, recording the first rule broken. Internal to the codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "proto/mqtt/reason_code.h"
#include "proto/mqtt/varint.h"
#include "proto/utf8.h"

namespace tern::proto::mqtt {

// True when no byte is 0 or above 0x7F, eight at a time: most topics and
// identifiers are plain ASCII, and then neither the UTF-8 validator nor the
// search for U+0000 needs to run. (A 0 byte borrows from the byte above it,
// which can only make this say false wrongly, never true.)
inline bool IsPlainAscii(const char* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (((w - 0x0101010101010101ull) | w) & 0x8080808080808080ull) return false;
  }
  for (; i < n; ++i) {
    const auto c = static_cast<uint8_t>(p[i]);
    if (c == 0 || c >= 0x80) return false;
  }
  return true;
}

// A UTF-8 Encoded String's content as 1.5.4 requires it: well-formed UTF-8
// (MQTT-1.5.4-1) with no U+0000 (MQTT-1.5.4-2).
inline bool IsValidMqttString(std::string_view s) {
  if (IsPlainAscii(s.data(), s.size())) return true;
  return std::memchr(s.data(), 0, s.size()) == nullptr && IsValidUtf8(s);
}

// The first rule a packet broke: the reason code the spec asks for and a
// short static text naming the rule.
struct Fault {
  ReasonCode reason = ReasonCode::kSuccess;
  std::string_view rule;
};

inline constexpr std::string_view kTruncatedRule = "2.1.4: a field runs past the end of its packet or property block";

class Reader {
 public:
  Reader(std::string_view data, Fault* fault) : p_(data.data()), end_(data.data() + data.size()), fault_(fault) {}

  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  Fault* fault() const { return fault_; }

  // Records the fault (the first one wins) and returns false, so callers can
  // `return r.Fail(...)`.
  bool Fail(ReasonCode reason, std::string_view rule) {
    if (fault_->rule.empty()) *fault_ = {reason, rule};
    return false;
  }

  bool U8(uint8_t* v) {
    if (left() < 1) return Truncated();
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool U16(uint16_t* v) {
    if (left() < 2) return Truncated();
    *v = static_cast<uint16_t>(Byte(0) << 8 | Byte(1));
    p_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (left() < 4) return Truncated();
    *v = Byte(0) << 24 | Byte(1) << 16 | Byte(2) << 8 | Byte(3);
    p_ += 4;
    return true;
  }
  bool VarInt(uint32_t* v) {
    const VarIntResult r = DecodeVarInt(reinterpret_cast<const uint8_t*>(p_), left());
    if (r.status == VarIntStatus::kNeedMore) return Truncated();
    if (r.status == VarIntStatus::kMalformed) {
      return Fail(ReasonCode::kMalformedPacket, "1.5.5: Variable Byte Integer longer than four bytes");
    }
    *v = r.value;
    p_ += r.size;
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (left() < n) return Truncated();
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  // Binary Data (1.5.6): a two-byte length, then that many bytes.
  bool Binary(std::string_view* out) {
    uint16_t n;
    return U16(&n) && Bytes(n, out);
  }
  // UTF-8 Encoded String (1.5.4).
  bool String(std::string_view* out) {
    if (!Binary(out)) return false;
    if (IsPlainAscii(out->data(), out->size())) return true;
    if (std::memchr(out->data(), 0, out->size()) != nullptr) {
      return Fail(ReasonCode::kMalformedPacket, "MQTT-1.5.4-2: U+0000 in a UTF-8 string");
    }
    if (!IsValidUtf8(*out)) return Fail(ReasonCode::kMalformedPacket, "MQTT-1.5.4-1: ill-formed UTF-8 string");
    return true;
  }
  // Everything left, for a PUBLISH payload.
  std::string_view Rest() {
    std::string_view rest(p_, left());
    p_ = end_;
    return rest;
  }

 private:
  uint32_t Byte(size_t i) const { return static_cast<uint8_t>(p_[i]); }
  bool Truncated() { return Fail(ReasonCode::kMalformedPacket, kTruncatedRule); }

  const char* p_;
  const char* end_;
  Fault* fault_;
};

}  // namespace tern::proto::mqtt
