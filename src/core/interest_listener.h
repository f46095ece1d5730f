// The hook through which the cluster learns of interest changes, to tell its
// peers. Set on the Router; every change of interest goes through the Router
// (SUB, UNSUB, an auto-unsubscribe reaching its count, system services,
// route resyncs), so nothing changes the index behind the listener's back.
#pragma once

namespace tern::core {

struct Subscription;

class InterestListener {
 public:
  virtual ~InterestListener() = default;

  // Called after the index changed, on the thread that changed it: a
  // session's owner for SUB/UNSUB, the delivering worker when an
  // auto-unsubscribe reaches its count, the main thread for system services.
  // `first_or_last`: the (subject, queue) went from no interest to some
  // (added) or from some to none (removed). Local and route interest are
  // counted apart, so a change of a route's interest never reads as the
  // first or last local one; `sub.sink->IsRoute()` tells which it was.
  // Runs inside a publish when an auto-unsubscribe ends a subscription, so
  // it must not block, publish, subscribe or unsubscribe: record the news
  // and return.
  virtual void OnInterestChanged(const Subscription& sub, bool added, bool first_or_last) = 0;
};

}  // namespace tern::core
