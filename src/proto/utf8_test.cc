#include "proto/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tern::proto {
namespace {

// A plain decoder straight from RFC 3629's table, to check against.
bool ReferenceValid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

TEST(Utf8Test, Samples) {
  for (const char* ok : {"", "plain ascii, long enough for the word-at-a-time path", "\x7f", "\xc2\x80", "\xdf\xbf",
                         "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                         "\xf4\x8f\xbf\xbf", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
  for (const char* bad :
       {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x7f", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80",
        "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "12345678\xe2\x82", "valid then \xc3\x28"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
}

// Every 1- and 2-byte string and every 3-byte string that starts with a
// 3-byte lead, against the reference.
TEST(Utf8Test, ExhaustiveShort) {
  std::string s(3, '\0');
  for (int a = 0; a < 256; ++a) {
    s.resize(1);
    s[0] = static_cast<char>(a);
    ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << a;
    for (int b = 0; b < 256; ++b) {
      s.resize(2);
      s[1] = static_cast<char>(b);
      ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << a << " " << b;
      if (a < 0xE0 || a > 0xEF) continue;
      s.resize(3);
      for (int c = 0; c < 256; ++c) {
        s[2] = static_cast<char>(c);
        ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << a << " " << b << " " << c;
      }
    }
  }
}

// Random strings rich in multi-byte sequences, fed whole and cut at every
// point: the verdict and the boundary state must not depend on the cut.
TEST(Utf8Test, StreamingMatchesWhole) {
  std::mt19937 rng(3629);
  const char* pieces[] = {"a",    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
                          "\x80", "\xc0",     "\xed\xa0",     "\xf4\x90",         "\xff",         "0123456789"};
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) s += pieces[rng() % (trial % 2 == 0 ? 6 : 12)];
    const bool whole = IsValidUtf8(s);
    ASSERT_EQ(whole, ReferenceValid(s));
    for (size_t cut = 0; cut <= s.size(); ++cut) {
      Utf8Validator v;
      const bool ok = v.Feed(s.substr(0, cut)) && v.Feed(s.substr(cut)) && v.AtBoundary();
      ASSERT_EQ(ok, whole) << ::testing::PrintToString(s) << " cut " << cut;
    }
    Utf8Validator v;
    bool ok = true;
    for (char c : s) ok = ok && v.Feed(&c, 1);
    ASSERT_EQ(ok && v.AtBoundary(), whole);
  }
}

TEST(Utf8Test, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.Feed("\xff"));
  EXPECT_FALSE(v.Feed("a"));
  EXPECT_FALSE(v.AtBoundary());
  v.Reset();
  EXPECT_TRUE(v.Feed("a\xc3"));
  EXPECT_FALSE(v.AtBoundary());
  EXPECT_TRUE(v.Feed("\xa9"));
  EXPECT_TRUE(v.AtBoundary());
}

}  // namespace
}  // namespace tern::proto
