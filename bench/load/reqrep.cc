// Request/reply round trips: a responder connection answers every request on
// the subject; a requester sends one request at a time with a unique reply
// subject under its wildcard inbox and times each round trip (two hops through
// the server). Sequential on purpose: this measures latency, not throughput.
//
// Besides the percentiles of the whole run, the run is cut into --windows
// consecutive slices with their own p50/p99/max and start time, so a tail
// that belongs to the first second after another load (or comes in bursts)
// shows where it is.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include "conn.h"
#include "report.h"
#include "scenarios.h"

namespace tern::loadgen {
namespace {

std::string Payload(size_t size) {
  std::string payload;
  for (size_t i = 0; i < size; ++i) payload.push_back(static_cast<char>('A' + i % 26));
  payload += "\r\n";
  return payload;
}

struct ResponderOutcome {
  std::string error;
  uint64_t answered = 0;
};

void Respond(Conn& conn, const Config& config, const std::atomic<bool>& stop, Deadline deadline,
             ResponderOutcome* out) {
  struct Answer {
    std::string payload;
    std::string pending;
    std::string error;
    uint64_t answered = 0;
    size_t size = 0;
    void OnMsg(const MsgFrame& frame) {
      MsgArgs args;
      if (!SplitMsgArgs(frame.args, frame.headers, &args)) {
        error = "bad MSG line: " + std::string(frame.args);
        return;
      }
      if (args.reply.empty()) return;
      fmt::format_to(std::back_inserter(pending), "PUB {} {}\r\n", args.reply, size);
      pending += payload;
      ++answered;
    }
    void OnPong() {}
  } answer{Payload(config.size), {}, {}, 0, config.size};
  while (!stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
    Conn::PumpResult result = conn.Pump(answer);
    if (!answer.error.empty()) {
      out->error = answer.error;
      return;
    }
    if (!answer.pending.empty()) {
      if (!conn.SendAll(answer.pending, deadline)) break;
      answer.pending.clear();
    }
    if (result == Conn::PumpResult::kClosed || result == Conn::PumpResult::kError) break;
  }
  out->answered = answer.answered;
  if (!stop.load()) out->error = "responder: " + (conn.error().empty() ? "timeout" : conn.error());
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;  // ns -> us
}

}  // namespace

int RunReqRep(const Config& config) {
  Report report("reqrep");
  report.Str("label", config.label);
  report.Str("transport", TransportName(config.endpoint.transport));
  report.Int("msgs", static_cast<int64_t>(config.msgs));
  report.Int("size", static_cast<int64_t>(config.size));
  Deadline deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_s));
  std::string inbox = fmt::format("_INBOX.lg{}", ::getpid());
  Conn responder;
  Conn requester;
  if (!responder.Dial(config.endpoint, deadline) ||
      !responder.Handshake(fmt::format("SUB {} 1\r\n", config.subject), deadline)) {
    report.Fail("responder: " + responder.error());
    report.Print("");
    return Clock::now() >= deadline ? kExitTimeout : kExitFailed;
  }
  if (!requester.Dial(config.endpoint, deadline) ||
      !requester.Handshake(fmt::format("SUB {}.* 1\r\n", inbox), deadline)) {
    report.Fail("requester: " + requester.error());
    report.Print("");
    return Clock::now() >= deadline ? kExitTimeout : kExitFailed;
  }

  std::atomic<bool> stop{false};
  ResponderOutcome responder_out;
  std::thread responder_thread(Respond, std::ref(responder), std::cref(config), std::cref(stop), deadline,
                               &responder_out);

  struct Reply {
    std::string_view expect;
    bool got = false;
    std::string error;
    void OnMsg(const MsgFrame& frame) {
      MsgArgs args;
      if (!SplitMsgArgs(frame.args, frame.headers, &args) || args.subject != expect || frame.headers) {
        error = "unexpected reply: " + std::string(frame.args);  // HMSG here is a 503 no-responders status
        return;
      }
      got = true;
    }
    void OnPong() {}
  } reply;

  std::string payload = Payload(config.size);
  std::string request;
  std::string subject;
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(config.msgs));
  std::string error;
  bool timeout = false;
  uint64_t total = config.warmup + config.msgs;
  int64_t measured_start = 0;
  double cpu0 = 0;
  const uint64_t window = std::max<uint64_t>(1, config.msgs / static_cast<uint64_t>(std::max(1, config.windows)));
  std::vector<int64_t> window_starts;
  std::vector<int64_t> starts;  // with --trace only
  for (uint64_t i = 0; i < total && error.empty(); ++i) {
    if (i == config.warmup) {
      measured_start = NowNs();
      cpu0 = ProcessCpuSeconds();
    }
    if (i >= config.warmup && (i - config.warmup) % window == 0) window_starts.push_back(NowNs());
    subject.clear();
    fmt::format_to(std::back_inserter(subject), "{}.{}", inbox, i);
    request.clear();
    fmt::format_to(std::back_inserter(request), "PUB {} {} {}\r\n", config.subject, subject, config.size);
    request += payload;
    reply.expect = subject;
    reply.got = false;
    int64_t t0 = NowNs();
    if (!requester.SendAll(request, deadline)) {
      error = "requester: " + requester.error();
      break;
    }
    while (!reply.got && reply.error.empty()) {
      if (Clock::now() >= deadline) {
        timeout = true;
        error = fmt::format("timeout after {} of {} round trips", i, total);
        break;
      }
      Conn::PumpResult result = requester.Pump(reply);
      if (result == Conn::PumpResult::kClosed || result == Conn::PumpResult::kError) {
        error = "requester: " + requester.error();
        break;
      }
    }
    if (!reply.error.empty()) error = reply.error;
    if (!error.empty()) break;
    if (i >= config.warmup) {
      latencies.push_back(NowNs() - t0);
      if (!config.trace_file.empty()) starts.push_back(t0);
    }
  }
  int64_t measured_end = NowNs();
  double cpu_s = ProcessCpuSeconds() - cpu0;
  stop.store(true);
  responder_thread.join();
  if (error.empty() && !responder_out.error.empty()) error = responder_out.error;

  if (!config.trace_file.empty()) {
    // Written after the run so the measurement does no file I/O. The clock is
    // steady_clock, i.e. CLOCK_MONOTONIC: `perf record -k CLOCK_MONOTONIC`
    // lines up with it.
    if (std::FILE* f = std::fopen(config.trace_file.c_str(), "w")) {
      for (size_t k = 0; k < latencies.size(); ++k)
        std::fprintf(f, "%lld %lld\n", static_cast<long long>(starts[k]), static_cast<long long>(latencies[k]));
      std::fclose(f);
    }
  }
  std::string windows = "[";
  for (size_t w = 0; w * window < latencies.size(); ++w) {
    std::vector<int64_t> slice(
        latencies.begin() + static_cast<std::ptrdiff_t>(w * window),
        latencies.begin() + static_cast<std::ptrdiff_t>(std::min(latencies.size(), (w + 1) * window)));
    std::sort(slice.begin(), slice.end());
    windows += fmt::format("{}{{\"t_ms\":{:.1f},\"n\":{},\"p50_us\":{:.1f},\"p99_us\":{:.1f},\"max_us\":{:.1f}}}",
                           w ? "," : "", static_cast<double>(window_starts[w] - measured_start) / 1e6, slice.size(),
                           Percentile(slice, 0.5), Percentile(slice, 0.99), static_cast<double>(slice.back()) / 1000.0);
  }
  windows += "]";
  std::sort(latencies.begin(), latencies.end());
  double secs = measured_start > 0 ? static_cast<double>(measured_end - measured_start) * 1e-9 : 0;
  double rate = secs > 0 ? static_cast<double>(latencies.size()) / secs : 0;
  double sum = 0;
  for (int64_t l : latencies) sum += static_cast<double>(l);
  double mean_us = latencies.empty() ? 0 : sum / static_cast<double>(latencies.size()) / 1000.0;
  report.Int("round_trips", static_cast<int64_t>(latencies.size()));
  report.Num("seconds", secs);
  report.Num("per_sec", rate);
  report.Num("mean_us", mean_us);
  report.Num("p50_us", Percentile(latencies, 0.50));
  report.Num("p90_us", Percentile(latencies, 0.90));
  report.Num("p99_us", Percentile(latencies, 0.99));
  report.Num("p999_us", Percentile(latencies, 0.999));
  report.Num("max_us", latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1000.0);
  report.Num("loadgen_cpu_pct", secs > 0 ? 100 * cpu_s / secs : 0);
  report.Raw("windows", windows);
  if (!error.empty()) report.Fail(error);
  report.Print(
      fmt::format("reqrep {} B x {}: {:.0f} round trips/s, p50 {:.1f} us, p90 {:.1f} us, p99 {:.1f} us, "
                  "p99.9 {:.1f} us, max {:.1f} us",
                  config.size, latencies.size(), rate, Percentile(latencies, 0.5), Percentile(latencies, 0.9),
                  Percentile(latencies, 0.99), Percentile(latencies, 0.999),
                  latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1000.0));
  if (!error.empty()) return timeout ? kExitTimeout : kExitFailed;
  return kExitOk;
}

}  // namespace tern::loadgen
