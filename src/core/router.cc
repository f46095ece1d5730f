#include "core/router.h"

#include <algorithm>

namespace tern::core {

namespace {

bool Named(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Could anyone here take it? From a route only local interest counts: route
// subscriptions are never delivered to, and groups only where named.
bool HasTaker(const MatchResult& match, const Message& msg, const Origin& origin) {
  if (origin.kind != Origin::Kind::kRoute) return !match.empty();
  if (!match.plain.empty()) return true;
  return std::any_of(match.groups.begin(), match.groups.end(),
                     [&](const QueueGroupMatch& g) { return g.local > 0 && Named(msg.queues, g.name); });
}

}  // namespace

Router::Router(Sublist& sublist, QueuePolicy policy, LingerStore* linger)
    : sublist_(sublist), policy_(policy), linger_(linger) {}

Router::Delivery Router::DeliverTo(RouterThread& thread, Subscription& sub, const Message& msg) {
  const Subscription::Claim claim = sub.ClaimDelivery();
  if (claim == Subscription::Claim::kClosed) return Delivery::kSkipped;
  if (claim == Subscription::Claim::kExhausted) {
    // Its last delivery was claimed elsewhere, or a limiter is between its
    // store and its check: end it here too (once, whoever is first), so no
    // queue pick chooses it again.
    End(sub, /*limit_reached=*/true);
    return Delivery::kSkipped;
  }
  const bool taken = sub.sink->Deliver(sub, msg);
  if (claim == Subscription::Claim::kLast) End(sub, /*limit_reached=*/true);
  if (!taken) {
    thread.counters.dropped.Add();
    return Delivery::kRefused;
  }
  thread.counters.messages_out.Add();
  thread.counters.bytes_out.Add(msg.payload.size() + msg.headers.size());
  return Delivery::kTaken;
}

bool Router::End(Subscription& sub, bool limit_reached) {
  if (sub.closed.exchange(true, std::memory_order_acq_rel)) return false;
  bool last = false;
  if (sublist_.Remove(sub, &last)) Notify(sub, /*added=*/false, last);
  if (limit_reached && sub.sink != nullptr) sub.sink->OnAutoUnsubscribed(sub);
  return true;
}

void Router::Notify(const Subscription& sub, bool added, bool first_or_last) {
  if (InterestListener* listener = listener_.load(std::memory_order_acquire)) {
    listener->OnInterestChanged(sub, added, first_or_last);
  }
}

Subscription* Router::PickMember(RouterThread& thread, const QueueGroupMatch& group, const Origin& origin, size_t begin,
                                 size_t end, bool round_robin) {
  const size_t n = end - begin;
  if (n == 0) return nullptr;
  size_t start = 0;
  if (n > 1) start = round_robin ? group.cursor->next.fetch_add(1, std::memory_order_relaxed) % n : thread.rng() % n;
  // Probe from the chosen start so a closed or exhausted member (or the
  // publisher itself with echo off) passes the message on instead of losing
  // it. Wrapped by hand: a division per probe costs more than the probe.
  for (size_t i = 0, at = start; i < n; ++i, at = at + 1 == n ? 0 : at + 1) {
    Subscription* sub = group.members[begin + at].get();
    if (sub->closed.load(std::memory_order_relaxed)) continue;
    if (!origin.echo && sub->sink.get() == origin.sink) continue;
    return sub;
  }
  return nullptr;
}

bool Router::DeliverToGroup(RouterThread& thread, const QueueGroupMatch& group, const Message& msg,
                            const Origin& origin) {
  const bool round_robin = policy_.load(std::memory_order_relaxed) == QueuePolicy::kRoundRobin;
  // A member whose sink refuses (slow consumer) gets one retry on another
  // member; more would turn one bad member into a storm of probes. One that
  // was closed or used up its limit is closed now, so the next pick passes
  // it over and it costs no retry: each member can do that only once.
  int refusals = 0;
  for (size_t picks = 0; picks <= group.local && refusals < 2; ++picks) {
    Subscription* member = PickMember(thread, group, origin, 0, group.local, round_robin);
    if (member == nullptr) return false;
    switch (DeliverTo(thread, *member, msg)) {
      case Delivery::kTaken:
        return true;
      case Delivery::kRefused:
        ++refusals;
        break;
      case Delivery::kSkipped:
        break;
    }
  }
  return false;
}

bool Router::PickRouteMember(RouterThread& thread, const QueueGroupMatch& group, const Origin& origin) {
  // Nobody here can take it: one route member's node will. Its copy goes out
  // with the route's others, once per route, after every group has chosen.
  // A draining node (weight 0) only when no other node has a member.
  Subscription* remote = nullptr;
  const size_t begin = group.local, end = group.members.size();
  const size_t n = end - begin;
  if (n == 0) return false;
  const size_t start = n > 1 ? thread.rng() % n : 0;
  for (size_t i = 0, at = start; i < n; ++i, at = at + 1 == n ? 0 : at + 1) {
    Subscription* sub = group.members[begin + at].get();
    if (sub->closed.load(std::memory_order_relaxed)) continue;
    if (!origin.echo && sub->sink.get() == origin.sink) continue;
    if (sub->weight.load(std::memory_order_relaxed) != 0) {
      remote = sub;
      break;
    }
    if (remote == nullptr) remote = sub;  // draining: kept in case nobody else is left
  }
  if (remote == nullptr) return false;
  thread.route_picks.push_back({remote, group.name});
  return true;
}

bool Router::DeliverClusterWide(RouterThread& thread, const QueueGroupMatch& group, const Message& msg,
                                const Origin& origin, bool round_robin, bool* local) {
  uint64_t total = group.local;
  for (size_t i = group.local; i < group.members.size(); ++i) {
    total += group.members[i]->weight.load(std::memory_order_relaxed);  // 0: draining, never picked here
  }
  if (total == 0) return false;  // only draining nodes: the local-first path falls back to them
  uint64_t at = round_robin ? group.cursor->next.fetch_add(1, std::memory_order_relaxed) : thread.rng();
  at %= total;
  *local = false;
  if (at < group.local) {
    Subscription* member = group.members[at].get();
    const bool usable =
        !member->closed.load(std::memory_order_relaxed) && (origin.echo || member->sink.get() != origin.sink);
    if (usable && DeliverTo(thread, *member, msg) == Delivery::kTaken) {
      *local = true;
      return true;
    }
    return false;  // the local path probes on from here
  }
  at -= group.local;
  for (size_t i = group.local; i < group.members.size(); ++i) {
    const uint64_t w = group.members[i]->weight.load(std::memory_order_relaxed);
    if (at < w) {
      Subscription* remote = group.members[i].get();
      if (remote->closed.load(std::memory_order_relaxed)) return false;
      thread.route_picks.push_back({remote, group.name});
      return true;
    }
    at -= w;
  }
  return false;
}

void Router::DeliverToRoutes(RouterThread& thread, const MatchResult& match, const Message& msg,
                             PublishResult* result) {
  auto& picks = thread.route_picks;
  if (picks.empty()) {
    for (const SubscriptionPtr& sub : match.routes) {
      if (DeliverTo(thread, *sub, msg) == Delivery::kTaken) ++result->delivered;
    }
    return;
  }
  auto& names = thread.queue_names;
  auto deliver = [&](Subscription& sub) {
    names.clear();
    for (const auto& pick : picks) {
      if (pick.sub->sink == sub.sink) names.push_back(pick.queue);
    }
    Message copy = msg;
    copy.queues = names;
    if (DeliverTo(thread, sub, copy) == Delivery::kTaken) ++result->delivered;
  };
  for (const SubscriptionPtr& sub : match.routes) deliver(*sub);
  for (size_t i = 0; i < picks.size(); ++i) {
    const auto& sink = picks[i].sub->sink;
    auto same = [&](const auto& other) { return other->sink == sink; };
    if (std::any_of(match.routes.begin(), match.routes.end(), same)) continue;
    if (std::any_of(picks.begin(), picks.begin() + i, [&](const auto& p) { return p.sub->sink == sink; })) continue;
    deliver(*picks[i].sub);
  }
  picks.clear();
}

inline void Router::DeliverMatch(RouterThread& thread, const MatchResult& match, const Message& msg,
                                 const Origin& origin, PublishResult* result) {
  const bool from_route = origin.kind == Origin::Kind::kRoute;
  for (const SubscriptionPtr& sub : match.plain) {
    if (!origin.echo && sub->sink.get() == origin.sink) continue;
    if (DeliverTo(thread, *sub, msg) == Delivery::kTaken) ++result->delivered;
  }
  bool route_picked = false;
  const ClusterQueuePolicy cluster = cluster_policy_.load(std::memory_order_relaxed);
  for (const QueueGroupMatch& group : match.groups) {
    if (from_route && !Named(msg.queues, group.name)) continue;
    if (cluster != ClusterQueuePolicy::kLocalFirst && !from_route && group.local < group.members.size()) [[unlikely]] {
      bool local = false;
      if (DeliverClusterWide(thread, group, msg, origin, cluster == ClusterQueuePolicy::kRoundRobin, &local)) {
        if (local) {
          ++result->delivered;
        } else {
          route_picked = true;
        }
        continue;
      }
    }
    if (DeliverToGroup(thread, group, msg, origin)) {
      ++result->delivered;
    } else if (!from_route && group.local < group.members.size()) {
      route_picked |= PickRouteMember(thread, group, origin);
    }
  }
  if ((!match.routes.empty() || route_picked) && !from_route) DeliverToRoutes(thread, match, msg, result);
}

PublishResult Router::Publish(RouterThread& thread, const Message& msg, const Origin& origin) {
  PublishResult result;
  thread.counters.messages_in.Add();
  thread.counters.bytes_in.Add(msg.payload.size() + msg.headers.size());
  const MatchResult& match = thread.cache.Lookup(msg.subject);
  DeliverMatch(thread, match, msg, origin, &result);
  if (result.delivered == 0 && !HasTaker(match, msg, origin)) {
    // A message from a route is the origin node's to hold, not ours.
    if (origin.kind != Origin::Kind::kRoute && linger_ != nullptr && linger_->enabled()) {
      Linger(thread, msg, origin, &result);
    } else {
      thread.counters.no_interest.Add();
    }
  }
  return result;
}

void Router::Linger(RouterThread& thread, const Message& msg, const Origin& origin, PublishResult* result) {
  switch (linger_->Hold(msg, LingerStore::Clock::now(), sublist_)) {
    case HoldOutcome::kHeld:
      result->lingered = true;
      break;
    case HoldOutcome::kInterest: {
      // A subscriber arrived between our match and the hold, after its own
      // look at the store: deliver as though the match had seen it.
      const MatchResult& again = thread.cache.Lookup(msg.subject);
      DeliverMatch(thread, again, msg, origin, result);
      if (result->delivered > 0 || HasTaker(again, msg, origin)) return;
      break;
    }
    case HoldOutcome::kNotHeld:
      break;
  }
  thread.counters.no_interest.Add();
}

bool Router::Subscribe(RouterThread& thread, const SubscriptionPtr& sub) {
  bool first = false;
  if (!sublist_.Insert(sub, &first)) return false;
  Notify(*sub, /*added=*/true, first);
  ReplayLingering(thread, *sub);
  return true;
}

size_t Router::SubscribeBatch(RouterThread& thread, std::span<const SubscriptionPtr> subs) {
  std::vector<InterestChange> changes;
  const size_t added = sublist_.InsertBatch(subs, &changes);
  for (size_t i = 0; i < subs.size(); ++i) {
    if (changes[i].changed) Notify(*subs[i], /*added=*/true, changes[i].first_or_last);
  }
  for (size_t i = 0; i < subs.size(); ++i) {
    if (changes[i].changed) ReplayLingering(thread, *subs[i]);
  }
  return added;
}

void Router::ReplayLingering(RouterThread& thread, const Subscription& sub) {
  // Inserted first, checked second: a publish that holds a message after
  // this check saw no interest before the insert, and Hold re-checks.
  if (linger_ == nullptr || !linger_->holding()) return;
  for (const HeldMessage& held : linger_->Take(sub.subject, LingerStore::Clock::now())) {
    Publish(thread, held.view(), Origin::System());
  }
}

bool Router::Unsubscribe(Subscription& sub) { return End(sub, /*limit_reached=*/false); }

bool Router::LimitDeliveries(Subscription& sub, uint64_t max) {
  // Store first, then read: the other half of ClaimDelivery's handshake.
  sub.max_msgs.store(max, std::memory_order_seq_cst);
  if (sub.delivered.load(std::memory_order_seq_cst) < max) return false;
  End(sub, /*limit_reached=*/true);
  return true;
}

void Router::Tick() {
  if (linger_ != nullptr) linger_->Expire(LingerStore::Clock::now());
}

}  // namespace tern::core
