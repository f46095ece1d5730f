// tern bench SUBJECT: throughput of publishers and subscribers, or request
// latency, through the client library, modelled on `nats bench`.
//
// Every publisher, subscriber, requester and responder has its own
// connection, all opened before the clock starts. Publishers each run on
// their own thread and finish with a flush, so a publish rate counts what
// the server took in. A subscriber's rate runs from its first message to its
// last. Every wait is bounded by --timeout.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "common.h"
#include "tern/subscription.h"

namespace tern::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Counters one side's thread updates and the progress line reads.
struct Worker {
  std::unique_ptr<Connection> conn;
  Subscription sub;
  uint64_t target = 0;  // messages to send or requests to make
  std::atomic<uint64_t> done{0};
  std::atomic<int64_t> first_ns{0};  // since `epoch`; 0 = none yet
  std::atomic<int64_t> last_ns{0};
  Clock::time_point start, end;
  Status error;
  std::vector<int64_t> latencies_ns;
};

struct Run {
  const BenchOptions& o;
  const Clock::time_point epoch = Clock::now();  // every figure is timed from here
  Clock::time_point deadline;
  std::vector<std::unique_ptr<Worker>> pubs;  // publishers or requesters
  std::vector<std::unique_ptr<Worker>> subs;  // subscribers or responders
  uint64_t sub_target = 0;                    // messages all subscribers should see together
  std::atomic<bool> stop_progress{false};
};

int64_t SinceEpoch(const Run& run) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - run.epoch).count();
}

Options BenchConnOptions(const GlobalOptions& g, bool subscriber, bool inline_handlers = false) {
  Options opts = MakeOptions(g);
  if (inline_handlers) opts.dispatch = DispatchMode::kInline;
  opts.reconnect.enabled = false;  // a broken connection is a failed run, not a pause in the figures
  opts.pool_threads = 1;           // one subscription per connection
  if (subscriber) {
    // Room for bursts: the handler only counts, but it runs on another
    // thread than the reader and may fall behind for a moment.
    opts.sub_pending_msgs = 1 << 20;
    opts.sub_pending_bytes = 512 * 1024 * 1024;
  }
  return opts;
}

void PublishLoop(Run& run, Worker& w, const std::string& payload) {
  w.start = Clock::now();
  for (uint64_t i = 0; i < w.target; ++i) {
    Status s = w.conn->Publish(run.o.subject, payload);
    if (!s.ok()) {
      w.error = s;
      break;
    }
    if ((i & 1023) == 1023) {
      w.done.store(i + 1, std::memory_order_relaxed);
      if (Clock::now() >= run.deadline) {
        w.error = Status(Code::kTimeout, "publishing did not finish before the bench timeout");
        break;
      }
    }
  }
  if (w.error.ok()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(run.deadline - Clock::now());
    w.error = w.conn->Flush(std::max(left, std::chrono::milliseconds(1)));
    if (w.error.ok()) w.done.store(w.target, std::memory_order_relaxed);
  }
  w.end = Clock::now();
}

void RequestLoop(Run& run, Worker& w, const std::string& payload) {
  w.latencies_ns.reserve(w.target);
  w.start = Clock::now();
  for (uint64_t i = 0; i < w.target + run.o.warmup; ++i) {
    if (i == run.o.warmup) w.start = Clock::now();
    auto t0 = Clock::now();
    if (t0 >= run.deadline) {
      w.error = Status(Code::kTimeout, "requests did not finish before the bench timeout");
      break;
    }
    auto reply = w.conn->Request(run.o.subject, payload, run.o.request_timeout);
    auto t1 = Clock::now();
    if (!reply.ok()) {
      w.error = reply.status();
      break;
    }
    if (i >= run.o.warmup) {
      w.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      w.done.store(i + 1 - run.o.warmup, std::memory_order_relaxed);
    }
  }
  w.end = Clock::now();
}

uint64_t SubsDone(const Run& run) {
  uint64_t n = 0;
  for (const auto& s : run.subs) n += s->done.load(std::memory_order_relaxed);
  return n;
}

// True when every subscriber has seen (or dropped) what it should.
bool SubsComplete(const Run& run) {
  if (run.o.request || run.subs.empty()) return true;
  if (!run.o.queue.empty()) {
    uint64_t n = 0;
    for (const auto& s : run.subs) n += s->done.load() + s->sub.dropped();
    return n >= run.sub_target;
  }
  for (const auto& s : run.subs) {
    if (s->done.load() + s->sub.dropped() < run.sub_target) return false;
  }
  return true;
}

