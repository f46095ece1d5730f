// Client-library figures against a server started here (see test_server.h):
// publish throughput of 16-byte messages and request/reply round-trip latency.
//   client_bench [publish_count] [request_count]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tern/tern.h"
#include "test_server.h"

using namespace std::chrono;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  long publishes = argc > 1 ? std::atol(argv[1]) : 5'000'000;
  long requests = argc > 2 ? std::atol(argv[2]) : 20'000;
  tern::testing::TestServer server;
  if (!server.Start()) {
    std::fprintf(stderr, "server did not start\n%s\n", server.LogTail().c_str());
    return 1;
  }
  std::printf("server: %s\n", server.flavor_name().c_str());
  tern::Options o;
  o.servers = {server.url()};
  o.sub_pending_msgs = 10'000'000;
  o.sub_pending_bytes = 1ull << 30;
  auto pub = tern::Connection::Connect(o);
  auto sub = tern::Connection::Connect(o);
  if (!pub.ok() || !sub.ok()) return 1;
  const std::string payload(16, 'x');

  // 1. Publish only (no subscriber): the cost of Publish plus the writer.
  auto t0 = steady_clock::now();
  for (long i = 0; i < publishes; ++i) {
    if (!(*pub)->Publish("bench.pub", payload).ok()) return 1;
  }
  double loop = duration<double>(steady_clock::now() - t0).count();
  if (!(*pub)->Flush(60s).ok()) return 1;
  double secs = duration<double>(steady_clock::now() - t0).count();
  std::printf("publish 16B, no subscriber: %ld msgs, Publish loop %.2fs (%.2f M/s), flushed %.2fs = %.2f M msgs/s\n",
              publishes, loop, publishes / loop / 1e6, secs, publishes / secs / 1e6);

  // 2. With a subscriber on another connection: end to end through the server.
  std::atomic<long> received{0};
  auto s = (*sub)->Subscribe("bench.e2e", [&](const tern::Message&) { received++; });
  if (!s.ok() || !(*sub)->Flush(5s).ok()) return 1;
  long e2e = publishes / 2;
  t0 = steady_clock::now();
  for (long i = 0; i < e2e; ++i) {
    if (!(*pub)->Publish("bench.e2e", payload).ok()) return 1;
  }
  if (!(*pub)->Flush(60s).ok()) return 1;
  auto deadline = steady_clock::now() + 60s;
  while (received + static_cast<long>(s->dropped()) < e2e && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  secs = duration<double>(steady_clock::now() - t0).count();
  std::printf("pub->sub 16B: %ld sent, %ld handled, %lu dropped in %.2fs = %.2f M msgs/s\n", e2e, received.load(),
              static_cast<unsigned long>(s->dropped()), secs, received / secs / 1e6);

  // 3. Round trips, one at a time: Flush (PING/PONG), request/reply with the
  // default responder, and with a send_asap responder.
  auto percentiles = [](const char* what, std::vector<double>& us) {
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))]; };
    std::printf("%s: %zu round trips, p50 %.1fus p90 %.1fus p99 %.1fus\n", what, us.size(), pct(0.5), pct(0.9),
                pct(0.99));
  };
  std::vector<double> us;
  for (long i = 0; i < requests; ++i) {
    auto start = steady_clock::now();
    if (!(*pub)->Flush(2s).ok()) return 1;
    us.push_back(duration<double, std::micro>(steady_clock::now() - start).count());
  }
  percentiles("flush (PING/PONG)", us);

  tern::Options asap = o;
  asap.send_asap = true;
  auto asap_conn = tern::Connection::Connect(asap);
  if (!asap_conn.ok()) return 1;
  auto svc = (*sub)->Subscribe("bench.rr", [&](const tern::Message& m) { (void)(*sub)->Publish(m.reply, m.data); });
  auto svc_asap = (*asap_conn)->Subscribe("bench.rr.asap", [&](const tern::Message& m) {
    (void)(*asap_conn)->Publish(m.reply, m.data);
  });
  if (!svc.ok() || !svc_asap.ok() || !(*sub)->Flush(5s).ok() || !(*asap_conn)->Flush(5s).ok()) return 1;
  for (const char* subject : {"bench.rr", "bench.rr.asap"}) {
    us.clear();
    for (long i = 0; i < requests; ++i) {
      auto start = steady_clock::now();
      auto r = (*pub)->Request(subject, payload, 2s);
      if (!r.ok()) {
        std::fprintf(stderr, "request failed: %s\n", r.status().ToString().c_str());
        return 1;
      }
      us.push_back(duration<double, std::micro>(steady_clock::now() - start).count());
    }
    percentiles(std::string(subject) == "bench.rr" ? "request/reply 16B" : "request/reply 16B, send_asap responder",
                us);
  }
  return 0;
}
