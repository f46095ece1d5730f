// pub-only, pub/sub fan-out and queue-group scenarios: one publisher thread
// writing pre-formatted PUB batches, one thread per subscriber counting MSG
// frames, and the main thread deciding when the run is complete.
//
// Completion is exact, not a guess from a quiet period: after the publisher's
// final PING/PONG (the server has taken every PUB), each subscriber sends its
// own PING; its PONG is queued behind whatever the server had already queued
// for it. A subscriber short of its count after that PONG gets a short grace
// (a server may hand deliveries between threads) and is then reported lost.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "conn.h"
#include "report.h"
#include "scenarios.h"

namespace tern::loadgen {
namespace {

constexpr auto kDrainGrace = std::chrono::seconds(1);

std::string FormatPubBatch(const Config& config, size_t count, size_t* msg_len) {
  std::string one = fmt::format("PUB {} {}\r\n", config.subject, config.size);
  for (size_t i = 0; i < config.size; ++i) one.push_back(static_cast<char>('a' + i % 26));
  one += "\r\n";
  *msg_len = one.size();
  std::string batch;
  batch.reserve(one.size() * count);
  for (size_t i = 0; i < count; ++i) batch += one;
  return batch;
}

// Subscriber counters sit on their own cache lines: the publisher polls
// them while each subscriber thread bumps its own.
struct alignas(64) SubState {
  std::atomic<uint64_t> received{0};
  std::atomic<bool> drained{false};
  std::atomic<bool> failed{false};
  int64_t first_ns = 0;  // read by the main thread only after join
  int64_t last_ns = 0;
  std::string error;
};

struct Shared {
  bool queue = false;  // progress = sum of members, not the slowest subscriber
  std::vector<std::unique_ptr<SubState>> subs;
  std::atomic<bool> stop{false};
  std::atomic<bool> drain{false};
  std::atomic<bool> abort{false};
  std::atomic<bool> pub_waiting{false};
  std::mutex mu;
  std::condition_variable cv;

  uint64_t Progress() const {
    uint64_t sum = 0;
    uint64_t min = UINT64_MAX;
    for (const auto& s : subs) {
      uint64_t r = s->received.load(std::memory_order_acquire);
      sum += r;
      min = std::min(min, r);
    }
    return queue ? sum : min;
  }
  void Wake() {
    if (pub_waiting.load(std::memory_order_relaxed)) {
      std::lock_guard lock(mu);
      cv.notify_one();
    }
  }
};

struct PubOutcome {
  bool ok = false;
  bool timeout = false;
  std::string error;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  double cpu_s = 0;
};

// Writes config.msgs messages in big chunks and ends with a PING/PONG so the
// clock stops when the server has taken everything. With `shared`, stays at
// most a window ahead of the subscribers.
PubOutcome Publish(const Config& config, Conn& conn, Shared* shared, Deadline deadline) {
  PubOutcome out;
  size_t msg_len = 0;
  FormatPubBatch(config, 1, &msg_len);
  size_t batch = std::max<size_t>(1, config.chunk_bytes / msg_len);
  uint64_t window = std::max<uint64_t>(1, config.window_bytes / msg_len);
  if (shared != nullptr) {
    batch = std::max<size_t>(1, std::min<size_t>(batch, window / 4));
    window = std::max<uint64_t>(window, 2 * batch);
  }
  std::string buffer = FormatPubBatch(config, batch, &msg_len);

  double cpu0 = ThreadCpuSeconds();
  out.start_ns = NowNs();
  uint64_t sent = 0;
  while (sent < config.msgs) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(batch, config.msgs - sent));
    if (shared != nullptr) {
      while (sent + n > shared->Progress() + window) {
        if (shared->abort.load()) {
          out.error = "a subscriber failed";
          return out;
        }
        if (Clock::now() >= deadline) {
          out.timeout = true;
          out.error = fmt::format("timeout: publisher waiting for subscribers at {} of {}", sent, config.msgs);
          return out;
        }
        std::unique_lock lock(shared->mu);
        shared->pub_waiting.store(true);
        shared->cv.wait_for(lock, std::chrono::milliseconds(1),
                            [&] { return sent + n <= shared->Progress() + window || shared->abort.load(); });
        shared->pub_waiting.store(false);
      }
    }
    if (!conn.SendAll(std::string_view(buffer.data(), n * msg_len), deadline,
                      shared != nullptr ? &shared->abort : nullptr)) {
      out.timeout = Clock::now() >= deadline;
      out.error = fmt::format("publisher after {} msgs: {}", sent, conn.error());
      return out;
    }
    sent += n;
  }
  struct Ignore {
    void OnMsg(const MsgFrame&) {}
    void OnPong() {}
  } ignore;
  if (!conn.RoundTrip(ignore, deadline)) {
    out.timeout = Clock::now() >= deadline;
    out.error = "publisher final flush: " + conn.error();
    return out;
  }
  out.end_ns = NowNs();
  out.cpu_s = ThreadCpuSeconds() - cpu0;
  out.ok = true;
  return out;
}

