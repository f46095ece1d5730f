// The shared state behind a Subscription handle.
//
// Locking: `mu` guards the pending queue and the flags below it. The I/O
// thread pushes, a dispatch thread (or Next()) pops; neither holds `mu` while
// a handler runs. Counters are atomics so stats never take the lock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "tern/message.h"
#include "tern/subscription.h"

namespace tern::internal {

class ConnImpl;

struct SubState {
  uint64_t sid = 0;
  std::string subject;
  std::string queue;
  Handler handler;  // empty for channel subscriptions and the request mux
  bool is_channel = false;
  bool is_mux = false;  // the shared request inbox; replies never reach a queue
  std::weak_ptr<ConnImpl> conn;

  std::atomic<uint64_t> max_msgs{0};  // auto-unsubscribe bound; 0: none
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dropped{0};

  std::mutex mu;
  std::condition_variable cv;  // queue became non-empty (channels) or idle (drain)
  std::deque<Message> pending;
  size_t pending_bytes = 0;
  size_t max_pending_msgs = 65536;
  size_t max_pending_bytes = 64 * 1024 * 1024;
  bool scheduled = false;  // in the dispatcher's ready queue (pool mode)
  bool running = false;    // a handler is running now
  bool closed = false;     // unsubscribed: queue discarded, no more deliveries
  bool done = false;  // no more input (auto-unsubscribe reached, drained, connection closed); the queue still delivers
  bool slow_reported = false;  // one kSlowConsumer event per episode of drops

  // Idle: nothing queued and no handler running (what Drain waits for).
  bool IdleLocked() const { return pending.empty() && !running; }
};

}  // namespace tern::internal
