// What a publish carries through the core, as views into the publisher's read
// buffer: nothing is copied until a sink writes it into its own output.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace tern::core {

struct Message {
  std::string_view subject;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // full NATS header block ("NATS/1.0\r\n...\r\n\r\n"), empty when none
  std::string_view payload;
  // MQTT's, carried to the sinks untouched (a NATS publish is QoS 0, not
  // retained); the core routes on the subject alone.
  uint8_t qos = 0;
  bool retain = false;
  // Between nodes only: the queue groups this copy is for. The router fills
  // it for a route it picked as a group member (the route carries it to the
  // peer, as nats-server's RMSG does); a message from a route reaches only
  // the local groups named here.
  std::span<const std::string_view> queues;
};

}  // namespace tern::core