void Subscribe(Conn& conn, SubState& state, Shared& shared, Deadline deadline) {
  struct Counter {
    uint64_t msgs = 0;
    int pongs = 0;
    void OnMsg(const MsgFrame&) { ++msgs; }
    void OnPong() { ++pongs; }
  } counter;
  bool drain_sent = false;
  while (!shared.stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
    if (!drain_sent && shared.drain.load(std::memory_order_relaxed)) {
      if (!conn.SendAll("PING\r\n", deadline)) break;
      drain_sent = true;
    }
    uint64_t before = counter.msgs;
    Conn::PumpResult result = conn.Pump(counter);
    if (counter.msgs != before) {
      int64_t now = NowNs();
      if (state.first_ns == 0) state.first_ns = now;
      state.last_ns = now;
      state.received.store(counter.msgs, std::memory_order_release);
      shared.Wake();
    }
    if (drain_sent && counter.pongs > 0) state.drained.store(true);
    if (result == Conn::PumpResult::kClosed || result == Conn::PumpResult::kError) break;
  }
  if (!shared.stop.load() && Clock::now() < deadline) {
    state.error = conn.error();
    state.failed.store(true);
    shared.abort.store(true);
    std::lock_guard lock(shared.mu);
    shared.cv.notify_one();
  }
}

std::string Rate(double per_sec) {
  if (per_sec >= 1e6) return fmt::format("{:.2f}M", per_sec / 1e6);
  if (per_sec >= 1e3) return fmt::format("{:.1f}k", per_sec / 1e3);
  return fmt::format("{:.0f}", per_sec);
}

