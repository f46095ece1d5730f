// The hash for a worker's match cache, run once per publish. std::hash on a
// string_view is a general byte hash (a call, a loop over every byte);
// subjects are short, so this one reads them eight bytes at a time, inline.
// Seeded per instance so a publisher cannot pick subjects that collide on
// every server.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tern::core {

class SubjectHash {
 public:
  using is_transparent = void;

  explicit SubjectHash(uint64_t seed = 0) : seed_(seed) {}

  size_t operator()(std::string_view s) const noexcept {
    const char* p = s.data();
    size_t n = s.size();
    uint64_t h = seed_ ^ n;
    for (; n > 8; n -= 8, p += 8) h = Round(h, Load8(p));
    // The last 1..8 bytes: overlapping loads instead of a byte loop.
    uint64_t tail;
    if (s.size() >= 8) {
      tail = Load8(s.data() + s.size() - 8);
    } else if (n >= 4) {
      tail = (uint64_t{Load4(p)} << 32) | Load4(p + n - 4);
    } else if (n > 0) {
      tail = (uint64_t{static_cast<unsigned char>(p[0])} << 16) |
             (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) | static_cast<unsigned char>(p[n - 1]);
    } else {
      tail = 0;
    }
    return Finish(Round(h, tail));
  }

 private:
  static constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;

  static uint64_t Load8(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint32_t Load4(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  static uint64_t Round(uint64_t h, uint64_t w) {
    h = (h ^ w) * kMul;
    return h ^ (h >> 32);
  }
  // One more multiply and fold, so high input bits reach the low ones too.
  // Short on purpose: the whole hash is one dependency chain on the publish
  // path, and the table reduces it modulo a prime, which uses every bit.
  static uint64_t Finish(uint64_t h) {
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 32);
  }

  uint64_t seed_;
};

}  // namespace tern::core
