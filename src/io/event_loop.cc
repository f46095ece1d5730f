#include "io/event_loop.h"

#include <sys/epoll.h>
#include <sched.h>
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
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = kWakeTag;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    // Without its loop a worker cannot exist; this is out of descriptors or
    // kernel memory at start-up, not something to limp on from.
    log::Error("event loop: cannot create epoll/eventfd: errno {}", errno);
    std::abort();
  }
}

EventLoop::~EventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

base::Status EventLoop::Add(int fd, uint32_t events, Pollable* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return base::Status::FromErrno("epoll_ctl(ADD)");
  return base::Status::Ok();
}

base::Status EventLoop::Modify(int fd, uint32_t events, Pollable* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return base::Status::FromErrno("epoll_ctl(MOD)");
  return base::Status::Ok();
}

void EventLoop::Remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

// ---- timers: a binary min-heap of Timer*, each knowing its own slot ------

void EventLoop::Place(uint32_t i, Timer* timer) {
  heap_[i] = timer;
  timer->heap_index_ = i;
}

void EventLoop::SiftUp(uint32_t i) {
  Timer* timer = heap_[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (heap_[parent]->when_ <= timer->when_) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, timer);
}

void EventLoop::SiftDown(uint32_t i) {
  Timer* timer = heap_[i];
  const uint32_t n = static_cast<uint32_t>(heap_.size());
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->when_ < heap_[child]->when_) ++child;
    if (timer->when_ <= heap_[child]->when_) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, timer);
}

void EventLoop::Arm(Timer& timer, Clock::time_point when) {
  if (timer.armed()) {
    Clock::time_point before = timer.when_;
    timer.when_ = when;
    if (when < before) {
      SiftUp(timer.heap_index_);
    } else {
      SiftDown(timer.heap_index_);
    }
    return;
  }
  timer.when_ = when;
  heap_.push_back(&timer);
  SiftUp(static_cast<uint32_t>(heap_.size() - 1));
}

void EventLoop::Disarm(Timer& timer) {
  if (!timer.armed()) return;
  uint32_t i = timer.heap_index_;
  timer.heap_index_ = Timer::kNotArmed;
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last == &timer) return;
  Place(i, last);
  // The moved timer may belong above or below the hole.
  SiftUp(i);
  SiftDown(last->heap_index_);
}

void EventLoop::FireDue(Clock::time_point now) {
  // A timer that re-arms itself for `now` or earlier waits for the next
  // turn, so a misbehaving owner cannot spin this loop.
  size_t budget = heap_.size();
  while (!heap_.empty() && heap_.front()->when_ <= now && budget-- > 0) {
    Timer* timer = heap_.front();
    Disarm(*timer);
    timer->OnTimer();
  }
}

int EventLoop::TimeoutMs(Clock::time_point now) const {
  if (heap_.empty()) return -1;
  auto left = heap_.front()->when_ - now;
  if (left <= Clock::duration::zero()) return 0;
  // Round up: waking a little late is fine, waking early spins.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

void EventLoop::Ticker::OnTimer() {
  loop_.Arm(*this, Clock::now() + period);
  tick();
}

void EventLoop::SetTicker(std::chrono::milliseconds period, std::function<void()> tick) {
  ticker_.period = period;
  ticker_.tick = std::move(tick);
  Arm(ticker_, Clock::now() + period);
}

// ---- cross-thread tasks ----------------------------------------------------

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

void EventLoop::RunPosted() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(post_mu_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

// A thread that sleeps in epoll_wait on a virtual machine lets its vCPU halt,
// and waking a halted vCPU goes through the hypervisor: tens of microseconds,
// most of a loopback request/reply round trip. So while I/O keeps arriving the
// loop polls for a short budget before it sleeps. A few empty polls in a row
// stop the spinning, and it comes back only when a sleep is cut short within
// twice the budget (spinning would have caught that event), so a quiet server
// or one with sparse traffic does not burn a core.
int EventLoop::Wait(epoll_event* events) {
  constexpr int kMaxSpinMisses = 3;
  if (idle_spin_.count() > 0 && spin_misses_ < kMaxSpinMisses) {
    ++spins_;
    Clock::time_point until = Clock::now() + idle_spin_;
    do {
      int n = epoll_wait(epoll_fd_, events, kMaxEvents, 0);
      if (n != 0) {
        if (n > 0) spin_misses_ = 0;
        return n;
      }
      // Keeps the vCPU awake without taking it from a thread that could run
      // here (on a small machine, often the very client we are waiting for).
      sched_yield();
    } while (Clock::now() < until);
    ++spin_misses_;
    ++empty_spins_;
  }
  Clock::time_point before = Clock::now();
  int n = epoll_wait(epoll_fd_, events, kMaxEvents, TimeoutMs(before));
  if (n > 0 && idle_spin_.count() > 0 && Clock::now() - before < 2 * idle_spin_) spin_misses_ = 0;
  return n;
}

void EventLoop::Run() {
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_acquire)) {
    int n = Wait(events);
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
    if (!heap_.empty()) FireDue(Clock::now());
    if (turn_end_) turn_end_();
  }
  RunPosted();
  if (turn_end_) turn_end_();
}

}  // namespace tern::io
