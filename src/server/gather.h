// Runs a function on every client worker's own thread and collects what
// each returns: how monitoring and admin actions look at connections
// without ever reading another thread's state. The caller (the monitor
// thread, or main) blocks up to `timeout`; a worker that has not answered by
// then gets nullopt in its slot, and its late answer is dropped, so a stuck
// or exiting worker delays a snapshot by the timeout at most and never
// writes into memory the caller has let go.
//
// Never call it from a client worker: that worker would wait for itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "server/server.h"
#include "server/worker.h"

namespace tern::server {

template <typename T>
std::vector<std::optional<T>> GatherFromWorkers(Server& server, std::function<T(Worker&)> fn,
                                                std::chrono::milliseconds timeout) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<T>> slots;
    size_t answered = 0;
    bool abandoned = false;
  };
  const size_t n = server.client_worker_count();
  auto state = std::make_shared<State>();
  state->slots.resize(n);
  auto shared_fn = std::make_shared<std::function<T(Worker&)>>(std::move(fn));
  for (size_t i = 0; i < n; ++i) {
    Worker& worker = *server.workers()[i];
    worker.loop().Post([state, shared_fn, &worker, i] {
      T value = (*shared_fn)(worker);
      std::lock_guard lock(state->mu);
      if (state->abandoned) return;
      state->slots[i] = std::move(value);
      ++state->answered;
      state->cv.notify_one();
    });
  }
  std::unique_lock lock(state->mu);
  state->cv.wait_for(lock, timeout, [&] { return state->answered == n; });
  state->abandoned = true;
  return std::move(state->slots);
}

}  // namespace tern::server
