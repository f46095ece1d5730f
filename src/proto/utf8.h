// Streaming UTF-8 validation (RFC 3629), shared by the WebSocket codec (text
// messages arrive in pieces cut anywhere, even inside a code point, so the
// validator carries the partial sequence across calls in three bytes of
// state) and the MQTT codec (whose strings must also be free of U+0000; that
// check is MQTT's own, since U+0000 is valid UTF-8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tern::proto {

class Utf8Validator {
 public:
  // False as soon as the bytes so far cannot begin valid UTF-8 (overlong
  // forms, surrogates, code points past U+10FFFF, stray continuation bytes);
  // the validator then stays failed until Reset().
  bool Feed(const char* data, size_t size);
  bool Feed(std::string_view data) { return Feed(data.data(), data.size()); }
  // True when everything fed is valid and does not end inside a code point.
  bool AtBoundary() const { return need_ == 0; }
  void Reset() { need_ = 0; }

 private:
  static constexpr uint8_t kFailed = 0xFF;
  uint8_t need_ = 0;  // continuation bytes still expected, or kFailed
  // The range the next continuation byte must fall in: narrower than
  // 80..BF right after some lead bytes, which is how overlongs, surrogates
  // and values past U+10FFFF are refused.
  uint8_t lo_ = 0x80;
  uint8_t hi_ = 0xBF;
};

bool IsValidUtf8(std::string_view data);

}  // namespace tern::proto
