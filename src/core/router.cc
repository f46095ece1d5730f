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

bool Router::DeliverTo(RouterThread& thread, Subscription& sub, const Message& msg) {
  bool last = false;
  if (!sub.ClaimDelivery(&last)) return false;
  bool taken = sub.sink->Deliver(sub, msg);
  if (last) {
    // Auto-unsubscribe reached its count: drop the interest from whichever
    // worker delivered the final message; the owner cleans its sid table lazily.
    sub.closed.store(true, std::memory_order_release);
    sublist_.Remove(sub);
  }
  if (!taken) {
    thread.counters.dropped.Add();
    return false;
  }
  thread.counters.messages_out.Add();
  thread.counters.bytes_out.Add(msg.payload.size() + msg.headers.size());
  return true;
}

Subscription* Router::PickMember(RouterThread& thread, const QueueGroupMatch& group, const Origin& origin, size_t begin,
                                 size_t end, bool round_robin) {
  const size_t n = end - begin;
  if (n == 0) return nullptr;
  size_t start = 0;
  if (n > 1) start = round_robin ? group.cursor->next.fetch_add(1, std::memory_order_relaxed) % n : thread.rng() % n;
  // Probe from the chosen start so a closed or exhausted member (or the
  // publisher itself with echo off) passes the message on instead of losing it.
  for (size_t i = 0; i < n; ++i) {
    Subscription* sub = group.members[begin + (start + i) % n].get();
    if (sub->closed.load(std::memory_order_relaxed)) continue;
    if (!origin.echo && sub->sink.get() == origin.sink) continue;
    return sub;
  }
  return nullptr;
}

void Router::DeliverToGroup(RouterThread& thread, const QueueGroupMatch& group, const Message& msg,
                            const Origin& origin, PublishResult* result) {
  const bool from_route = origin.kind == Origin::Kind::kRoute;
  if (from_route && !Named(msg.queues, group.name)) return;
  const bool round_robin = policy_.load(std::memory_order_relaxed) == QueuePolicy::kRoundRobin;
  // A member that refuses (slow consumer, just closed) gets one retry on
  // another member; more would turn one bad member into a storm of probes.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Subscription* member = PickMember(thread, group, origin, 0, group.local, round_robin);
    if (member == nullptr) break;
    if (DeliverTo(thread, *member, msg)) {
      ++result->delivered;
      return;
    }
  }
  if (from_route) return;
  // Nobody here can take it: one route member's node will. Its copy goes out
  // with the route's others, once per route, after every group has chosen.
  Subscription* remote = PickMember(thread, group, origin, group.local, group.members.size(), false);
  if (remote != nullptr) thread.route_picks.push_back({remote, group.name});
}

void Router::DeliverToRoutes(RouterThread& thread, const MatchResult& match, const Message& msg,
                             PublishResult* result) {
  auto& picks = thread.route_picks;
  if (picks.empty()) {
    for (const SubscriptionPtr& sub : match.routes) {
      if (DeliverTo(thread, *sub, msg)) ++result->delivered;
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
    if (DeliverTo(thread, sub, copy)) ++result->delivered;
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

PublishResult Router::Publish(RouterThread& thread, const Message& msg, const Origin& origin) {
  PublishResult result;
  thread.counters.messages_in.Add();
  thread.counters.bytes_in.Add(msg.payload.size() + msg.headers.size());

  const MatchResult& match = thread.cache.Lookup(msg.subject);
  for (const SubscriptionPtr& sub : match.plain) {
    if (!origin.echo && sub->sink.get() == origin.sink) continue;
    if (DeliverTo(thread, *sub, msg)) ++result.delivered;
  }
  for (const QueueGroupMatch& group : match.groups) DeliverToGroup(thread, group, msg, origin, &result);
  if (origin.kind != Origin::Kind::kRoute) DeliverToRoutes(thread, match, msg, &result);

  if (result.delivered == 0 && !HasTaker(match, msg, origin)) {
    thread.counters.no_interest.Add();
    // A message from a route is the origin node's to hold, not ours.
    if (origin.kind != Origin::Kind::kRoute && linger_ != nullptr && linger_->enabled()) {
      result.lingered = linger_->Hold(msg, LingerStore::Clock::now());
    }
  }
  return result;
}

void Router::Subscribe(RouterThread& thread, const SubscriptionPtr& sub) {
  sublist_.Insert(sub);
  if (linger_ == nullptr || !linger_->holding()) return;
  for (const HeldMessage& held : linger_->Take(sub->subject, LingerStore::Clock::now())) {
    Publish(thread, held.view(), Origin::System());
  }
}

void Router::Unsubscribe(const SubscriptionPtr& sub) {
  sub->closed.store(true, std::memory_order_release);
  sublist_.Remove(*sub);
}

void Router::Tick() {
  if (linger_ != nullptr) linger_->Expire(LingerStore::Clock::now());
}

}  // namespace tern::core
