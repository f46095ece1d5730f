// Subscription index micro-benchmarks: uncached Sublist::Match against a
// MatchCache hit, at a few sizes, plus insert/remove and memory per
// subscription. The main tree has the shape of nats-server's
// Benchmark_SublistMatch* (8 tokens, every combination up to 5 levels deep,
// 37,448 subscriptions, plus three wildcard ones), so figures can be set side
// by side with its `go test -bench Sublist` output.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/subject.h"
#include "core/sublist.h"

namespace tern::core {
namespace {

const std::vector<std::string> kTokens = {"synadia", "nats", "jetstream", "nkeys", "jwt", "deny", "auth", "drain"};
const char* const kDepthSubject[] = {"",
                                     "synadia",
                                     "synadia.nats",
                                     "synadia.nats.jetstream",
                                     "synadia.nats.jetstream.nkeys",
                                     "synadia.nats.jetstream.nkeys.jwt"};

SubscriptionPtr MakeSub(std::string subject, std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->queue = std::move(queue);
  return sub;
}

void AddCombinations(const std::string& prefix, int depth, std::vector<SubscriptionPtr>* out) {
  for (const std::string& t : kTokens) {
    std::string subject = prefix.empty() ? t : prefix + "." + t;
    out->push_back(MakeSub(subject));
    if (depth < 5) AddCombinations(subject, depth + 1, out);
  }
}

// Built once, shared by the benchmarks that read it.
struct NatsShapedTree {
  Sublist sublist;
  std::vector<SubscriptionPtr> subs;
  NatsShapedTree() {
    AddCombinations("", 1, &subs);
    for (const char* wc : {"synadia.>", "synadia.nats.jetstream.>", "synadia.*.*.nkeys.*"}) subs.push_back(MakeSub(wc));
    for (const auto& s : subs) sublist.Insert(s);
  }
};

NatsShapedTree& Tree() {
  static NatsShapedTree tree;
  return tree;
}

void BM_SublistMatch(benchmark::State& state) {
  const Sublist& sl = Tree().sublist;
  const std::string subject = kDepthSubject[state.range(0)];
  size_t found = 0;
  for (auto _ : state) {
    MatchResultPtr r = sl.Match(subject);
    found += r->plain.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["subs_matched"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SublistMatch)->ArgName("tokens")->DenseRange(1, 5)->Threads(1)->Threads(2);

void BM_MatchCacheHit(benchmark::State& state) {
  const Sublist& sl = Tree().sublist;
  const std::string subject = kDepthSubject[state.range(0)];
  MatchCache cache(sl);
  cache.Lookup(subject);
  for (auto _ : state) benchmark::DoNotOptimize(&cache.Lookup(subject));
  if (cache.misses() != 1) state.SkipWithError("cache missed after warm-up");
}
BENCHMARK(BM_MatchCacheHit)->ArgName("tokens")->DenseRange(1, 5)->Threads(1)->Threads(2);

// A working set of many subjects, as a worker serving many publishers sees.
void BM_MatchCacheHitSpread(benchmark::State& state) {
  const Sublist& sl = Tree().sublist;
  std::vector<std::string> subjects;
  for (size_t i = 0; i < static_cast<size_t>(state.range(0)); ++i) {
    const auto& subs = Tree().subs;
    subjects.push_back(subs[(i * 7919) % subs.size()]->subject);
  }
  MatchCache cache(sl, subjects.size() * 2);
  for (const auto& s : subjects) cache.Lookup(s);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&cache.Lookup(subjects[i]));
    if (++i == subjects.size()) i = 0;
  }
}
BENCHMARK(BM_MatchCacheHitSpread)->ArgName("subjects")->Arg(100)->Arg(4000);

// N connections with one subscription each on their own subject (inboxes,
// device topics): the index is wide, not deep.
struct WideTree {
  Sublist sublist;
  std::vector<SubscriptionPtr> subs;
  explicit WideTree(size_t n, bool wildcards) {
    for (size_t i = 0; i < n; ++i) subs.push_back(MakeSub("device." + std::to_string(i) + ".events"));
    if (wildcards) {
      for (const char* wc : {"device.*.events", "device.>", ">", "*.*.events"}) subs.push_back(MakeSub(wc));
    }
    for (const auto& s : subs) sublist.Insert(s);
  }
};

void BM_SublistMatchLiteralN(benchmark::State& state) {
  WideTree tree(state.range(0), false);
  std::string subject = "device." + std::to_string(state.range(0) / 2) + ".events";
  for (auto _ : state) benchmark::DoNotOptimize(tree.sublist.Match(subject));
}
BENCHMARK(BM_SublistMatchLiteralN)->ArgName("subs")->Arg(1000)->Arg(10000)->Arg(100000);

void BM_SublistMatchWildcardN(benchmark::State& state) {
  WideTree tree(state.range(0), true);
  std::string subject = "device." + std::to_string(state.range(0) / 2) + ".events";
  for (auto _ : state) benchmark::DoNotOptimize(tree.sublist.Match(subject));
}
BENCHMARK(BM_SublistMatchWildcardN)->ArgName("subs")->Arg(1000)->Arg(10000)->Arg(100000);

void BM_MatchCacheHitWildcardN(benchmark::State& state) {
  WideTree tree(state.range(0), true);
  std::string subject = "device." + std::to_string(state.range(0) / 2) + ".events";
  MatchCache cache(tree.sublist);
  cache.Lookup(subject);
  for (auto _ : state) benchmark::DoNotOptimize(&cache.Lookup(subject));
}
BENCHMARK(BM_MatchCacheHitWildcardN)->ArgName("subs")->Arg(1000)->Arg(10000)->Arg(100000);

// No subscriber at all: the common case for telemetry nobody reads.
void BM_SublistMatchNoInterest(benchmark::State& state) {
  WideTree tree(10000, false);
  for (auto _ : state) benchmark::DoNotOptimize(tree.sublist.Match("device.none.events"));
}
BENCHMARK(BM_SublistMatchNoInterest);

// Copying N results out: a broadcast subject with N subscribers.
void BM_SublistMatchFanout(benchmark::State& state) {
  Sublist sl;
  std::vector<SubscriptionPtr> subs;
  for (int64_t i = 0; i < state.range(0); ++i) {
    subs.push_back(MakeSub("broadcast"));
    sl.Insert(subs.back());
  }
  for (auto _ : state) benchmark::DoNotOptimize(sl.Match("broadcast"));
}
BENCHMARK(BM_SublistMatchFanout)->ArgName("subs")->Arg(10)->Arg(100)->Arg(1000);

void BM_SublistInsertRemove(benchmark::State& state) {
  WideTree tree(state.range(0), true);
  auto fresh = MakeSub("device.new.events");
  auto queued = MakeSub("device.*.events", "workers");
  for (auto _ : state) {
    tree.sublist.Insert(fresh);
    tree.sublist.Insert(queued);
    tree.sublist.Remove(*fresh);
    tree.sublist.Remove(*queued);
  }
  state.SetItemsProcessed(state.iterations() * 4);  // items/s = single operations
}
BENCHMARK(BM_SublistInsertRemove)->ArgName("subs")->Arg(1000)->Arg(100000);

// Subject checks: IsValidLiteralSubject runs on every PUB in pedantic mode,
// IsValidSubject on every SUB.
void BM_IsValidLiteralSubject(benchmark::State& state) {
  std::string subject = "synadia.nats.jetstream.nkeys.jwt";
  for (auto _ : state) benchmark::DoNotOptimize(IsValidLiteralSubject(subject));
}
BENCHMARK(BM_IsValidLiteralSubject);

void BM_IsValidSubject(benchmark::State& state) {
  std::string subject = "synadia.nats.*.nkeys.>";
  for (auto _ : state) benchmark::DoNotOptimize(IsValidSubject(subject));
}
BENCHMARK(BM_IsValidSubject);

// Memory: heap bytes the index adds per subscription, with the Subscription
// objects themselves (owned by connections) allocated before measuring.
size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void ReportMemory(const char* shape, size_t n, const std::function<std::string(size_t)>& subject) {
  std::vector<SubscriptionPtr> subs;
  size_t before_subs = HeapInUse();
  for (size_t i = 0; i < n; ++i) subs.push_back(MakeSub(subject(i)));
  size_t before_index = HeapInUse();
  {
    auto sl = std::make_unique<Sublist>();
    for (const auto& s : subs) sl->Insert(s);
    size_t after = HeapInUse();
    std::printf("  %-44s %7zu subs: index %6.1f B/sub, Subscription objects %6.1f B/sub\n", shape, n,
                static_cast<double>(after - before_index) / n, static_cast<double>(before_index - before_subs) / n);
  }
}

void ReportAllMemory() {
  std::printf("\nMemory (glibc mallinfo2, heap in use):\n");
  ReportMemory("own subject each (device.<i>.events)", 10000,
               [](size_t i) { return "device." + std::to_string(i) + ".events"; });
  ReportMemory("own subject each (_INBOX.<22 chars>.*)", 10000, [](size_t i) {
    std::string id = std::to_string(i);
    return "_INBOX." + std::string(22 - id.size(), 'x') + id + ".*";
  });
  ReportMemory("all on one subject (broadcast)", 10000, [](size_t) { return std::string("broadcast"); });
  ReportMemory("own subject each, 100k", 100000, [](size_t i) { return "device." + std::to_string(i) + ".events"; });
}

}  // namespace
}  // namespace tern::core

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tern::core::ReportAllMemory();
  return 0;
}
