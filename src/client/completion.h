// A one-shot outcome that one thread waits for and another fills in: a
// request's reply, a PONG.
//
// The waiter is often the very thread that completes it (it reads the socket
// itself while it waits, see conn_read.cc), so `done` is an atomic it checks
// without the lock, and the condition variable is signalled only when the
// waiter actually sleeps on it, after the lock is released so the waiter does
// not wake into a held mutex.
//
// The completing side must hold a shared_ptr to the Completion through
// Complete(): the waiter may return and drop its own reference as soon as
// `done` is set.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tern::internal {

struct Completion {
  // Runs fill() under the lock and marks the outcome done; false (and fill
  // not run) if it was done already: the first outcome wins.
  template <class Fill>
  bool Complete(Fill&& fill) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (done.load(std::memory_order_relaxed)) return false;
      fill();
      done.store(true, std::memory_order_release);
      wake = sleeping;
    }
    if (wake) cv.notify_one();
    return true;
  }

  bool is_done() const { return done.load(std::memory_order_acquire); }

  // Sleeps until done or the deadline; returns is_done().
  bool WaitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu);
    sleeping = true;
    cv.wait_until(lock, deadline, [this] { return done.load(std::memory_order_relaxed); });
    sleeping = false;
    return done.load(std::memory_order_relaxed);
  }

  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  bool sleeping = false;  // guarded by mu
};

}  // namespace tern::internal
