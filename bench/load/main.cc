// tern-loadgen: a NATS-protocol load generator for comparing tern-server with
// nats-server, with an MQTT mode for mosquitto. One scenario per run; one JSON
// line per result on stdout.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

#include "scenarios.h"
#include "tls_client.h"
#include "transport.h"
#include "wire.h"

namespace {

using tern::loadgen::Config;

constexpr std::string_view kUsage = R"(usage: tern-loadgen SCENARIO [flags]

scenarios:
  pub      one publisher, no subscribers: --msgs, --size
  pubsub   one publisher, --subs subscribers on one subject (fan-out)
  queue    one publisher, --members subscribers in one queue group
  reqrep   one responder, one requester doing --msgs sequential round trips
  idle     --conns connections, each CONNECT + one SUB + PING, then held
  mqtt-pubsub  MQTT 3.1.1: one publisher, --subs subscribers on topic --subject, --qos 0|1
               (--port is the MQTT port; the server may be tern-server or mosquitto)

flags (all take a value):
  --host H          server address (127.0.0.1)
  --port P          server port (4222; for ws/wss the WebSocket port)
  --transport T     tcp, tls (TLS after the plain INFO), ws, wss (tcp)
  --ca FILE         tls/wss: check the server certificate against FILE (default: not checked)
  --ws-path PATH    ws/wss: request path of the upgrade (/)
  --subject S       subject (bench.load)
  --msgs N          messages / round trips (1000000)
  --size B          payload bytes (16)
  --subs M          pubsub subscribers (1)
  --members K       queue group members (4)
  --conns C         idle connections (10000)
  --timeout SEC     wall-clock bound; exit 2 when hit (60)
  --window BYTES    publisher lead over the slowest subscriber (8388608)
  --chunk BYTES     publisher write size (262144)
  --warmup N        reqrep round trips not measured (1000)
  --windows W       reqrep: also report p50/p99/max over W consecutive slices (10)
  --hold SEC        idle: keep connections open this long or until stdin closes (0)
  --trace FILE      reqrep: write "start_ns latency_ns" (CLOCK_MONOTONIC) per measured round trip
  --qos Q           mqtt-pubsub: 0 or 1 (0)
  --label TEXT      copied into the JSON result
  --sub-ports P,..  cluster: subscribers / members / responder on these ports (round robin)
  --settle SEC      cluster: wait this long after subscribing, for interest to cross routes (0)

exit: 0 ok, 1 failed, 2 timeout, 64 bad usage
)";

bool ParseU64(std::string_view text, uint64_t* out) {
  size_t value = 0;
  if (!tern::loadgen::ParseSize(text, &value)) return false;
  *out = value;
  return true;
}

bool ParseDouble(const std::string& text, double* out) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || value < 0) return false;
  *out = value;
  return true;
}

// Applies one --flag value; false when the flag or value is bad.
bool Apply(std::string_view flag, const std::string& value, Config* config) {
  uint64_t n = 0;
  auto number = [&](auto* field) {
    if (!ParseU64(value, &n)) return false;
    *field = static_cast<std::remove_pointer_t<decltype(field)>>(n);
    return true;
  };
  if (flag == "--host") {
    config->endpoint.host = value;
    return true;
  }
  if (flag == "--transport") return tern::loadgen::ParseTransport(value, &config->endpoint.transport);
  if (flag == "--ca") {
    config->ca_file = value;
    return true;
  }
  if (flag == "--ws-path") {
    config->endpoint.ws_path = value;
    return !value.empty() && value[0] == '/';
  }
  if (flag == "--subject") {
    config->subject = value;
    return true;
  }
  if (flag == "--trace") {
    config->trace_file = value;
    return true;
  }
  if (flag == "--label") {
    config->label = value;
    return true;
  }
  if (flag == "--port") {
    return number(&config->endpoint.port) && config->endpoint.port > 0 && config->endpoint.port < 65536;
  }
  if (flag == "--windows") return number(&config->windows) && config->windows > 0;
  if (flag == "--msgs") return number(&config->msgs);
  if (flag == "--size") return number(&config->size);
  if (flag == "--subs") return number(&config->subs);
  if (flag == "--members") return number(&config->members);
  if (flag == "--conns") return number(&config->conns);
  if (flag == "--window") return number(&config->window_bytes);
  if (flag == "--chunk") return number(&config->chunk_bytes) && config->chunk_bytes > 0;
  if (flag == "--warmup") return number(&config->warmup);
  if (flag == "--qos") return number(&config->qos) && config->qos <= 1;
  if (flag == "--timeout") return ParseDouble(value, &config->timeout_s);
  if (flag == "--hold") return ParseDouble(value, &config->hold_s);
  if (flag == "--settle") return ParseDouble(value, &config->settle_s);
  if (flag == "--sub-ports") {
    for (size_t start = 0; start <= value.size();) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      uint64_t port = 0;
      if (!ParseU64(std::string_view(value).substr(start, comma - start), &port) || port == 0 || port > 65535)
        return false;
      config->sub_ports.push_back(static_cast<int>(port));
      start = comma + 1;
    }
    return true;
  }
  return false;
}

int Usage(const char* complaint) {
  if (complaint != nullptr) std::fprintf(stderr, "tern-loadgen: %s\n\n", complaint);
  std::fputs(kUsage.data(), complaint != nullptr ? stderr : stdout);
  return complaint != nullptr ? 64 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("missing scenario");
  std::string_view scenario = argv[1];
  if (scenario == "-h" || scenario == "--help") return Usage(nullptr);
  Config config;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage(("missing value for " + std::string(arg)).c_str());
    }
    if (!Apply(arg, value, &config)) return Usage(("bad flag or value: " + std::string(arg)).c_str());
  }
  if (scenario == "mqtt-pubsub" && config.endpoint.transport != tern::loadgen::Transport::kTcp)
    return Usage("mqtt-pubsub speaks MQTT over plain TCP only");
  if (tern::loadgen::UsesTls(config.endpoint.transport)) {
    std::string error;
    config.endpoint.tls = tern::loadgen::TlsClientContext::Create(config.ca_file, &error);
    if (config.endpoint.tls == nullptr) {
      std::fprintf(stderr, "tern-loadgen: %s\n", error.c_str());
      return 64;
    }
  }
  if (scenario == "pub") return tern::loadgen::RunPub(config);
  if (scenario == "pubsub") return tern::loadgen::RunPubSub(config);
  if (scenario == "queue") return tern::loadgen::RunQueue(config);
  if (scenario == "reqrep") return tern::loadgen::RunReqRep(config);
  if (scenario == "idle") return tern::loadgen::RunIdle(config);
  if (scenario == "mqtt-pubsub") return tern::loadgen::RunMqttPubSub(config);
  return Usage(("unknown scenario: " + std::string(scenario)).c_str());
}
