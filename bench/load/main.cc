// tern-loadgen: a NATS-protocol load generator for comparing tern-server with
// nats-server, with an MQTT mode for mosquitto. One scenario per run; one JSON
// line per result on stdout.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

#include "scenarios.h"
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
  --port P          server port (4222)
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
  --hold SEC        idle: keep connections open this long or until stdin closes (0)
  --qos Q           mqtt-pubsub: 0 or 1 (0)
  --label TEXT      copied into the JSON result

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
    config->host = value;
    return true;
  }
  if (flag == "--subject") {
    config->subject = value;
    return true;
  }
  if (flag == "--label") {
    config->label = value;
    return true;
  }
  if (flag == "--port") return number(&config->port) && config->port > 0 && config->port < 65536;
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
  if (scenario == "pub") return tern::loadgen::RunPub(config);
  if (scenario == "pubsub") return tern::loadgen::RunPubSub(config);
  if (scenario == "queue") return tern::loadgen::RunQueue(config);
  if (scenario == "reqrep") return tern::loadgen::RunReqRep(config);
  if (scenario == "idle") return tern::loadgen::RunIdle(config);
  if (scenario == "mqtt-pubsub") return tern::loadgen::RunMqttPubSub(config);
  return Usage(("unknown scenario: " + std::string(scenario)).c_str());
}
