// Google Benchmark of the NATS server-side parser on its hot path: a read
// buffer full of small PUBs. Reports bytes/s and ops/s (items).
//
//   ./parser_bench --benchmark_filter=Pub
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "proto/nats/server_parser.h"

namespace {

using tern::proto::nats::ParseError;
using tern::proto::nats::PubOp;
using tern::proto::nats::ServerOpHandler;
using tern::proto::nats::ServerParser;
using tern::proto::nats::SubOp;
using tern::proto::nats::UnsubOp;

// Touches what a real handler would read so nothing is optimised away.
class CountingHandler : public ServerOpHandler {
 public:
  void OnConnect(std::string_view) override {}
  void OnPub(const PubOp& op) override {
    ++pubs;
    bytes += op.subject.size() + op.payload.size();
  }
  void OnSub(const SubOp&) override {}
  void OnUnsub(const UnsubOp&) override {}
  void OnPing() override {}
  void OnPong() override {}
  uint64_t pubs = 0;
  uint64_t bytes = 0;
};

std::string MakePubs(size_t payload_size, size_t buffer_size, size_t* ops) {
  const std::string one =
      "PUB foo.bar " + std::to_string(payload_size) + "\r\n" + std::string(payload_size, 'x') + "\r\n";
  std::string buf;
  *ops = 0;
  while (buf.size() + one.size() <= buffer_size) {
    buf += one;
    ++*ops;
  }
  return buf;
}

// One Feed over a 64 KiB buffer of whole PUBs (the shape of one large read).
void BM_ParsePubs(benchmark::State& state) {
  size_t ops = 0;
  const std::string buf = MakePubs(static_cast<size_t>(state.range(0)), 64 * 1024, &ops);
  ServerParser parser;
  CountingHandler handler;
  for (auto _ : state) {
    auto r = parser.Feed(buf.data(), buf.size(), handler);
    if (r.error != ParseError::kNone) state.SkipWithError("parse error");
    benchmark::DoNotOptimize(handler.bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ops));
}
BENCHMARK(BM_ParsePubs)->Arg(16)->Arg(0)->Arg(128)->Arg(1024);

// The same stream cut into reads that split ops (4000-byte chunks), so the
// split-buffer path is part of the figure.
void BM_ParsePubsSplitReads(benchmark::State& state) {
  size_t ops = 0;
  const std::string buf = MakePubs(static_cast<size_t>(state.range(0)), 64 * 1024, &ops);
  const size_t chunk = 4000;
  ServerParser parser;
  CountingHandler handler;
  for (auto _ : state) {
    for (size_t at = 0; at < buf.size(); at += chunk) {
      const size_t n = std::min(chunk, buf.size() - at);
      auto r = parser.Feed(buf.data() + at, n, handler);
      if (r.error != ParseError::kNone) state.SkipWithError("parse error");
    }
    benchmark::DoNotOptimize(handler.bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buf.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ops));
}
BENCHMARK(BM_ParsePubsSplitReads)->Arg(16);

}  // namespace

BENCHMARK_MAIN();
