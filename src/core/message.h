// What a publish carries through the core, as views into the publisher's read
// buffer: nothing is copied until a sink writes it into its own output.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tern::core {

class Sink;

struct Message {
  std::string_view subject;
  std::string_view reply;    // empty when absent
  std::string_view headers;  // full NATS header block ("NATS/1.0\r\n...\r\n\r\n"), empty when none
  std::string_view payload;
  // MQTT's, carried to the sinks untouched (a NATS publish is QoS 0, not
  // retained); the core routes on the subject alone.
  uint8_t qos = 0;
  bool retain = false;
  // The local client sink that published it (null for the system or a
  // route): what MQTT's per-subscription No Local option compares with.
  const Sink* publisher = nullptr;
  // Between nodes only: the queue groups this copy is for. The router fills
  // it for a route it picked as a group member (the route carries it to the
  // peer, as nats-server's RMSG does); a message from a route reaches only
  // the local groups named here.
  std::span<const std::string_view> queues;

  // A large payload copied once into shared memory by the first sink that
  // wants it by reference, so each further destination splices it in
  // instead of copying it again. All sinks of one publish run on the
  // publishing thread, so filling it lazily needs no lock.
  mutable std::shared_ptr<const std::string> shared_payload;
  const std::shared_ptr<const std::string>& SharedPayload() const {
    if (!shared_payload) shared_payload = std::make_shared<const std::string>(payload);
    return shared_payload;
  }
};

}  // namespace tern::core
