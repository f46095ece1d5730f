// What this node tells its peers about its own interest, and in what order.
//
// Every local interest change reaches OnChange() on the thread that made it
// (a session's owner, a delivering worker for an auto-unsubscribe, inside a
// publish). It only marks the (subject, queue) dirty in a set under a leaf
// lock and returns: adds and removals of one key collapse into one entry.
// Flush() turns the dirty set into RS+ / RS- lines by asking the index what
// is there now (LocalCount), not by replaying the deltas, so changes whose
// notifications crossed between threads still end in the right state, and
// a queue group's member count (its weight) is whatever it is at flush.
//
// Order is what makes request/reply across nodes work: a client that
// subscribes to its inbox and then publishes a request must have its RS+
// on the wire before the RMSG, or the reply comes back to a node that does
// not know it is wanted. So a route flushes pending interest before it
// writes a message (RouteSession::Deliver), and the cluster thread flushes
// whatever is left shortly after (no message then depends on it). Flushes,
// a new route's full resync and barriers are serialised by `flush_mu_`, so
// on every route the lines appear in the order the index changed.
//
// Lock order: flush_mu_, then Sublist::mu_ (shared), then a route
// connection's output locks. pending_mu_ is a leaf.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/string_hash.h"

namespace tern::core {
class Sink;
class Sublist;
struct Subscription;
}  // namespace tern::core

namespace tern::server {

class Connection;

class InterestRelay {
 public:
  // `local_only`: a sink whose subscriptions stay on this node (the
  // server's own services, which every node answers itself).
  InterestRelay(const core::Sublist& sublist, const core::Sink* local_only);

  void set_local_only(const core::Sink* sink) { local_only_ = sink; }

  // Any thread, never blocks beyond the leaf lock. True when this made the
  // dirty set non-empty (the caller arranges a Flush soon).
  bool OnChange(const core::Subscription& sub, bool first_or_last);
  // True when a change is marked that no completed flush has sent yet.
  bool pending() const { return marked_.load(std::memory_order_acquire) != flushed_.load(std::memory_order_acquire); }
  // Any thread: writes the dirty set to every route.
  void Flush();

  // A route was accepted: flush to the others, then send it everything we
  // have (RS+ ... RSYNC), and from now on every change. Returns the RS+ count.
  size_t AddRoute(uint64_t id, std::shared_ptr<Connection> conn);
  void RemoveRoute(uint64_t id);
  // Flushes, then writes BARRIER <token> to every route; the ids it went to.
  std::vector<uint64_t> Barrier(uint64_t token);
  // Flushes, then writes `line` (an INFO) to every route, and with
  // `queue_weights` an RS+ for every local queue group after it: a node
  // that resumes gives its peers back the weights they zeroed.
  void SendToAll(const std::string& line, bool queue_weights);
  size_t route_count();

 private:
  struct Route {
    uint64_t id;
    std::shared_ptr<Connection> conn;
  };
  // Needs flush_mu_.
  void FlushLocked();

  const core::Sublist& sublist_;
  const core::Sink* local_only_;

  std::mutex flush_mu_;
  std::vector<Route> routes_;  // under flush_mu_
  std::string scratch_;        // under flush_mu_

  std::mutex pending_mu_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> dirty_;  // "subject queue", under pending_mu_
  std::atomic<uint64_t> marked_{0};
  std::atomic<uint64_t> flushed_{0};
};

}  // namespace tern::server
