// The two sinks every encoder body is written against: a Counter that only
// adds up sizes (and notices a field too long for its length prefix) and a
// Writer that appends. Each packet's body is one template run through both,
// first to learn the Remaining Length, then to write, so the two can never
// disagree. Internal to the codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/mqtt/types.h"
#include "proto/mqtt/varint.h"

namespace tern::proto::mqtt {

class Counter {
 public:
  void U8(uint8_t) { size_ += 1; }
  void U16(uint16_t) { size_ += 2; }
  void U32(uint32_t) { size_ += 4; }
  void VarInt(uint32_t v) {
    if (v > kMaxVarInt) ok_ = false;
    size_ += VarIntSize(v);
  }
  void Binary(std::string_view s) {
    if (s.size() > kMaxStringSize) ok_ = false;
    size_ += 2 + s.size();
  }
  void String(std::string_view s) { Binary(s); }
  void Raw(std::string_view s) { size_ += s.size(); }
  void Skip(size_t n) { size_ += n; }
  // What another Counter counted, as if it had been counted here.
  void Add(const Counter& other) {
    size_ += other.size_;
    ok_ = ok_ && other.ok_;
  }

  size_t size() const { return size_; }
  // False when some field cannot be encoded.
  bool ok() const { return ok_; }

 private:
  size_t size_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    out_.append(b, 2);
  }
  void U32(uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    out_.append(b, 4);
  }
  void VarInt(uint32_t v) { AppendVarInt(out_, v); }
  void Binary(std::string_view s) {
    U16(static_cast<uint16_t>(s.size()));
    out_.append(s);
  }
  void String(std::string_view s) { Binary(s); }
  void Raw(std::string_view s) { out_.append(s); }
  void Skip(size_t) {}  // bytes the caller writes itself (a spliced payload)

 private:
  std::string& out_;
};

}  // namespace tern::proto::mqtt