// Shared body of pubsub and queue.
int RunDelivery(const Config& config, bool queue) {
  Report report(queue ? "queue" : "pubsub");
  report.Str("label", config.label);
  report.Str("transport", TransportName(config.endpoint.transport));
  report.Int("msgs", static_cast<int64_t>(config.msgs));
  report.Int("size", static_cast<int64_t>(config.size));
  int count = queue ? config.members : config.subs;
  report.Int(queue ? "members" : "subs", count);
  Deadline deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_s));
  auto fail = [&](std::string_view error) {
    report.Fail(error);
    report.Print("");
    return Clock::now() >= deadline ? kExitTimeout : kExitFailed;
  };
  if (count < 1) return fail("need at least one subscriber");

  Shared shared;
  shared.queue = queue;
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < count; ++i) {
    auto conn = std::make_unique<Conn>();
    std::string sub = queue ? fmt::format("SUB {} q {}\r\n", config.subject, i + 1)
                            : fmt::format("SUB {} {}\r\n", config.subject, i + 1);
    if (!conn->Dial(config.endpoint, deadline) || !conn->Handshake(sub, deadline)) {
      return fail(fmt::format("subscriber {}: {}", i, conn->error()));
    }
    conns.push_back(std::move(conn));
    shared.subs.push_back(std::make_unique<SubState>());
  }
  Conn pub;
  if (!pub.Dial(config.endpoint, deadline) || !pub.Handshake("", deadline)) {
    return fail("publisher: " + pub.error());
  }

  double cpu0 = ProcessCpuSeconds();
  int64_t t0 = NowNs();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    threads.emplace_back(Subscribe, std::ref(*conns[i]), std::ref(*shared.subs[i]), std::ref(shared), deadline);
  }
  PubOutcome pub_out;
  std::thread pub_thread([&] { pub_out = Publish(config, pub, &shared, deadline); });
  pub_thread.join();

  std::string error;
  bool timeout = false;
  if (!pub_out.ok) {
    error = pub_out.error;
    timeout = pub_out.timeout;
    for (const auto& s : shared.subs) {
      if (s->failed.load()) {  // the cause, when the publisher only noticed the abort
        error = "subscriber: " + s->error;
        timeout = false;
        break;
      }
    }
  } else {
    shared.drain.store(true);
    uint64_t want_each = queue ? 0 : config.msgs;
    Clock::time_point all_drained{};
    while (true) {
      uint64_t sum = 0;
      bool complete = true;
      bool drained = true;
      for (const auto& s : shared.subs) {
        uint64_t r = s->received.load();
        sum += r;
        if (!queue && r < want_each) complete = false;
        if (!s->drained.load()) drained = false;
      }
      if (queue) complete = sum >= config.msgs;
      if (complete) break;
      if (shared.abort.load()) {
        for (const auto& s : shared.subs) {
          if (s->failed.load()) error = "subscriber: " + s->error;
        }
        break;
      }
      auto now = Clock::now();
      if (drained) {
        if (all_drained == Clock::time_point{}) all_drained = now;
        if (now - all_drained > kDrainGrace) {
          error = fmt::format("lost messages: subscribers got {} of {}", sum,
                              queue ? config.msgs : config.msgs * static_cast<uint64_t>(count));
          break;
        }
      }
      if (now >= deadline) {
        timeout = true;
        error = fmt::format("timeout: subscribers got {} of {}", sum,
                            queue ? config.msgs : config.msgs * static_cast<uint64_t>(count));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  shared.stop.store(true);
  shared.abort.store(true);  // frees a publisher still waiting (it has returned here anyway)
  for (auto& t : threads) t.join();
  int64_t t1 = NowNs();
  double cpu_s = ProcessCpuSeconds() - cpu0;

  uint64_t delivered = 0;
  int64_t first = INT64_MAX;
  int64_t last = 0;
  std::string counts = "[";
  for (size_t i = 0; i < shared.subs.size(); ++i) {
    const SubState& s = *shared.subs[i];
    uint64_t r = s.received.load();
    delivered += r;
    if (s.first_ns != 0) first = std::min(first, s.first_ns);
    last = std::max(last, s.last_ns);
    counts += fmt::format("{}{}", i ? "," : "", r);
  }
  counts += "]";
  uint64_t expected = queue ? config.msgs : config.msgs * static_cast<uint64_t>(count);
  if (error.empty() && delivered != expected) {
    error = fmt::format("{} delivered, expected {}", delivered, expected);
  }
  double span_s = last > first ? static_cast<double>(last - first) * 1e-9 : 0;
  double delivered_rate = span_s > 0 ? static_cast<double>(delivered) / span_s : 0;
  double pub_s = static_cast<double>(pub_out.end_ns - pub_out.start_ns) * 1e-9;
  double pub_rate = pub_out.ok && pub_s > 0 ? static_cast<double>(config.msgs) / pub_s : 0;
  double wall_s = static_cast<double>(t1 - t0) * 1e-9;

  report.Int("delivered", static_cast<int64_t>(delivered));
  report.Num("seconds", span_s);
  report.Num("delivered_per_sec", delivered_rate);
  report.Num("payload_mb_per_sec", delivered_rate * static_cast<double>(config.size) / 1e6);
  report.Num("pub_per_sec", pub_rate);
  report.Raw("counts", counts);
  report.Num("loadgen_cpu_pct", wall_s > 0 ? 100 * cpu_s / wall_s : 0);
  report.Num("pub_thread_cpu_pct", pub_s > 0 ? 100 * pub_out.cpu_s / pub_s : 0);
  if (!error.empty()) report.Fail(error);
  report.Print(fmt::format("{} {} B x {} to {} {}: {} msgs/s delivered ({:.1f} MB/s), publisher {} msgs/s, counts {}",
                           queue ? "queue" : "pubsub", config.size, config.msgs, count,
                           queue ? "members" : "subscribers", Rate(delivered_rate),
                           delivered_rate * static_cast<double>(config.size) / 1e6, Rate(pub_rate), counts));
  if (!error.empty()) return timeout ? kExitTimeout : kExitFailed;
  return kExitOk;
}

}  // namespace

int RunPub(const Config& config) {
  Report report("pub");
  report.Str("label", config.label);
  report.Str("transport", TransportName(config.endpoint.transport));
  report.Int("msgs", static_cast<int64_t>(config.msgs));
  report.Int("size", static_cast<int64_t>(config.size));
  Deadline deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_s));
  Conn conn;
  if (!conn.Dial(config.endpoint, deadline) || !conn.Handshake("", deadline)) {
    report.Fail("publisher: " + conn.error());
    report.Print("");
    return Clock::now() >= deadline ? kExitTimeout : kExitFailed;
  }
  double cpu0 = ProcessCpuSeconds();
  PubOutcome out = Publish(config, conn, nullptr, deadline);
  double cpu_s = ProcessCpuSeconds() - cpu0;
  double secs = static_cast<double>(out.end_ns - out.start_ns) * 1e-9;
  double rate = out.ok && secs > 0 ? static_cast<double>(config.msgs) / secs : 0;
  report.Num("seconds", secs);
  report.Num("msgs_per_sec", rate);
  report.Num("payload_mb_per_sec", rate * static_cast<double>(config.size) / 1e6);
  report.Num("loadgen_cpu_pct", secs > 0 ? 100 * cpu_s / secs : 0);
  if (!out.ok) report.Fail(out.error);
  report.Print(fmt::format("pub {} B x {}: {} msgs/s ({:.1f} MB/s) in {:.3f} s, loadgen cpu {:.0f}%", config.size,
                           config.msgs, Rate(rate), rate * static_cast<double>(config.size) / 1e6, secs,
                           secs > 0 ? 100 * cpu_s / secs : 0));
  if (!out.ok) return out.timeout ? kExitTimeout : kExitFailed;
  return kExitOk;
}

int RunPubSub(const Config& config) { return RunDelivery(config, false); }
int RunQueue(const Config& config) { return RunDelivery(config, true); }

}  // namespace tern::loadgen
