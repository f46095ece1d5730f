// libFuzzer target for the NATS server-side parser. For every input it checks
// that the outcome does not depend on how the bytes are split into reads, that
// the consumed counts and the split buffer stay within bounds, and that every
// operation re-encoded in canonical form parses back to the same operation.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/nats/server_parser.h"

namespace {

using tern::proto::nats::ParseError;
using tern::proto::nats::ParseLimits;
using tern::proto::nats::PubOp;
using tern::proto::nats::ServerOpHandler;
using tern::proto::nats::ServerParser;
using tern::proto::nats::SubOp;
using tern::proto::nats::UnsubOp;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

struct Op {
  char kind;  // C connect, P pub, S sub, U unsub, i ping, o pong, I info
  std::string a, b, c, d;
  int64_t n = -1;
  bool operator==(const Op&) const = default;
};

class Recorder : public ServerOpHandler {
 public:
  explicit Recorder(const ParseLimits& limits) : limits_(limits) {}
  void OnConnect(std::string_view json) override { ops.push_back({'C', std::string(json)}); }
  void OnPub(const PubOp& op) override {
    Check(!op.subject.empty(), "pub subject empty");
    Check(op.headers.size() + op.payload.size() <= limits_.max_payload, "pub over max_payload");
    ops.push_back({'P', std::string(op.subject), std::string(op.reply), std::string(op.headers),
                   std::string(op.payload)});
  }
  void OnSub(const SubOp& op) override {
    Check(!op.subject.empty() && !op.sid.empty(), "sub empty field");
    ops.push_back({'S', std::string(op.subject), std::string(op.queue), std::string(op.sid)});
  }
  void OnUnsub(const UnsubOp& op) override {
    Check(op.max_msgs >= -1 && op.max_msgs <= 999999999, "unsub max out of range");
    ops.push_back({'U', std::string(op.sid), {}, {}, {}, op.max_msgs});
  }
  void OnPing() override { ops.push_back({'i'}); }
  void OnPong() override { ops.push_back({'o'}); }
  void OnInfo(std::string_view json) override { ops.push_back({'I', std::string(json)}); }

  std::vector<Op> ops;

 private:
  ParseLimits limits_;
};

struct Outcome {
  std::vector<Op> ops;
  ParseError error = ParseError::kNone;
};

Outcome FeedChunks(const uint8_t* data, size_t size, const std::vector<size_t>& cuts, const ParseLimits& limits,
                   bool headers) {
  ServerParser parser(limits);
  parser.set_headers_allowed(headers);
  Recorder rec(limits);
  Outcome out;
  size_t start = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : size;
    // A private copy per chunk, scribbled over afterwards: a view that outlived
    // Feed() would change the recorded ops.
    std::string chunk(reinterpret_cast<const char*>(data) + start, end - start);
    auto r = parser.Feed(chunk.data(), chunk.size(), rec);
    std::fill(chunk.begin(), chunk.end(), '\x7f');
    Check(r.consumed <= chunk.size(), "consumed beyond chunk");
    if (r.error != ParseError::kNone) {
      out.error = r.error;
      break;
    }
    Check(r.consumed == chunk.size(), "consumed less than chunk without error");
    // At most one op is held: its control line plus its payload.
    Check(parser.buffered() <= limits.max_control_line + 16 + limits.max_payload + 2, "split buffer too big");
    if (i % 3 == 0) parser.ShrinkIfIdle();
    start = end;
  }
  out.ops = std::move(rec.ops);
  return out;
}

std::string Encode(const Op& op) {
  switch (op.kind) {
    case 'C': return "CONNECT " + op.a + "\r\n";
    case 'I': return "INFO " + op.a + "\r\n";
    case 'i': return "PING\r\n";
    case 'o': return "PONG\r\n";
    case 'S': return "SUB " + op.a + " " + (op.b.empty() ? "" : op.b + " ") + op.c + "\r\n";
    case 'U': return "UNSUB " + op.a + (op.n >= 0 ? " " + std::to_string(op.n) : "") + "\r\n";
    case 'P': {
      const std::string reply = op.b.empty() ? "" : op.b + " ";
      const size_t total = op.c.size() + op.d.size();
      if (op.c.empty()) return "PUB " + op.a + " " + reply + std::to_string(total) + "\r\n" + op.d + "\r\n";
      return "HPUB " + op.a + " " + reply + std::to_string(op.c.size()) + " " + std::to_string(total) + "\r\n" +
             op.c + op.d + "\r\n";
    }
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  // The first bytes pick limits small enough for the fuzzer to hit them.
  ParseLimits limits;
  limits.max_control_line = 8 + data[0] % 64;
  limits.max_payload = data[1] % 2 ? 1024 * 1024 : data[1] % 96;
  const bool headers = data[2] % 4 != 0;
  const uint32_t seed = data[2];
  data += 3;
  size -= 3;

  const Outcome whole = FeedChunks(data, size, {}, limits, headers);

  // Split at every point for short inputs, else at a few points derived from the input.
  std::vector<std::vector<size_t>> splits;
  if (size <= 64) {
    for (size_t i = 1; i < size; ++i) splits.push_back({i});
  } else {
    uint32_t x = seed * 2654435761u + static_cast<uint32_t>(size);
    for (int k = 0; k < 8; ++k) {
      x = x * 1664525u + 1013904223u;
      splits.push_back({1 + x % (size - 1)});
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < size; ++i) bytes.push_back(i);
  splits.push_back(bytes);
  for (const auto& cuts : splits) {
    const Outcome got = FeedChunks(data, size, cuts, limits, headers);
    Check(got.error == whole.error, "error depends on split");
    Check(got.ops == whole.ops, "ops depend on split");
  }

  // Canonical re-encoding parses back to the same ops (no headers-off or size
  // surprises: the ops already passed these limits).
  std::string wire;
  for (const Op& op : whole.ops) wire += Encode(op);
  const size_t line_room = wire.size() + 16;
  ParseLimits roomy{.max_control_line = line_room, .max_payload = limits.max_payload};
  const Outcome again =
      FeedChunks(reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), {}, roomy, /*headers=*/true);
  Check(again.error == ParseError::kNone, "re-encoded ops fail to parse");
  Check(again.ops == whole.ops, "re-encoded ops differ");
  return 0;
}
