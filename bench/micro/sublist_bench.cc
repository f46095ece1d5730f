// Subscription index micro-benchmarks: uncached Sublist::Match against a
// MatchCache hit, at a few sizes, plus insert/remove and memory per
// subscription. The main tree has the shape of nats-server's
// Benchmark_SublistMatch* (8 tokens, every combination up to 5 levels deep,
// 37,448 subscriptions, plus three wildcard ones), so figures can be set side
// by side with its `go test -bench Sublist` output.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/match_cache.h"
#include "core/sublist.h"
#include "proto/subject.h"

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

// Lookups of a hot set while another thread changes unrelated interest at
// `changes_per_s` (a SUB or an UNSUB each), the way inbox requests and
// connection churn look to a busy publisher. kind 0 churns literal subjects,
// kind 1 wildcard ones; neither matches the hot set, so every miss here is
// paid for invalidation alone.
void BM_MatchCacheHitUnderChurn(benchmark::State& state) {
  const int64_t rate = state.range(0);
  const bool wildcard = state.range(1) != 0;
  static WideTree* tree = new WideTree(10000, true);
  std::vector<std::string> hot;
  for (size_t i = 0; i < 256; ++i) hot.push_back("device." + std::to_string(i * 37) + ".events");
  std::vector<SubscriptionPtr> churn;
  for (int i = 0; i < 64; ++i) {
    churn.push_back(MakeSub(wildcard ? "churn.*." + std::to_string(i) : "churn." + std::to_string(i) + ".x"));
  }
  MatchCache cache(tree->sublist);
  for (const auto& s : hot) cache.Lookup(s);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> changes{0};
  std::thread writer;
  if (rate > 0) {
    writer = std::thread([&] {
      auto start = std::chrono::steady_clock::now();
      int64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (auto due = static_cast<int64_t>(elapsed * static_cast<double>(rate)); done < due; ++done) {
          const SubscriptionPtr& s = churn[(done / 2) % churn.size()];
          if (done % 2 == 0) {
            tree->sublist.Insert(s);
          } else {
            tree->sublist.Remove(*s);
          }
        }
        changes.store(done, std::memory_order_relaxed);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    });
    // Let the writer reach its pace first: the short calibration runs must
    // see the churn too, or the iteration count is sized for a quiet index.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const size_t hits0 = cache.hits(), misses0 = cache.misses();
  const int64_t changes0 = changes.load();
  const auto start = std::chrono::steady_clock::now();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&cache.Lookup(hot[i]));
    if (++i == hot.size()) i = 0;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double changed = static_cast<double>(changes.load() - changes0);
  stop.store(true);
  if (writer.joinable()) writer.join();
  for (const auto& s : churn) tree->sublist.Remove(*s);
  const double lookups = static_cast<double>(cache.hits() - hits0 + cache.misses() - misses0);
  state.counters["miss_pct"] = 100.0 * static_cast<double>(cache.misses() - misses0) / lookups;
  state.counters["changes_seen_per_s"] = changed / seconds;
}
BENCHMARK(BM_MatchCacheHitUnderChurn)
    ->ArgNames({"changes_per_s", "wildcard"})
    ->ArgsProduct({{0, 1000, 10000, 100000}, {0, 1}})
    ->UseRealTime();

// Subject checks: IsValidLiteralSubject runs on every PUB in pedantic mode,
// IsValidSubject on every SUB.
void BM_IsValidLiteralSubject(benchmark::State& state) {
  std::string subject = "synadia.nats.jetstream.nkeys.jwt";
  for (auto _ : state) benchmark::DoNotOptimize(proto::IsValidLiteralSubject(subject));
}
BENCHMARK(BM_IsValidLiteralSubject);

void BM_IsValidSubject(benchmark::State& state) {
  std::string subject = "synadia.nats.*.nkeys.>";
  for (auto _ : state) benchmark::DoNotOptimize(proto::IsValidSubject(subject));
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
