// The router turns one publish into deliveries: match (through the calling
// worker's cache), pick one member per queue group, hand the message to each
// chosen subscription's sink. It is also the one entry point for changing
// interest (SUB, UNSUB, auto-unsubscribe, system services, route resyncs),
// so that linger can replay held messages to a subscription that just
// appeared and the InterestListener hears of every change.
//
// Where a message goes depends on where it came from (Origin): from a client
// or the system, to every local sink and to each route sink at most once,
// however many of that route's subscriptions match; from a route, to local
// sinks only (a message never crosses two routes). Queue groups prefer their
// members on this node; a route member is picked only when no local member
// can take the message, and the route's one copy then names the groups it
// was picked for (Message::queues), so the peer serves exactly those. A
// message from a route is given to the local groups it names, and no others.
//
// Threading: Router is shared by all workers and holds no lock of its own on
// the publish path; everything mutable per publish lives in the caller's
// RouterThread, except the queue groups' round-robin cursors, which belong to
// the groups in the index so every worker takes the same turns.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "base/counter.h"
#include "core/interest_listener.h"
#include "core/linger.h"
#include "core/match_cache.h"
#include "core/message.h"
#include "core/sink.h"
#include "core/sublist.h"

namespace tern::core {

enum class QueuePolicy : uint8_t { kRandom, kRoundRobin };
// How a queue group with members on other nodes is served. kLocalFirst: a
// member on this node whenever one can take it. kRandom / kRoundRobin: over
// every member in the cluster, each node weighed by its member count
// (Subscription::weight), at random or in turns of this node's cursor.
enum class ClusterQueuePolicy : uint8_t { kLocalFirst, kRandom, kRoundRobin };

// Where a publish came from, which decides where it may go.
struct Origin {
  enum class Kind : uint8_t { kClient, kRoute, kSystem };
  Kind kind = Kind::kSystem;
  const Sink* sink = nullptr;  // the publisher; nullptr for the system
  bool echo = true;            // false: `sink` does not receive its own message

  static Origin Client(const Sink* sink, bool echo) { return {Kind::kClient, sink, echo}; }
  static Origin Route(const Sink* route) { return {Kind::kRoute, route, true}; }
  static Origin System() { return {}; }
};

struct RouterCounters {
  OwnedCounter messages_in, bytes_in, messages_out, bytes_out;
  OwnedCounter no_interest;  // publishes that matched nobody
  OwnedCounter dropped;      // deliveries a sink refused (closed or slow consumer)
};

// Per-worker publish state. Not thread-safe: one per worker thread.
struct RouterThread {
  explicit RouterThread(const Sublist& sublist, uint64_t seed = std::random_device{}()) : cache(sublist), rng(seed) {}

  MatchCache cache;
  std::minstd_rand rng;  // queue member choice; quality is not a concern here

  // Scratch for one publish, kept to reuse its memory: route members picked
  // for queue groups, and the group names one route's copy carries.
  struct RoutePick {
    Subscription* sub;
    std::string_view queue;
  };
  std::vector<RoutePick> route_picks;
  std::vector<std::string_view> queue_names;

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

  PublishResult Publish(RouterThread& thread, const Message& msg, const Origin& origin);

  // Adds interest, tells the listener, then replays lingering messages that
  // match it. False (and nothing happens) for an invalid subject or queue
  // name, or a subscription already in.
  bool Subscribe(RouterThread& thread, const SubscriptionPtr& sub);
  // Subscribe() for many at once under one index lock and one generation
  // step (caches drop everything once): a route's full resync. Returns how
  // many were added.
  size_t SubscribeBatch(RouterThread& thread, std::span<const SubscriptionPtr> subs);
  // Ends the subscription: closed, out of the index, listener told. False
  // when it had ended already (an auto-unsubscribe got there first).
  bool Unsubscribe(Subscription& sub);
  // UNSUB with a count: the subscription ends after `max` deliveries in
  // total (max > 0). True when it already had them: it has ended (here, or
  // by the delivery that reached the count) and the caller may forget it.
  // Otherwise the delivery that reaches `max` ends it, on whichever worker
  // it runs. Either way the sink hears OnAutoUnsubscribed once.
  bool LimitDeliveries(Subscription& sub, uint64_t max);

  // Set before the workers start or not at all; may be null.
  void set_interest_listener(InterestListener* listener) { listener_.store(listener, std::memory_order_release); }

  // Expires lingering messages; call periodically from one thread.
  void Tick();

  Sublist& sublist() { return sublist_; }
  LingerStore* linger() { return linger_; }
  // Any thread (config reload); publishes read it with no lock.
  void set_queue_policy(QueuePolicy policy) { policy_.store(policy, std::memory_order_relaxed); }
  QueuePolicy queue_policy() const { return policy_.load(std::memory_order_relaxed); }
  void set_cluster_queue_policy(ClusterQueuePolicy policy) { cluster_policy_.store(policy, std::memory_order_relaxed); }

 private:
  enum class Delivery : uint8_t {
    kTaken,
    kRefused,  // the sink would not take it (slow consumer, closing)
    kSkipped,  // closed, or its limit was used up; not the sink's fault
  };
  Delivery DeliverTo(RouterThread& thread, Subscription& sub, const Message& msg);
  // Closes, removes and notifies, once, whoever calls first.
  bool End(Subscription& sub, bool limit_reached);
  void Notify(const Subscription& sub, bool added, bool first_or_last);
  void ReplayLingering(RouterThread& thread, const Subscription& sub);
  // Inlined into Publish: the common single pass costs no call.
  [[gnu::always_inline]] void DeliverMatch(RouterThread& thread, const MatchResult& match, const Message& msg,
                                           const Origin& origin, PublishResult* result);
  // Holds a message nobody here could take, or delivers it after all when a
  // subscriber slipped in; out of the common path.
  [[gnu::noinline]] void Linger(RouterThread& thread, const Message& msg, const Origin& origin, PublishResult* result);
  // True when a local member took it.
  bool DeliverToGroup(RouterThread& thread, const QueueGroupMatch& group, const Message& msg, const Origin& origin);
  // Chooses the route member a group's copy goes to (RouterThread::route_picks).
  bool PickRouteMember(RouterThread& thread, const QueueGroupMatch& group, const Origin& origin);
  // ClusterQueuePolicy kRandom / kRoundRobin: one pick over every member of
  // the cluster. True when it was served (here, or by a route pick).
  bool DeliverClusterWide(RouterThread& thread, const QueueGroupMatch& group, const Message& msg, const Origin& origin,
                          bool round_robin, bool* local);
  void DeliverToRoutes(RouterThread& thread, const MatchResult& match, const Message& msg, PublishResult* result);
  // One member of group.members[begin, end): the next turn or a random one,
  // skipping closed members and, with echo off, the publisher's own.
  Subscription* PickMember(RouterThread& thread, const QueueGroupMatch& group, const Origin& origin, size_t begin,
                           size_t end, bool round_robin);

  Sublist& sublist_;
  std::atomic<QueuePolicy> policy_;
  std::atomic<ClusterQueuePolicy> cluster_policy_{ClusterQueuePolicy::kLocalFirst};
  LingerStore* linger_;
  std::atomic<InterestListener*> listener_{nullptr};
};

}  // namespace tern::core
