// One epoll loop per worker thread. Level-triggered: a handler reads once
// (or a few times) per event and the loop comes back to it next turn if more
// is waiting, which keeps one busy connection from starving the others.
//
// A turn is: wait -> handle every ready fd -> run posted tasks -> run the
// turn-end hook. Connections append output during the turn and the hook
// flushes each of them once, so writes are batched per turn, never per
// message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace tern::io {

class Pollable {
 public:
  virtual ~Pollable() = default;
  // `events` holds EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits.
  virtual void OnEvents(uint32_t events) = 0;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Loop-thread only. The Pollable must outlive its registration.
  bool Add(int fd, uint32_t events, Pollable* handler);
  bool Modify(int fd, uint32_t events, Pollable* handler);
  void Remove(int fd);

  // Any thread: run `task` on the loop thread during its next turn.
  void Post(std::function<void()> task);
  // Any thread: make Run() return after the current turn.
  void Stop();

  void SetTurnEndHook(std::function<void()> hook) { turn_end_ = std::move(hook); }
  // Calls `tick` roughly every `period` on the loop thread.
  void SetTicker(std::chrono::milliseconds period, std::function<void()> tick);

  void Run();
  bool stopped() const { return stop_.load(std::memory_order_acquire); }

 private:
  void Wake();
  void RunPosted();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_pending_{false};
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  std::function<void()> turn_end_;
  std::function<void()> tick_;
  std::chrono::milliseconds tick_period_{0};
  std::chrono::steady_clock::time_point next_tick_{};
};

}  // namespace tern::io
