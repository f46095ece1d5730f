// What a publish carries through the core, as views into the publisher's read
// buffer: nothing is copied until a sink writes it into its own output.
#pragma once

#include <cstdint>
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
};

}  // namespace tern::core
