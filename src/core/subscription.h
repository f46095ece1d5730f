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
  // delivery claims, from whichever worker made them. Set the limit with
  // Router::LimitDeliveries; `closed` is set once, by whoever ends it.
  std::atomic<uint64_t> max_msgs{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<bool> closed{false};
  // How many queue members this subscription stands for: 1 for a local
  // one; a route's copy of a remote group carries that node's member count,
  // so a cluster-wide pick weighs nodes by their members. 0: that node is
  // draining (lame duck): picked only when no other member is left. Any thread.
  std::atomic<uint32_t> weight{1};

  enum class Claim : uint8_t {
    kGranted,
    kLast,       // granted, and the final one the limit allows: end it after delivering
    kExhausted,  // the limit is used up: end it, deliver elsewhere
    kClosed,
  };

  // Increments first, then reads the limit; Router::LimitDeliveries stores
  // the limit first, then reads the count. Both sequentially consistent, so
  // at least one side sees the other: either the claim that reaches the
  // limit knows it is the last, or the limiter sees enough deliveries to end
  // the subscription itself. (Reading the count before storing the limit, as
  // the server once did, let a claim slip in between; nobody then ended the
  // subscription and it stayed in its queue group, refusing, for good.)
  Claim ClaimDelivery() {
    if (closed.load(std::memory_order_relaxed)) return Claim::kClosed;
    const uint64_t n = delivered.fetch_add(1, std::memory_order_seq_cst) + 1;
    const uint64_t max = max_msgs.load(std::memory_order_seq_cst);
    if (max == 0 || n < max) return Claim::kGranted;
    return n == max ? Claim::kLast : Claim::kExhausted;
  }
};

using SubscriptionPtr = std::shared_ptr<Subscription>;

}  // namespace tern::core
