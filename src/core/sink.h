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

  // Called once when an auto-unsubscribe limit ended `sub`: after its final
  // delivery, with the subscription already out of the index. Runs on
  // whichever thread ended it (usually a delivering worker, inside a
  // publish; the owner's own in Router::LimitDeliveries), so the same rules
  // as Deliver() apply: a session counts it here and sweeps its own tables
  // later on its own thread.
  virtual void OnAutoUnsubscribed(const Subscription& sub) { (void)sub; }

  // True for sinks that speak for a whole remote node (routes): they receive
  // at most one copy per message and never a message from another route.
  // Asked once when a subscription enters or leaves the index, so it must
  // not change over the sink's life.
  virtual bool IsRoute() const { return false; }

  // Stable id for logs, monitoring and echo suppression.
  virtual uint64_t sink_id() const = 0;
};

}  // namespace tern::core
