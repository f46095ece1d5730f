#include "io/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/log.h"

namespace tern::io {

namespace {
// Marks the wake-up eventfd in epoll's user data; real handlers are pointers.
Pollable* const kWakeTag = nullptr;
constexpr int kMaxEvents = 256;
}  // namespace

EventLoop::EventLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    log::Error("event loop: cannot create epoll/eventfd: errno {}", errno);
    std::abort();
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = kWakeTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

EventLoop::~EventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

bool EventLoop::Add(int fd, uint32_t events, Pollable* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::Modify(int fd, uint32_t events, Pollable* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::Remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::Post(std::function<void()> task) {
  {
    std::lock_guard lock(post_mu_);
    posted_.push_back(std::move(task));
  }
  Wake();
}

void EventLoop::Stop() {
  stop_.store(true, std::memory_order_release);
  Wake();
}

void EventLoop::Wake() {
  // Coalesce: one eventfd write per turn however many threads post to us.
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void EventLoop::SetTicker(std::chrono::milliseconds period, std::function<void()> tick) {
  tick_period_ = period;
  tick_ = std::move(tick);
  next_tick_ = std::chrono::steady_clock::now() + period;
}

void EventLoop::RunPosted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(post_mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

void EventLoop::Run() {
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_acquire)) {
    int timeout_ms = -1;
    if (tick_) {
      auto now = std::chrono::steady_clock::now();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick_ - now).count();
      timeout_ms = left > 0 ? static_cast<int>(left) : 0;
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    if (n < 0 && errno != EINTR) {
      log::Error("epoll_wait failed: errno {}", errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == kWakeTag) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
        wake_pending_.store(false, std::memory_order_release);
        continue;
      }
      static_cast<Pollable*>(events[i].data.ptr)->OnEvents(events[i].events);
    }
    RunPosted();
    if (tick_ && std::chrono::steady_clock::now() >= next_tick_) {
      next_tick_ = std::chrono::steady_clock::now() + tick_period_;
      tick_();
    }
    if (turn_end_) turn_end_();
  }
  RunPosted();
  if (turn_end_) turn_end_();
}

}  // namespace tern::io
