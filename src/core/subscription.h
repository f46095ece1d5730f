// A subscription as the core indexes it: protocol-neutral. A session keeps
// its own per-subscription data by deriving (the NATS session adds the sid,
// MQTT its QoS and options) and static_casts in its Sink::Deliver, which
// only ever receives the subscriptions it created.
//
// Shared ownership because cached match results on every worker may still
// point at a subscription (and its sink) for a moment after it was removed;
// delivery checks `closed`.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/sink.h"

namespace tern::core {

struct Subscription {
  virtual ~Subscription() = default;

  std::shared_ptr<Sink> sink;
  std::string subject;
  std::string queue;  // empty: not in a queue group

  // Auto-unsubscribe (UNSUB sid max): 0 means unlimited. `delivered` counts
  // delivery claims, from whichever worker made them.
  std::atomic<uint64_t> max_msgs{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<bool> closed{false};

  // Claims one delivery slot; false once max_msgs is reached or the
  // subscription is closed. `last` is set when this was the final allowed one.
  bool ClaimDelivery(bool* last) {
    *last = false;
    if (closed.load(std::memory_order_relaxed)) return false;
    uint64_t max = max_msgs.load(std::memory_order_relaxed);
    uint64_t n = delivered.fetch_add(1, std::memory_order_relaxed) + 1;
    if (max == 0) return true;
    if (n > max) return false;
    *last = (n == max);
    return true;
  }
};

using SubscriptionPtr = std::shared_ptr<Subscription>;

}  // namespace tern::core
