// Test helpers for proto/mqtt: bytes from hex, feeding a decoder a stream cut
// at chosen offsets (recording each packet as Describe() text, so whole runs
// compare with ==), and the split-invariance check every parser test uses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/mqtt/decoder.h"
#include "proto/mqtt/describe.h"
#include "proto/mqtt/encoder.h"
#include "proto/mqtt/varint.h"

namespace tern::proto::mqtt {

// gtest prints packets as their description.
inline void PrintTo(const Packet& packet, std::ostream* os) { *os << Describe(packet); }

namespace testing {

// "10 0c 00 04" -> bytes; blanks are ignored.
inline std::string Hex(std::string_view hex) {
  std::string out;
  int nibble = -1;
  for (const char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (nibble < 0) {
      nibble = v;
    } else {
      out += static_cast<char>(nibble << 4 | v);
      nibble = -1;
    }
  }
  return out;
}

// A two-byte length and the bytes, as strings and binary data go on the wire.
inline std::string Str(std::string_view s) {
  std::string out;
  out += static_cast<char>(s.size() >> 8);
  out += static_cast<char>(s.size());
  out += s;
  return out;
}

// A packet from its first byte and body, with the Remaining Length between.
inline std::string Frame(uint8_t first, std::string_view body) {
  std::string out(1, static_cast<char>(first));
  AppendVarInt(out, static_cast<uint32_t>(body.size()));
  out += body;
  return out;
}

inline DecoderOptions Server(Version v = Version::kUnknown, uint32_t max = kDefaultMaxPacketSize) {
  return {Role::kServer, v, max};
}
inline DecoderOptions Client(Version v, uint32_t max = kDefaultMaxPacketSize) { return {Role::kClient, v, max}; }

struct Outcome {
  std::vector<std::string> packets;
  bool failed = false;
  ReasonCode reason = ReasonCode::kSuccess;
  ErrorAction action = ErrorAction::kClose;
  Version version = Version::kUnknown;
  std::string rule;
  size_t consumed = 0;  // bytes of the packets decoded, in all
  bool operator==(const Outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  for (const std::string& p : o.packets) os << "\n  " << p;
  if (o.failed) {
    os << "\n  error reason=0x" << std::hex << static_cast<int>(o.reason) << std::dec
       << " action=" << static_cast<int>(o.action) << " version=" << static_cast<int>(o.version) << " rule=" << o.rule;
  }
  return os << "\n  consumed=" << o.consumed;
}

// Feeds `input` cut at `cuts` (ascending), each chunk in a buffer of its own
// that is scribbled over once the decoder is done with it, so a view that
// outlived its packet shows up as a wrong packet. Checks the consumed count
// of every call and that the decoder never holds more than one packet.
inline Outcome FeedSplit(std::string_view input, const std::vector<size_t>& cuts, DecoderOptions options = Server()) {
  Decoder decoder(options);
  Outcome out;
  size_t start = 0;
  size_t pending = 0;  // bytes of the packet in progress taken by earlier calls
  for (size_t i = 0; i <= cuts.size() && !out.failed; ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    auto chunk = std::make_unique<char[]>(end - start + 1);
    std::copy(input.begin() + static_cast<ptrdiff_t>(start), input.begin() + static_cast<ptrdiff_t>(end), chunk.get());
    std::string_view rest(chunk.get(), end - start);
    for (;;) {
      Packet packet;
      const DecodeResult r = decoder.Decode(rest, &packet);
      EXPECT_LE(decoder.buffered(), options.max_packet_size);
      if (r.status == DecodeStatus::kError) {
        EXPECT_EQ(r.consumed, 0u);
        const DecodeError& e = decoder.error();
        out.failed = true;
        out.reason = e.reason;
        out.action = e.action;
        out.version = e.version;
        out.rule = std::string(e.rule);
        EXPECT_FALSE(e.rule.empty());
        break;
      }
      if (r.status == DecodeStatus::kNeedMore) {
        EXPECT_EQ(r.consumed, rest.size());
        pending += r.consumed;
        break;
      }
      EXPECT_LE(r.consumed, rest.size());
      out.packets.push_back(Describe(packet));
      out.consumed += pending + r.consumed;
      pending = 0;
      rest.remove_prefix(r.consumed);
    }
    std::fill(chunk.get(), chunk.get() + (end - start), '\x5a');
    start = end;
  }
  return out;
}

inline Outcome FeedWhole(std::string_view input, DecoderOptions options = Server()) {
  return FeedSplit(input, {}, options);
}

// The outcome must not depend on how the bytes arrive: every split point,
// every pair of split points for short inputs, and one byte at a time.
inline void ExpectSplitInvariant(std::string_view input, DecoderOptions options = Server()) {
  const Outcome whole = FeedWhole(input, options);
  for (size_t i = 1; i < input.size(); ++i) {
    ASSERT_EQ(FeedSplit(input, {i}, options), whole) << "split at " << i;
  }
  if (input.size() <= 120) {
    for (size_t i = 1; i < input.size(); ++i) {
      for (size_t j = i + 1; j < input.size(); ++j) {
        ASSERT_EQ(FeedSplit(input, {i, j}, options), whole) << "split at " << i << "," << j;
      }
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  ASSERT_EQ(FeedSplit(input, bytes, options), whole) << "one byte at a time";
}

// A decoded packet with the bytes its views point into (on the heap, so
// that moving a Decoded leaves them where they are).
struct Decoded {
  std::unique_ptr<std::string> bytes;
  Packet packet;
};

// The one packet `bytes` holds, decoded whole; fails the test otherwise.
inline Decoded DecodeOne(std::string bytes, DecoderOptions options) {
  Decoded d{std::make_unique<std::string>(std::move(bytes)), {}};
  Decoder decoder(options);
  const DecodeResult r = decoder.Decode(*d.bytes, &d.packet);
  EXPECT_EQ(r.status, DecodeStatus::kPacket) << decoder.error().rule;
  EXPECT_EQ(r.consumed, d.bytes->size());
  return d;
}

// Decodes `bytes` expecting an error, and returns it.
inline Outcome ExpectError(std::string_view bytes, DecoderOptions options, ReasonCode reason, ErrorAction action) {
  Outcome o = FeedWhole(bytes, options);
  EXPECT_TRUE(o.failed) << o;
  EXPECT_EQ(o.reason, reason) << o;
  EXPECT_EQ(o.action, action) << o;
  return o;
}

}  // namespace testing
}  // namespace tern::proto::mqtt
