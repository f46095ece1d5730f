// The auth pool: a few threads, below the workers' priority, that run the
// checks that take long (bcrypt at cost 11 is ~100 ms of CPU), so a worker loop
// never waits for one. The queue is bounded: a flood of logins waits here,
// and past the bound new ones are refused at once instead of piling up.
// Each task posts its answer back to the connection's own worker.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::server::auth {

class AuthPool {
 public:
  AuthPool(int threads, size_t max_queued);
  ~AuthPool();  // Stop()
  // Any thread, once or more: runs nothing more (queued checks are
  // dropped, later Submit()s refused) and joins the threads. The object
  // stays, so a worker that submits during shutdown is refused, not racing.
  void Stop();
  AuthPool(const AuthPool&) = delete;
  AuthPool& operator=(const AuthPool&) = delete;

  // False when the queue is full (the task is dropped).
  bool Submit(std::function<void()> task);
  size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::mutex join_mu_;  // Stop() from two threads joins each thread once
  std::vector<std::thread> threads_;
};

}  // namespace tern::server::auth
