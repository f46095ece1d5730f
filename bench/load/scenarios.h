// The load scenarios. Each runs against one server, prints one Report and
// returns the process exit code: 0 ok, 1 failed (error, lost messages,
// -ERR from the server), 2 timed out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "transport.h"

namespace tern::loadgen {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitTimeout = 2;

struct Config {
  Endpoint endpoint;    // host, port, transport (and its TLS context)
  std::string ca_file;  // --ca: check the server's certificate against it
  std::string subject = "bench.load";
  uint64_t msgs = 1'000'000;  // messages published (reqrep: round trips)
  size_t size = 16;           // payload bytes
  int subs = 1;               // pubsub: subscribers on the subject
  int members = 4;            // queue: members of the one queue group
  int conns = 10'000;         // idle: connections held
  double timeout_s = 60;      // wall-clock bound of the whole run
  // pubsub/queue flow control: the publisher stays at most this many bytes of
  // messages ahead of the slowest subscriber, so a server is measured at the
  // rate it can sustain rather than until it cuts off a slow consumer.
  size_t window_bytes = 8u << 20;
  size_t chunk_bytes = 256u << 10;  // publisher write size
  uint64_t warmup = 1000;           // reqrep: round trips not measured
  double hold_s = 0;                // idle: hold connections up to this long after reporting
  std::string label;                // copied into the report
  std::string trace_file;           // reqrep: every measured round trip, "start_ns latency_ns" (CLOCK_MONOTONIC)
  int windows = 10;                 // reqrep: latency summaries over consecutive slices of the run
  // Cluster runs: subscribers, queue members and the responder connect to
  // these ports (round robin) while the publisher and requester use `port`,
  // and the run waits `settle_s` for their interest to cross the routes.
  std::vector<int> sub_ports;
  double settle_s = 0;
  Endpoint SubEndpoint(int i) const {
    Endpoint e = endpoint;
    if (!sub_ports.empty()) e.port = sub_ports[static_cast<size_t>(i) % sub_ports.size()];
    return e;
  }
  int qos = 0;                      // mqtt-pubsub: 0 or 1
};

int RunPub(const Config& config);     // pub-only
int RunPubSub(const Config& config);  // 1 publisher, config.subs subscribers
int RunQueue(const Config& config);   // 1 publisher, config.members in one queue group
int RunReqRep(const Config& config);  // 1 responder, 1 sequential requester
int RunIdle(const Config& config);    // config.conns connections, one SUB each
int RunMqttPubSub(const Config& config);  // MQTT 3.1.1: 1 publisher, config.subs subscribers, config.qos

}  // namespace tern::loadgen
