// The seam between the core and the connections. The core matches a message
// to Subscriptions and hands it to each one's Sink; it never sees a socket.
// A client connection, an MQTT session, a cluster route or a test recorder is
// a Sink.
#pragma once

#include <cstdint>

#include "core/message.h"

namespace tern::core {

struct Subscription;

class Sink {
 public:
  virtual ~Sink() = default;

  // Called on any worker thread, possibly several at once. Must not block and
  // must not call back into the subscription index (no subscribe/unsubscribe):
  // queue the bytes and return. Returns false if the sink could not take the
  // message (closed, slow consumer) so the caller can count the drop.
  virtual bool Deliver(const Subscription& sub, const Message& msg) = 0;

  // True for sinks that speak for a whole remote node (routes): they are not
  // counted as local responders and receive at most one copy per message.
  virtual bool IsRoute() const { return false; }

  // Stable id for logs, monitoring and echo suppression.
  virtual uint64_t sink_id() const = 0;
};

}  // namespace tern::core
