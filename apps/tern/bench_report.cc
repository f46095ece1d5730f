#include "bench_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "common.h"

namespace tern::cli {

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double BenchReport::Side::Rate() const {
  double secs = std::chrono::duration<double>(end - start).count();
  // A single message has no span; report nothing rather than infinity.
  return secs > 0 ? static_cast<double>(msgs) / secs : 0;
}

void BenchReport::AddPub(std::chrono::nanoseconds start, std::chrono::nanoseconds end, uint64_t msgs,
                         const std::vector<int64_t>& latencies_ns) {
  pubs_.push_back(Side{start, end, msgs, 0});
  latencies_ns_.insert(latencies_ns_.end(), latencies_ns.begin(), latencies_ns.end());
  std::sort(latencies_ns_.begin(), latencies_ns_.end());
}

void BenchReport::AddSub(std::chrono::nanoseconds first, std::chrono::nanoseconds last, uint64_t msgs,
                         uint64_t dropped) {
  subs_.push_back(Side{first, last, msgs, dropped});
}

BenchReport::Side BenchReport::Aggregate(const std::vector<Side>& sides) {
  Side all;
  bool any = false;
  for (const Side& s : sides) {
    all.msgs += s.msgs;
    all.dropped += s.dropped;
    if (s.msgs == 0) continue;
    all.start = any ? std::min(all.start, s.start) : s.start;
    all.end = any ? std::max(all.end, s.end) : s.end;
    any = true;
  }
  return all;
}

namespace {

std::string Rate(double per_sec) { return Grouped(static_cast<uint64_t>(std::llround(per_sec))); }

std::string Mb(double per_sec, size_t size) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", per_sec * static_cast<double>(size) / 1e6);
  return buf;
}

std::string Us(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(ns) / 1e3);
  return buf;
}

}  // namespace

std::string BenchReport::SideText(const char* title, const char* unit, const std::vector<Side>& sides) const {
  const Side all = Aggregate(sides);
  std::string out = std::string(title) + " stats: " + Rate(all.Rate()) + " " + unit + "/sec ~ " +
                    Mb(all.Rate(), size_) + " MB/sec (" + Grouped(all.msgs) + " " + (request_ ? "requests" : "msgs");
  if (all.dropped > 0) out += ", " + Grouped(all.dropped) + " dropped";
  out += ")\n";
  if (sides.size() < 2) return out;
  std::vector<double> rates;
  for (size_t i = 0; i < sides.size(); ++i) {
    rates.push_back(sides[i].Rate());
    out += " [" + std::to_string(i + 1) + "] " + Rate(rates.back()) + " " + unit + "/sec ~ " + Mb(rates.back(), size_) +
           " MB/sec (" + Grouped(sides[i].msgs) + ")\n";
  }
  double mean = std::accumulate(rates.begin(), rates.end(), 0.0) / static_cast<double>(rates.size());
  double var = 0;
  for (double r : rates) var += (r - mean) * (r - mean);
  auto [lo, hi] = std::minmax_element(rates.begin(), rates.end());
  out += " min " + Rate(*lo) + " | avg " + Rate(mean) + " | max " + Rate(*hi) + " | stddev " +
         Rate(std::sqrt(var / static_cast<double>(rates.size()))) + " " + unit + "/sec\n";
  return out;
}

std::string BenchReport::Text() const {
  std::string out;
  if (request_) {
    out += SideText("Request", "req", pubs_);
    out += SideText("Reply", "msgs", subs_);
    const auto& l = latencies_ns_;
    if (!l.empty()) {
      int64_t sum = std::accumulate(l.begin(), l.end(), int64_t{0});
      out += "Latency (us): min " + Us(l.front()) + " | p50 " + Us(Percentile(l, 0.50)) + " | p90 " +
             Us(Percentile(l, 0.90)) + " | p99 " + Us(Percentile(l, 0.99)) + " | p99.9 " + Us(Percentile(l, 0.999)) +
             " | max " + Us(l.back()) + " | avg " + Us(sum / static_cast<int64_t>(l.size())) + "\n";
    }
    return out;
  }
  if (!pubs_.empty()) out += SideText("Pub", "msgs", pubs_);
  if (!subs_.empty()) out += SideText("Sub", "msgs", subs_);
  return out;
}

std::string BenchReport::SideJson(const std::vector<Side>& sides) const {
  const Side all = Aggregate(sides);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"clients\":%zu,\"msgs\":%llu,\"dropped\":%llu,\"seconds\":%.6f,\"msgs_per_sec\":%.1f,"
                "\"mb_per_sec\":%.3f}",
                sides.size(), static_cast<unsigned long long>(all.msgs), static_cast<unsigned long long>(all.dropped),
                std::chrono::duration<double>(all.end - all.start).count(), all.Rate(),
                all.Rate() * static_cast<double>(size_) / 1e6);
  return buf;
}

std::string BenchReport::Json() const {
  std::string out =
      std::string("{\"mode\":\"") + (request_ ? "request" : "pubsub") + "\",\"size\":" + std::to_string(size_);
  if (!pubs_.empty()) out += std::string(",\"") + (request_ ? "req" : "pub") + "\":" + SideJson(pubs_);
  if (!subs_.empty()) out += std::string(",\"") + (request_ ? "reply" : "sub") + "\":" + SideJson(subs_);
  if (request_ && !latencies_ns_.empty()) {
    const auto& l = latencies_ns_;
    int64_t sum = std::accumulate(l.begin(), l.end(), int64_t{0});
    out += ",\"latency_us\":{\"min\":" + Us(l.front()) + ",\"p50\":" + Us(Percentile(l, 0.50)) +
           ",\"p90\":" + Us(Percentile(l, 0.90)) + ",\"p99\":" + Us(Percentile(l, 0.99)) +
           ",\"p999\":" + Us(Percentile(l, 0.999)) + ",\"max\":" + Us(l.back()) +
           ",\"avg\":" + Us(sum / static_cast<int64_t>(l.size())) + "}";
  }
  out += "}\n";
  return out;
}

void BenchReport::Print(bool json) const {
  std::string text = json ? Json() : Text();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace tern::cli
