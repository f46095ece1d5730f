// What monitoring knows about one connection: the transport part filled by
// Connection::Describe, the protocol part by its Session. Taken on the
// connection's owning worker (or at close, for the closed-connections ring)
// and carried to the monitor thread by value, so no reader ever touches a
// live connection from another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tern::server {

using WallClock = std::chrono::system_clock;

struct SubInfo {
  std::string subject, queue, sid;
  uint64_t msgs = 0;  // deliveries to it so far
  uint64_t max = 0;   // auto-unsubscribe limit, 0 = none
  uint64_t cid = 0;
};

struct ConnInfo {
  uint64_t cid = 0;
  std::string listener;  // Endpoint::name: "client", "websocket"
  std::string type = "nats";
  std::string ip;
  int port = 0;
  WallClock::time_point start{}, last_activity{}, stop{};  // stop: zero while open
  std::string reason;                                      // close reason, once closed
  std::chrono::nanoseconds rtt{0};
  uint64_t pending_bytes = 0;
  uint64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
  uint32_t subscriptions = 0;
  std::string name, lang, version;
  std::string mqtt_client;  // MQTT client identifier, once CONNECT is accepted
  std::string tls_version, tls_cipher;
  std::vector<SubInfo> subs;  // only when asked for
};

}  // namespace tern::server
