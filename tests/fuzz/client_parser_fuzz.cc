// libFuzzer target for the client-side parser (what a server sends). A client
// trusts its server, but a broken or hostile one must not crash it: for every
// input the outcome must not depend on how the bytes are split into reads.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/nats/client_parser.h"

namespace {

using namespace tern::proto::nats;

struct Op {
  char kind;
  std::string a, b, c, d, e;
  bool operator==(const Op&) const = default;
};

class Recorder : public ClientOpHandler {
 public:
  void OnInfo(std::string_view json) override { ops.push_back({'I', std::string(json)}); }
  void OnMsg(const MsgOp& op) override {
    ops.push_back({'M', std::string(op.subject), std::string(op.sid), std::string(op.reply),
                   std::string(op.headers), std::string(op.payload)});
  }
  void OnPing() override { ops.push_back({'i'}); }
  void OnPong() override { ops.push_back({'o'}); }
  void OnOk() override { ops.push_back({'k'}); }
  void OnErr(std::string_view text) override { ops.push_back({'E', std::string(text)}); }
  std::vector<Op> ops;
};

struct Outcome {
  std::vector<Op> ops;
  ParseError error = ParseError::kNone;
};

Outcome Feed(const uint8_t* data, size_t size, size_t step) {
  constexpr ParseLimits kLimits{512, 4096};
  ClientParser parser(kLimits);
  Recorder rec;
  Outcome out;
  for (size_t start = 0; start < size; start += step) {
    size_t n = std::min(step, size - start);
    // A private copy per chunk, scribbled over afterwards, so a view that
    // outlived its chunk shows up as a mismatch.
    std::string chunk(reinterpret_cast<const char*>(data) + start, n);
    FeedResult r = parser.Feed(chunk.data(), chunk.size(), rec);
    chunk.assign(chunk.size(), '#');
    if (r.consumed > n) std::abort();
    if (r.error != ParseError::kNone) {
      out.error = r.error;
      break;
    }
  }
  out.ops = std::move(rec.ops);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Outcome whole = Feed(data, size, size == 0 ? 1 : size);
  for (size_t step : {size_t{1}, size_t{3}, size_t{64}}) {
    Outcome split = Feed(data, size, step);
    if (split.error != whole.error || !(split.ops == whole.ops)) {
      std::fprintf(stderr, "outcome depends on the split (step %zu)\n", step);
      std::abort();
    }
  }
  return 0;
}
