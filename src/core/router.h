// The router turns one publish into deliveries: match (through the calling
// worker's cache), pick one member per queue group, hand the message to each
// chosen subscription's sink. It is also the one entry point for changing
// interest, so that linger can replay held messages to a subscription that
// just appeared.
//
// Threading: Router is shared by all workers and holds no lock of its own on
// the publish path; everything mutable per publish lives in the caller's
// RouterThread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/counter.h"
#include "base/string_hash.h"
#include "core/linger.h"
#include "core/match_cache.h"
#include "core/message.h"
#include "core/sink.h"
#include "core/sublist.h"

namespace tern::core {

enum class QueuePolicy { kRandom, kRoundRobin };

struct RouterCounters {
  OwnedCounter messages_in, bytes_in, messages_out, bytes_out;
  OwnedCounter no_interest;  // publishes that matched nobody
  OwnedCounter dropped;      // deliveries a sink refused (closed or slow consumer)
};

// Per-worker publish state. Not thread-safe: one per worker thread.
struct RouterThread {
  explicit RouterThread(const Sublist& sublist, uint64_t seed = std::random_device{}()) : cache(sublist), rng(seed) {}

  MatchCache cache;
  std::minstd_rand rng;             // queue member choice; quality is not a concern here
  StringMap<uint32_t> round_robin;  // queue name -> next member index

  // Counted per worker, never in shared atomics, so workers do not contend.
  RouterCounters counters;
};

struct PublishResult {
  uint32_t delivered = 0;  // sinks that took the message
  bool lingered = false;   // nobody matched and linger kept it
};

class Router {
 public:
  Router(Sublist& sublist, QueuePolicy policy, LingerStore* linger);

  // `origin` is the publishing sink (nullptr for the server itself); with
  // echo=false it does not receive its own message.
  PublishResult Publish(RouterThread& thread, const Message& msg, const Sink* origin, bool echo);

  // Adds interest and replays lingering messages that match it.
  void Subscribe(RouterThread& thread, const SubscriptionPtr& sub);
  void Unsubscribe(const SubscriptionPtr& sub);

  // Expires lingering messages; call periodically from one thread.
  void Tick();

  Sublist& sublist() { return sublist_; }
  LingerStore* linger() { return linger_; }
  void set_queue_policy(QueuePolicy policy) { policy_ = policy; }

 private:
  bool DeliverTo(RouterThread& thread, Subscription& sub, const Message& msg);
  Subscription* PickMember(RouterThread& thread, const QueueGroupMatch& group, const Sink* origin, bool echo);

  Sublist& sublist_;
  QueuePolicy policy_;
  LingerStore* linger_;
};

}  // namespace tern::core
