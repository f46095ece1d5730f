#include "proto/utf8.h"

#include <cstring>

namespace tern::proto {

bool Utf8Validator::Feed(const char* data, size_t size) {
  if (need_ == kFailed) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  const uint8_t* const end = p + size;
  uint8_t need = need_;
  uint8_t lo = lo_;
  uint8_t hi = hi_;
  while (p < end) {
    if (need == 0) {
      // Most text on a NATS or MQTT connection is ASCII: skip it a word at a time.
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if ((w & 0x8080808080808080ull) != 0) break;
        p += 8;
      }
      if (p == end) break;
      const uint8_t c = *p++;
      if (c < 0x80) continue;
      if (c < 0xC2) {  // continuation byte without a lead, or an overlong 2-byte form
        need_ = kFailed;
        return false;
      }
      if (c < 0xE0) {
        need = 1, lo = 0x80, hi = 0xBF;
      } else if (c < 0xF0) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
        hi = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
      } else if (c < 0xF5) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
        hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would pass U+10FFFF
      } else {
        need_ = kFailed;
        return false;
      }
    } else {
      const uint8_t c = *p++;
      if (c < lo || c > hi) {
        need_ = kFailed;
        return false;
      }
      lo = 0x80, hi = 0xBF;
      --need;
    }
  }
  need_ = need;
  lo_ = lo;
  hi_ = hi;
  return true;
}

bool IsValidUtf8(std::string_view data) {
  Utf8Validator v;
  return v.Feed(data) && v.AtBoundary();
}

}  // namespace tern::proto
