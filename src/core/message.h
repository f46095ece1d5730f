// What a publish carries through the core, as views into the publisher's read
// buffer: nothing is copied until a sink writes it into its own output.
#pragma once

#include <string_view>

namespace tern::core {

struct Message {
  std::string_view subject;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // full NATS header block ("NATS/1.0\r\n...\r\n\r\n"), empty when none
  std::string_view payload;
};

}  // namespace tern::core
