// Router::Publish with sinks that only count: the cost the core adds to one
// publish on a cache hit (match lookup, queue member choice, delivery
// bookkeeping), without any connection's output path.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "core/router.h"

namespace tern::core {
namespace {

class CountingSink : public Sink {
 public:
  explicit CountingSink(uint64_t id) : id_(id) {}
  bool Deliver(const Subscription&, const Message&) override {
    ++count_;
    return true;
  }
  uint64_t sink_id() const override { return id_; }

 private:
  uint64_t id_;
  uint64_t count_ = 0;
};

struct Fixture {
  explicit Fixture(QueuePolicy policy) : router(sublist, policy, nullptr), thread(sublist, 1) {}
  void Add(const std::string& subject, const std::string& queue = "") {
    auto sink = std::make_shared<CountingSink>(sinks.size() + 1);
    sinks.push_back(sink);
    auto sub = std::make_shared<Subscription>();
    sub->sink = sink;
    sub->subject = subject;
    sub->queue = queue;
    subs.push_back(sub);
    router.Subscribe(thread, sub);
  }
  PublishResult Publish(std::string_view subject) {
    return router.Publish(thread, Message{subject, {}, {}, "payload"}, Origin::System());
  }

  Sublist sublist;
  Router router;
  RouterThread thread;
  std::vector<std::shared_ptr<CountingSink>> sinks;
  std::vector<SubscriptionPtr> subs;
};

void BM_RouterPublishPlain(benchmark::State& state) {
  Fixture f(QueuePolicy::kRandom);
  for (int64_t i = 0; i < state.range(0); ++i) f.Add("orders.new");
  for (auto _ : state) benchmark::DoNotOptimize(f.Publish("orders.new"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterPublishPlain)->ArgName("subs")->Arg(1)->Arg(10);

void BM_RouterPublishQueue(benchmark::State& state) {
  Fixture f(state.range(0) == 0 ? QueuePolicy::kRandom : QueuePolicy::kRoundRobin);
  for (int i = 0; i < 4; ++i) f.Add("jobs", "workers");
  for (auto _ : state) benchmark::DoNotOptimize(f.Publish("jobs"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterPublishQueue)->ArgName("round_robin")->Arg(0)->Arg(1);

void BM_RouterPublishNoInterest(benchmark::State& state) {
  Fixture f(QueuePolicy::kRandom);
  f.Add("someone.else");
  for (auto _ : state) benchmark::DoNotOptimize(f.Publish("telemetry.unread"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouterPublishNoInterest);

}  // namespace
}  // namespace tern::core
