// Test helpers for proto/ws: a handler that records events as text so whole
// runs compare with ==, and feeding a byte stream cut at chosen offsets.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/ws/frame_decoder.h"

namespace tern::proto::ws::testing {

inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

// One frame built by hand, so tests can make frames the encoder never
// would: any first byte, any length form (2: 7-bit, 4: 16-bit, 10: 64-bit).
inline std::string RawFrame(uint8_t b0, std::string_view payload, std::optional<MaskKey> mask = std::nullopt,
                            int length_form = 0, uint64_t declared = UINT64_MAX) {
  const uint64_t len = declared == UINT64_MAX ? payload.size() : declared;
  if (length_form == 0) length_form = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
  std::string s(1, static_cast<char>(b0));
  const char m = mask ? static_cast<char>(0x80) : 0;
  if (length_form == 2) {
    s += static_cast<char>(m | static_cast<char>(len));
  } else if (length_form == 4) {
    s += static_cast<char>(m | 126);
    s += static_cast<char>(len >> 8);
    s += static_cast<char>(len);
  } else {
    s += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) s += static_cast<char>(len >> (8 * i));
  }
  std::string body(payload);
  if (mask) {
    s.append(reinterpret_cast<const char*>(mask->data()), 4);
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(body[i] ^ (*mask)[i % 4]);
  }
  return s + body;
}

// Records events; data pieces are joined per message, since how a message
// is cut into pieces depends on the reads.
class Recorder : public FrameHandler {
 public:
  void OnData(Opcode type, std::string_view chunk, bool message_end) override {
    EXPECT_TRUE(type == Opcode::kText || type == Opcode::kBinary);
    EXPECT_FALSE(closed_) << "data after close";
    if (partial_type_) {
      EXPECT_EQ(*partial_type_, type) << "type changed inside a message";
    }
    partial_type_ = type;
    partial_ += chunk;
    bytes_delivered += chunk.size();
    ++pieces;
    if (message_end) {
      events.push_back(std::string(type == Opcode::kText ? "text:" : "binary:") + partial_);
      partial_.clear();
      partial_type_.reset();
    }
  }
  void OnPing(std::string_view payload) override { events.push_back("ping:" + std::string(payload)); }
  void OnPong(std::string_view payload) override { events.push_back("pong:" + std::string(payload)); }
  void OnClose(uint16_t code, std::string_view reason) override {
    EXPECT_FALSE(closed_);
    closed_ = true;
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }

  std::vector<std::string> events;
  size_t bytes_delivered = 0;
  size_t pieces = 0;

 private:
  std::string partial_;
  std::optional<Opcode> partial_type_;
  bool closed_ = false;
};

struct Outcome {
  std::vector<std::string> events;
  uint16_t error = 0;
  bool closed = false;
  size_t consumed = 0;  // in all; on close, where the close frame ended

  bool operator==(const Outcome& o) const {
    return events == o.events && error == o.error && closed == o.closed && consumed == o.consumed;
  }
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{error=" << o.error << " closed=" << o.closed << " consumed=" << o.consumed << " events=[";
  for (const auto& e : o.events) os << ::testing::PrintToString(e.size() > 80 ? e.substr(0, 80) + "..." : e) << ",";
  return os << "]}";
}

struct DecodeSetup {
  Role role = Role::kServer;
  DecoderLimits limits;
  std::optional<DeflateParams> deflate;
};

// Feeds `input` cut at the ascending offsets `cuts`, each chunk in a buffer
// of its own that is scribbled over afterwards, so a view that outlives
// Feed() shows up as a wrong event.
inline Outcome FeedSplit(std::string_view input, const std::vector<size_t>& cuts, const DecodeSetup& setup = {},
                         Recorder* recorder = nullptr) {
  FrameDecoder decoder(setup.role, setup.limits);
  if (setup.deflate) decoder.EnableDeflate(*setup.deflate);
  Recorder local;
  Recorder& rec = recorder != nullptr ? *recorder : local;
  Outcome out;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    std::string chunk(input.substr(start, end - start));
    const DecodeResult r = decoder.Feed(chunk.data(), chunk.size(), rec);
    std::fill(chunk.begin(), chunk.end(), '#');
    EXPECT_LE(r.consumed, chunk.size());
    if (!r.ok()) {
      EXPECT_FALSE(r.reason.empty());
      out.error = r.error;
      break;
    }
    if (r.closed) {
      out.closed = true;
      out.consumed += r.consumed;
      // Nothing more is taken once the close frame is in.
      std::string more = "xyz";
      const DecodeResult again = decoder.Feed(more.data(), more.size(), rec);
      EXPECT_TRUE(again.closed);
      EXPECT_EQ(again.consumed, 0u);
      break;
    }
    EXPECT_EQ(r.consumed, chunk.size());
    out.consumed += r.consumed;
    start = end;
  }
  if (out.error != 0) out.consumed = 0;  // where an error is found depends on the split
  out.events = rec.events;
  return out;
}

inline Outcome FeedWhole(std::string_view input, const DecodeSetup& setup = {}) { return FeedSplit(input, {}, setup); }

inline std::vector<size_t> EveryByte(size_t size) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < size; ++i) cuts.push_back(i);
  return cuts;
}

// The outcome must not depend on how the bytes arrive: every split point,
// every pair of split points for short inputs, and one byte at a time.
inline void ExpectSplitInvariant(std::string_view input, const DecodeSetup& setup = {}, size_t pair_limit = 64) {
  const Outcome want = FeedWhole(input, setup);
  for (size_t i = 1; i < input.size(); ++i) {
    ASSERT_EQ(FeedSplit(input, {i}, setup), want) << "split at " << i;
  }
  if (input.size() <= pair_limit) {
    for (size_t i = 1; i < input.size(); ++i) {
      for (size_t j = i + 1; j < input.size(); ++j) {
        ASSERT_EQ(FeedSplit(input, {i, j}, setup), want) << "split at " << i << "," << j;
      }
    }
  }
  ASSERT_EQ(FeedSplit(input, EveryByte(input.size()), setup), want) << "one byte at a time";
}

}  // namespace tern::proto::ws::testing
