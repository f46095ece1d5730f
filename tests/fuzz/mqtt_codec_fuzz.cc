// libFuzzer target for proto/mqtt. The first byte picks the decoder: its
// role, its version (or, for a server, none yet: a CONNECT must come first)
// and, if asked, a small maximum packet size taken from the second byte. For
// every input it checks that
//   - the outcome (packets and error) does not depend on how the bytes are
//     split into reads: whole, cut in two at several points, one at a time;
//   - no read goes past the input: every chunk lives in a heap block of its
//     exact size, so ASan sees a byte too far;
//   - memory stays bounded: never more held than one packet, no more heap
//     than twice what is held, and none kept for long once idle;
//   - an error carries a rule, and a reason code the packet it asks to send
//     (CONNACK or DISCONNECT) may carry;
//   - every packet decoded, encoded again, is the same packet once decoded,
//     and its encoded size is what EncodedSize() said.
// It also runs the topic helpers over the input as a string.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "proto/mqtt/decoder.h"
#include "proto/mqtt/describe.h"
#include "proto/mqtt/encoder.h"
#include "proto/mqtt/topic.h"

namespace {

using namespace tern::proto::mqtt;  // NOLINT: a fuzz target touching the whole codec

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

struct Outcome {
  std::vector<std::string> packets;
  bool failed = false;
  ReasonCode reason = ReasonCode::kSuccess;
  ErrorAction action = ErrorAction::kClose;
  Version version = Version::kUnknown;
  std::string rule;
  bool operator==(const Outcome&) const = default;
};

// The packet decoded from `original`'s bytes, written again and decoded by
// a decoder in the state the first one was in.
void CheckReencoded(const DecoderOptions& options, Version version_before, const Packet& original) {
  const Version v = TypeOf(original) == PacketType::kConnect ? std::get<Connect>(original).version : version_before;
  std::string wire;
  Check(AppendPacket(wire, v, original), "decoded packet cannot be encoded");
  Check(wire.size() == EncodedSize(v, original), "EncodedSize differs from what was written");
  DecoderOptions again = options;
  again.max_packet_size = kMaxPacketSize;
  again.version = TypeOf(original) == PacketType::kConnect ? Version::kUnknown : v;
  Decoder decoder(again);
  Packet decoded;
  const DecodeResult r = decoder.Decode(wire, &decoded);
  if (r.status != DecodeStatus::kPacket) {
    std::fprintf(stderr, "%s\n%s\n", Describe(original).c_str(), std::string(decoder.error().rule).c_str());
  }
  Check(r.status == DecodeStatus::kPacket, "re-encoded packet does not decode");
  Check(r.consumed == wire.size(), "re-encoded packet decodes to a different length");
  Check(decoded == original, "re-encoded packet decodes differently");
}

Outcome Decode(std::string_view input, const std::vector<size_t>& cuts, const DecoderOptions& options, bool reencode) {
  Decoder decoder(options);
  Outcome out;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size() && !out.failed; ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : input.size();
    const size_t n = end - start;
    // Exactly n bytes on the heap: a read past them is an ASan report.
    std::unique_ptr<char[]> chunk(new char[n == 0 ? 1 : n]);
    std::copy(input.begin() + static_cast<ptrdiff_t>(start), input.begin() + static_cast<ptrdiff_t>(end), chunk.get());
    std::string_view rest(chunk.get(), n);
    for (;;) {
      const Version before = decoder.version();
      Packet packet;
      const DecodeResult r = decoder.Decode(rest, &packet);
      // A split fixed header is kept whatever the limit: up to five bytes.
      Check(decoder.buffered() <= std::max<size_t>(options.max_packet_size, 5), "holds more than one packet");
      Check(decoder.heap_bytes() <= std::max<size_t>(512, 2 * decoder.buffered() + 64), "heap out of bounds");
      if (r.status == DecodeStatus::kError) {
        Check(r.consumed == 0, "error consumed bytes");
        const DecodeError& e = decoder.error();
        Check(!e.rule.empty(), "error without a rule");
        Check(IsError(e.reason), "error with a success code");
        if (e.action == ErrorAction::kSendConnack) {
          Check(IsValidReasonFor(e.reason, PacketType::kConnack), "CONNACK reason not a CONNACK code");
          Check(e.version != Version::kUnknown, "CONNACK without a version");
        }
        if (e.action == ErrorAction::kSendDisconnect) {
          Check(IsValidReasonFor(e.reason, PacketType::kDisconnect), "DISCONNECT reason not a DISCONNECT code");
          Check(e.version == Version::kV5, "DISCONNECT before 5.0");
        }
        out.failed = true;
        out.reason = e.reason;
        out.action = e.action;
        out.version = e.version;
        out.rule = std::string(e.rule);
        break;
      }
      if (r.status == DecodeStatus::kNeedMore) {
        Check(r.consumed == rest.size(), "need-more without consuming everything");
        break;
      }
      Check(r.consumed <= rest.size(), "consumed past the chunk");
      out.packets.push_back(Describe(packet));
      if (reencode) CheckReencoded(options, before, packet);
      rest.remove_prefix(r.consumed);
    }
    // Scribble: a view that outlived its packet would change the next one.
    std::fill(chunk.get(), chunk.get() + n, '\x5a');
    if (i % 3 == 2) decoder.ShrinkIfIdle();
    start = end;
  }
  // Once idle, the decoder keeps little.
  Packet none;
  if (!out.failed && decoder.Decode({}, &none).status == DecodeStatus::kNeedMore && decoder.buffered() == 0) {
    Check(decoder.heap_bytes() <= 512, "idle decoder keeps a large buffer");
  }
  return out;
}