void ProgressLoop(Run& run) {
  uint64_t pub_target = 0;
  for (const auto& p : run.pubs) pub_target += p->target;
  const uint64_t sub_total = run.o.queue.empty() ? run.sub_target * run.subs.size() : run.sub_target;
  while (!run.stop_progress.load()) {
    uint64_t pubs = 0;
    for (const auto& p : run.pubs) pubs += p->done.load(std::memory_order_relaxed);
    std::string line = "\r\033[K";
    if (run.o.request) {
      line += "requests " + Grouped(pubs) + "/" + Grouped(pub_target);
    } else {
      if (!run.pubs.empty()) line += "pub " + Grouped(pubs) + "/" + Grouped(pub_target) + "  ";
      if (!run.subs.empty()) line += "sub " + Grouped(SubsDone(run)) + "/" + Grouped(sub_total);
    }
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
    for (int i = 0; i < 5 && !run.stop_progress.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::fputs("\r\033[K", stdout);
  std::fflush(stdout);
}

int Setup(const GlobalOptions& g, Run& run, const std::string& payload) {
  const BenchOptions& o = run.o;
  const int npubs = o.request ? std::max(o.pubs, 1) : o.pubs;
  const int nsubs = o.request ? std::max(o.subs, 1) : o.subs;
  const std::string queue = o.request && o.queue.empty() ? "tern-bench" : o.queue;
  int code = kExitOk;
  for (int i = 0; i < nsubs; ++i) {
    auto w = std::make_unique<Worker>();
    w->conn = Connect(g, &code, BenchConnOptions(g, true, o.inline_handlers));
    if (!w->conn) return code;
    Worker* self = w.get();
    Connection* conn = w->conn.get();
    const Run* r = &run;
    Handler handler;
    if (o.request) {
      // Answers with the request's own bytes, like `nats bench --reply`.
      handler = [self, conn, r](const Message& m) {
        if (!conn->Publish(m.reply, m.data).ok()) return;
        int64_t now = SinceEpoch(*r);
        if (self->done.fetch_add(1, std::memory_order_relaxed) == 0) self->first_ns.store(now);
        self->last_ns.store(now, std::memory_order_relaxed);
      };
    } else {
      handler = [self, r](const Message&) {
        int64_t now = SinceEpoch(*r);
        if (self->done.fetch_add(1, std::memory_order_relaxed) == 0) self->first_ns.store(now);
        self->last_ns.store(now, std::memory_order_relaxed);
      };
    }
    auto sub = conn->QueueSubscribe(o.subject, queue, std::move(handler));
    if (!sub.ok()) return Fail("subscribe to " + o.subject, sub.status());
    w->sub = *sub;
    // The SUB must be in place before anyone publishes.
    if (Status s = conn->Flush(std::chrono::seconds(5)); !s.ok()) return Fail("subscribe", s);
    run.subs.push_back(std::move(w));
  }
  for (int i = 0; i < npubs; ++i) {
    auto w = std::make_unique<Worker>();
    w->conn = Connect(g, &code, BenchConnOptions(g, false));
    if (!w->conn) return code;
    w->target = o.msgs / npubs + (static_cast<uint64_t>(i) < o.msgs % npubs ? 1 : 0);
    run.pubs.push_back(std::move(w));
  }
  run.sub_target = o.msgs;
  if (!run.pubs.empty()) {
    const int64_t max_payload = run.pubs.front()->conn->server_info().max_payload;
    if (max_payload > 0 && static_cast<int64_t>(payload.size()) > max_payload) {
      return Fail(kExitServerError, "--size " + std::to_string(payload.size()) +
                                        " exceeds the server's max_payload of " + std::to_string(max_payload));
    }
  }
  return kExitOk;
}

}  // namespace

int RunBench(const GlobalOptions& g, const BenchOptions& o) {
  if (o.pubs < 0 || o.subs < 0) return Fail(kExitUsage, "--pub and --sub must be >= 0");
  if (!o.request && o.pubs == 0 && o.subs == 0) return Fail(kExitUsage, "nothing to do: --pub and --sub are both 0");
  if (o.msgs == 0) return Fail(kExitUsage, "--msgs must be > 0");
  Run run{o};
  const std::string payload(o.size, 'x');
  if (int code = Setup(g, run, payload); code != kExitOk) return code;

  if (!o.json) {
    const char* what = o.request ? "requester" : "publisher";
    const char* who = o.request ? "responder" : "subscriber";
    std::printf("Starting bench on \"%s\": %zu %s%s, %zu %s%s%s%s, %s %s of %s\n", o.subject.c_str(), run.pubs.size(),
                what, run.pubs.size() == 1 ? "" : "s", run.subs.size(), who, run.subs.size() == 1 ? "" : "s",
                o.queue.empty() ? "" : " in queue group ", o.queue.c_str(), Grouped(o.msgs).c_str(),
                o.request ? "requests" : "msgs", HumanBytes(static_cast<double>(o.size)).c_str());
    std::fflush(stdout);
  }
  run.deadline = Clock::now() + o.timeout;
  std::thread progress;
  if (o.progress && !o.json && ::isatty(STDOUT_FILENO)) progress = std::thread([&run] { ProgressLoop(run); });

  std::vector<std::thread> threads;
  for (auto& w : run.pubs) {
    Worker* worker = w.get();
    if (o.request) {
      threads.emplace_back([&run, worker, &payload] { RequestLoop(run, *worker, payload); });
    } else {
      threads.emplace_back([&run, worker, &payload] { PublishLoop(run, *worker, payload); });
    }
  }
  for (auto& t : threads) t.join();
  bool pub_failed = false;
  for (const auto& w : run.pubs) pub_failed = pub_failed || !w->error.ok();
  // Subscribers may still be working through what the server sent.
  while (!pub_failed && !SubsComplete(run) && Clock::now() < run.deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool complete = SubsComplete(run);
  run.stop_progress.store(true);
  if (progress.joinable()) progress.join();

  BenchReport report(o.request, payload.size());
  for (const auto& w : run.pubs) {
    report.AddPub(w->start - run.epoch, w->end - run.epoch, w->done.load(), w->latencies_ns);
  }
  for (const auto& w : run.subs) {
    report.AddSub(std::chrono::nanoseconds(w->first_ns.load()), std::chrono::nanoseconds(w->last_ns.load()),
                  w->done.load(), w->sub.dropped());
  }
  for (auto& w : run.subs) (void)w->conn->Close();
  for (auto& w : run.pubs) (void)w->conn->Close();
  report.Print(o.json);

  for (const auto& w : run.pubs) {
    if (!w->error.ok()) return Fail(o.request ? "request" : "publish", w->error);
  }
  if (!complete) {
    return Fail(kExitTimeout, "subscribers received " + Grouped(SubsDone(run)) +
                                  " messages before the bench timeout (" + HumanDuration(o.timeout) + ")");
  }
  return kExitOk;
}

}  // namespace tern::cli
