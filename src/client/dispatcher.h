// Runs subscription handlers off the I/O thread.
//
// Pool mode: each subscription with queued messages sits once in a ready
// queue; a worker takes it and runs up to a batch of its messages in order,
// then puts it back at the tail if more remain. So one subscription's messages
// never run concurrently or out of order, and a slow handler holds one worker,
// not the others.
// Serial mode: one worker and one token per message in a single FIFO, so every
// handler of the connection runs on that thread in arrival order.
// Inline mode: no workers; Push() runs the handler itself (channels still
// queue).
//
// Only the read-role holder calls Push(), one thread at a time, which is what
// makes serial (and inline) order the arrival order.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sub_state.h"
#include "tern/options.h"

namespace tern::internal {

class Dispatcher {
 public:
  // on_drop(sub) is called (on the pushing thread) at the start of each
  // episode of drops, for the slow-consumer event.
  Dispatcher(DispatchMode mode, int threads, std::function<void(SubState&)> on_drop);
  ~Dispatcher();

  // Queues msg for sub (handler or channel). Never blocks on a handler:
  // drops and counts when the subscription's queue is full.
  void Push(const std::shared_ptr<SubState>& sub, Message&& msg);
  // Stops the workers; queued messages are discarded. Idempotent.
  void Stop();
  // True on one of this dispatcher's worker threads.
  bool IsWorkerThread() const;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void RunSub(const std::shared_ptr<SubState>& sub);
  void RunInline(SubState& sub, const Message& msg);

  const DispatchMode mode_;
  std::function<void(SubState&)> on_drop_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<SubState>> ready_;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  std::atomic<uint64_t> dropped_{0};  // read per message without taking mu_
  std::vector<std::thread> threads_;
};

}  // namespace tern::internal