void FuzzTopics(std::string_view s) {
  if (IsValidTopicName(s)) Check(!HasWildcard(s) && !s.empty(), "topic name with a wildcard");
  const bool filter = IsValidTopicFilter(s);
  if (IsSharedSubscription(s)) {
    const auto shared = ParseSharedSubscription(s);
    Check(filter == shared.has_value(), "shared filter validity disagrees");
    if (shared) {
      Check(!shared->group.empty() && !HasWildcard(shared->group), "bad share group");
      // The part after the group is a plain filter, even one that starts
      // with "$share/" itself; under a prefix the plain rules apply alone.
      Check(!shared->filter.empty() && IsValidTopicFilter("x/" + std::string(shared->filter)), "bad shared filter");
    }
  } else {
    Check(!ParseSharedSubscription(s).has_value(), "not shared but parsed as shared");
  }
  if (filter && !HasWildcard(s) && !IsSharedSubscription(s)) Check(IsValidTopicName(s), "plain filter not a name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  const uint8_t limit = data[1];
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  DecoderOptions options;
  options.role = (mode & 4) != 0 ? Role::kClient : Role::kServer;
  static constexpr Version kVersions[] = {Version::kUnknown, Version::kV31, Version::kV311, Version::kV5};
  options.version = kVersions[mode & 3];
  if (options.role == Role::kClient && options.version == Version::kUnknown) options.version = Version::kV5;
  // Small enough for the fuzzer to reach.
  if ((mode & 8) != 0) options.max_packet_size = 2 + limit * 4u;

  const Outcome whole = Decode(input, {}, options, true);
  std::vector<std::vector<size_t>> splits;
  if (input.size() <= 64) {
    for (size_t i = 1; i < input.size(); ++i) splits.push_back({i});
  } else {
    uint32_t x = mode * 2654435761u + limit + static_cast<uint32_t>(input.size());
    for (int k = 0; k < 8; ++k) {
      x = x * 1664525u + 1013904223u;
      splits.push_back({1 + x % (input.size() - 1)});
    }
  }
  if (input.size() <= 4096) {
    std::vector<size_t> bytes;
    for (size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
    splits.push_back(std::move(bytes));
  }
  for (const auto& cuts : splits) Check(Decode(input, cuts, options, false) == whole, "outcome depends on the split");

  FuzzTopics(input);
  return 0;
}
