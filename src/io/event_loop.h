// One epoll loop per worker thread. Level-triggered: a handler reads once
// (or a few times) per event and the loop comes back to it next turn if more
// is waiting, which keeps one busy connection from starving the others.
//
// A turn is: wait -> handle every ready fd -> run posted tasks -> fire due
// timers -> run the turn-end hook. Connections append output during the turn
// and the hook flushes each of them once, so writes are batched per turn,
// never per message.
//
// Timers are intrusive (the owner embeds an io::Timer, so arming allocates
// nothing) and kept in a binary min-heap; a connection holds one timer and
// re-arms it for its earliest deadline (auth, ping, write deadline,
// handshake), so 100,000 idle connections cost a few hundred wake-ups a
// second, not a walk over all of them every tick.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "base/status.h"

struct epoll_event;

namespace tern::io {

using Clock = std::chrono::steady_clock;

class Pollable {
 public:
  virtual ~Pollable() = default;
  // `events` holds EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits.
  virtual void OnEvents(uint32_t events) = 0;
};

// Embed (or derive from) one per deadline owner. Loop-thread only; the owner
// must Disarm() before it is destroyed.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void OnTimer() = 0;
  bool armed() const { return heap_index_ != kNotArmed; }
  Clock::time_point when() const { return when_; }

 private:
  friend class EventLoop;
  static constexpr uint32_t kNotArmed = UINT32_MAX;
  Clock::time_point when_{};
  uint32_t heap_index_ = kNotArmed;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Loop-thread only. The Pollable must outlive its registration.
  base::Status Add(int fd, uint32_t events, Pollable* handler);
  base::Status Modify(int fd, uint32_t events, Pollable* handler);
  // Removing an fd that is not registered is not an error worth reporting:
  // close paths call this unconditionally.
  void Remove(int fd);

  // Loop-thread only. Arming an armed timer moves it.
  void Arm(Timer& timer, Clock::time_point when);
  void Disarm(Timer& timer);
  size_t armed_timers() const { return heap_.size(); }

  // Any thread: run `task` on the loop thread during its next turn.
  void Post(std::function<void()> task);
  // Any thread: make Run() return after the current turn.
  void Stop();

  void SetTurnEndHook(std::function<void()> hook) { turn_end_ = std::move(hook); }
  // Before Run(): poll for up to `budget` before each sleep while I/O keeps
  // arriving (see Wait()); zero never spins.
  void SetIdleSpin(std::chrono::microseconds budget) { idle_spin_ = budget; }
  // Loop-thread only: how many times Wait() polled before sleeping, and how
  // many of those polls ran dry.
  uint64_t spins() const { return spins_; }
  uint64_t empty_spins() const { return empty_spins_; }
  // Calls `tick` roughly every `period` on the loop thread.
  void SetTicker(std::chrono::milliseconds period, std::function<void()> tick);

  void Run();
  bool stopped() const { return stop_.load(std::memory_order_acquire); }

 private:
  class Ticker final : public Timer {
   public:
    explicit Ticker(EventLoop& loop) : loop_(loop) {}
    void OnTimer() override;
    std::chrono::milliseconds period{0};
    std::function<void()> tick;

   private:
    EventLoop& loop_;
  };

  void Wake();
  int Wait(epoll_event* events);
  void RunPosted();
  void FireDue(Clock::time_point now);
  int TimeoutMs(Clock::time_point now) const;
  void SiftUp(uint32_t i);
  void SiftDown(uint32_t i);
  void Place(uint32_t i, Timer* timer);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_pending_{false};
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
  std::function<void()> turn_end_;
  std::chrono::microseconds idle_spin_{0};
  int spin_misses_ = 0;  // empty spins in a row; spinning pauses after a few
  uint64_t spins_ = 0;
  uint64_t empty_spins_ = 0;
  std::vector<Timer*> heap_;
  Ticker ticker_{*this};
};

}  // namespace tern::io
