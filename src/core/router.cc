#include "core/router.h"

namespace tern::core {

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

Subscription* Router::PickMember(RouterThread& thread, const QueueGroupMatch& group, const Sink* origin, bool echo) {
  const size_t n = group.members.size();
  size_t start;
  if (policy_ == QueuePolicy::kRoundRobin) {
    auto it = thread.round_robin.find(std::string_view(group.name));
    if (it == thread.round_robin.end()) it = thread.round_robin.emplace(group.name, 0).first;
    start = it->second++ % n;
  } else {
    start = n == 1 ? 0 : thread.rng() % n;
  }
  // Probe from the chosen start so a closed or exhausted member (or the
  // publisher itself with echo off) passes the message on instead of losing it.
  for (size_t i = 0; i < n; ++i) {
    Subscription* sub = group.members[(start + i) % n].get();
    if (sub->closed.load(std::memory_order_relaxed)) continue;
    if (!echo && sub->sink.get() == origin) continue;
    return sub;
  }
  return nullptr;
}

PublishResult Router::Publish(RouterThread& thread, const Message& msg, const Sink* origin, bool echo) {
  PublishResult result;
  thread.counters.messages_in.Add();
  thread.counters.bytes_in.Add(msg.payload.size() + msg.headers.size());

  const MatchResult& match = thread.cache.Lookup(msg.subject);
  for (const SubscriptionPtr& sub : match.plain) {
    if (!echo && sub->sink.get() == origin) continue;
    if (DeliverTo(thread, *sub, msg)) ++result.delivered;
  }
  for (const QueueGroupMatch& group : match.groups) {
    // A member that refuses (slow consumer, just closed) gets one retry on
    // another member; more would turn one bad member into a storm of probes.
    for (int attempt = 0; attempt < 2; ++attempt) {
      Subscription* member = PickMember(thread, group, origin, echo);
      if (member == nullptr) break;
      if (DeliverTo(thread, *member, msg)) {
        ++result.delivered;
        break;
      }
    }
  }
  if (result.delivered == 0 && match.empty()) {
    thread.counters.no_interest.Add();
    if (linger_ != nullptr && linger_->enabled()) {
      result.lingered = linger_->Hold(msg, LingerStore::Clock::now());
    }
  }
  return result;
}

void Router::Subscribe(RouterThread& thread, const SubscriptionPtr& sub) {
  sublist_.Insert(sub);
  if (linger_ == nullptr || !linger_->holding()) return;
  for (const HeldMessage& held : linger_->Take(sub->subject, LingerStore::Clock::now())) {
    Publish(thread, held.view(), nullptr, true);
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
