// libFuzzer target for proto/route. The first byte picks the limits and a
// split seed; the rest is what a peer sent. For every input it checks that
// the operations and the outcome do not depend on how the bytes are split
// into reads, that every view lies in bounds and obeys the limits, and that
// the operations parsed, encoded again, parse to the same operations.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/route/encoder.h"
#include "proto/route/info.h"
#include "proto/route/parser.h"

namespace {

using namespace tern::proto::route;  // NOLINT: a fuzz target touching the whole codec

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

struct Op {
  OpType type;
  std::string subject, queue, reply, headers, payload, text;
  std::vector<std::string> queues;
  uint32_t weight;
  uint64_t count;
  bool operator==(const Op&) const = default;
};

struct Outcome {
  std::vector<Op> ops;
  bool failed = false;
};

Op Copy(const RouteOp& r, const RouteLimits& limits) {
  Check(r.payload.size() + r.headers.size() <= limits.max_payload, "payload within the limit");
  Check(r.type != OpType::kSubscribe || r.queue.empty() || r.weight > 0, "queue interest has a weight");
  Op op{r.type,
        std::string(r.subject),
        std::string(r.queue),
        std::string(r.reply),
        std::string(r.headers),
        std::string(r.payload),
        std::string(r.text),
        {},
        r.weight,
        r.count};
  for (auto q : r.queues) {
    Check(!q.empty(), "queue names are not empty");
    op.queues.emplace_back(q);
  }
  return op;
}

Outcome Run(const uint8_t* data, size_t size, RouteLimits limits, uint32_t seed, bool split) {
  RouteParser parser(limits);
  Outcome out;
  size_t start = 0;
  while (start < size) {
    size_t n = size - start;
    if (split) {
      seed = seed * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (seed >> 16) % 23);
    }
    std::string chunk(reinterpret_cast<const char*>(data) + start, n);
    size_t pos = 0;
    for (;;) {
      RouteOp op;
      NextResult r = parser.Next(chunk.data() + pos, chunk.size() - pos, &op);
      Check(r.consumed <= chunk.size() - pos, "consumed within the chunk");
      if (r.status == NextResult::Status::kError) {
        out.failed = true;
        return out;
      }
      pos += r.consumed;
      if (r.status == NextResult::Status::kNeedMore) {
        Check(pos == chunk.size(), "need-more takes the whole chunk");
        break;
      }
      out.ops.push_back(Copy(op, limits));
    }
    start += n;
  }
  return out;
}

std::string Encode(const std::vector<Op>& ops) {
  std::string out;
  for (const Op& op : ops) {
    switch (op.type) {
      case OpType::kSubscribe:
        AppendSubscribe(out, op.subject, op.queue, op.weight);
        break;
      case OpType::kUnsubscribe:
        AppendUnsubscribe(out, op.subject, op.queue);
        break;
      case OpType::kSyncDone:
        AppendSyncDone(out, op.count);
        break;
      case OpType::kMessage: {
        std::vector<std::string_view> queues(op.queues.begin(), op.queues.end());
        AppendMessage(out, op.subject, op.reply, queues, op.headers, op.payload);
        break;
      }
      case OpType::kPing:
        out.append(kPing);
        break;
      case OpType::kPong:
        out.append(kPong);
        break;
      case OpType::kBarrierAck:
        AppendBarrierAck(out, op.text);
        break;
      case OpType::kBarrier:
      case OpType::kInfo:
      case OpType::kConnect:
      case OpType::kError:
        return {};  // text forms the encoder does not reproduce byte for byte
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  RouteLimits limits;
  if (mode & 1) limits = RouteLimits{.max_control_line = 64, .max_payload = 32};
  const Outcome whole = Run(data + 1, size - 1, limits, mode, false);
  const Outcome split = Run(data + 1, size - 1, limits, mode * 2654435761u, true);
  Check(whole.failed == split.failed, "the outcome does not depend on the split");
  Check(whole.ops == split.ops, "the operations do not depend on the split");
  for (const Op& op : whole.ops) {
    if (op.type == OpType::kInfo) {
      RouteInfo info;
      std::string error;
      if (ParseInfo(op.text, &info, &error)) Check(!info.server_id.empty(), "an INFO has a server id");
    }
  }
  // Re-encoding writes CRLF where a peer may have sent a bare LF, so under
  // the small limits a line could no longer fit; check with the default ones.
  const std::string again = Encode(whole.ops);
  if (!again.empty() && !(mode & 1)) {
    const Outcome reparsed = Run(reinterpret_cast<const uint8_t*>(again.data()), again.size(), limits, 0, false);
    Check(!reparsed.failed, "re-encoded operations parse");
    Check(reparsed.ops == whole.ops, "re-encoded operations parse the same");
  }
  return 0;
}
