#include "io/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tern::io {
namespace {

using std::chrono::milliseconds;

class RecordingTimer final : public Timer {
 public:
  RecordingTimer(std::vector<int>& log, int id) : log_(log), id_(id) {}
  void OnTimer() override {
    log_.push_back(id_);
    if (on_fire) on_fire();
  }
  std::function<void()> on_fire;

 private:
  std::vector<int>& log_;
  int id_;
};

// Runs `loop` on this thread until `done` says so or a bound passes.
void RunUntil(EventLoop& loop, std::function<bool()> done, milliseconds bound = milliseconds(2000)) {
  auto deadline = Clock::now() + bound;
  loop.SetTurnEndHook([&] {
    if (done() || Clock::now() > deadline) loop.Stop();
  });
  loop.Run();
}

TEST(EventLoopTimerTest, FiresInDeadlineOrder) {
  EventLoop loop;
  std::vector<int> fired;
  std::vector<std::unique_ptr<RecordingTimer>> timers;
  auto now = Clock::now();
  // Armed out of order, with ties.
  for (int id : {5, 1, 4, 2, 3, 0}) {
    timers.push_back(std::make_unique<RecordingTimer>(fired, id));
    loop.Arm(*timers.back(), now + milliseconds(5 * id));
  }
  RunUntil(loop, [&] { return fired.size() == 6; });
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(loop.armed_timers(), 0u);
}

TEST(EventLoopTimerTest, DisarmAndRearmAnywhereInTheHeap) {
  EventLoop loop;
  std::vector<int> fired;
  std::vector<std::unique_ptr<RecordingTimer>> timers;
  auto now = Clock::now();
  for (int id = 0; id < 20; ++id) {
    timers.push_back(std::make_unique<RecordingTimer>(fired, id));
    loop.Arm(*timers.back(), now + milliseconds(2 * id + 10));
  }
  // Drop the odd ones, move 18 to the front and 0 to the back.
  for (int id = 1; id < 20; id += 2) loop.Disarm(*timers[id]);
  EXPECT_FALSE(timers[3]->armed());
  loop.Arm(*timers[18], now + milliseconds(1));
  loop.Arm(*timers[0], now + milliseconds(100));
  loop.Disarm(*timers[3]);  // not armed: a no-op
  RunUntil(loop, [&] { return fired.size() == 10; });
  EXPECT_EQ(fired, (std::vector<int>{18, 2, 4, 6, 8, 10, 12, 14, 16, 0}));
}

TEST(EventLoopTimerTest, RearmingFromItsCallbackWaitsForTheNextTurn) {
  EventLoop loop;
  std::vector<int> fired;
  RecordingTimer timer(fired, 7);
  int turns = 0;
  timer.on_fire = [&] { loop.Arm(timer, Clock::now()); };
  loop.Arm(timer, Clock::now());
  RunUntil(loop, [&] { return ++turns == 5; });
  // Once per turn, never a spin inside one turn.
  EXPECT_LE(fired.size(), 5u);
  EXPECT_GE(fired.size(), 4u);
  loop.Disarm(timer);
}

TEST(EventLoopTimerTest, TimeoutWakesAnIdleLoop) {
  EventLoop loop;
  std::vector<int> fired;
  RecordingTimer timer(fired, 1);
  auto start = Clock::now();
  loop.Arm(timer, start + milliseconds(30));
  RunUntil(loop, [&] { return !fired.empty(); });
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_GE(Clock::now() - start, milliseconds(30));
}

TEST(EventLoopTest, PostFromAnotherThreadRunsOnTheLoop) {
  EventLoop loop;
  std::thread::id ran_on;
  bool ran = false;
  std::thread poster([&] { loop.Post([&] { ran_on = std::this_thread::get_id(), ran = true; }); });
  RunUntil(loop, [&] { return ran; });
  poster.join();
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(EventLoopIdleSpinTest, PostsAndTimersStillRunWhileSpinning) {
  EventLoop loop;
  loop.SetIdleSpin(std::chrono::microseconds(2000));
  std::vector<int> fired;
  RecordingTimer timer(fired, 1);
  loop.Arm(timer, Clock::now() + milliseconds(20));
  std::atomic<int> ran{0};
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) {
      loop.Post([&] { ran.fetch_add(1, std::memory_order_relaxed); });
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  RunUntil(loop, [&] { return ran.load() == 100 && !fired.empty(); });
  poster.join();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(fired.size(), 1u);
}

// Woken only by its own timers (no I/O arriving), a loop stops spinning after
// a few empty polls instead of spinning before every sleep.
TEST(EventLoopIdleSpinTest, SpinningPausesWhenNothingArrives) {
  EventLoop loop;
  loop.SetIdleSpin(std::chrono::microseconds(500));
  int ticks = 0;
  loop.SetTicker(milliseconds(5), [&] { ++ticks; });
  RunUntil(loop, [&] { return ticks >= 20; });
  EXPECT_GE(ticks, 20);
  EXPECT_LE(loop.spins(), 3u);
}

// I/O that keeps arriving soon after each sleep brings the spinning back.
TEST(EventLoopIdleSpinTest, SpinningResumesWhenEventsArriveSoonAfterASleep) {
  EventLoop loop;
  loop.SetIdleSpin(std::chrono::microseconds(2000));
  std::atomic<int> ran{0};
  std::thread poster([&] {
    for (int i = 0; i < 200; ++i) {
      loop.Post([&] { ran.fetch_add(1, std::memory_order_relaxed); });
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  RunUntil(loop, [&] { return ran.load() == 200; });
  poster.join();
  EXPECT_EQ(ran.load(), 200);
  EXPECT_GT(loop.spins(), 3u);
  EXPECT_LT(loop.empty_spins(), loop.spins());
}

TEST(EventLoopTest, AddReportsAnError) {
  EventLoop loop;
  struct Nop : Pollable {
    void OnEvents(uint32_t) override {}
  } nop;
  base::Status status = loop.Add(-1, 1, &nop);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("epoll_ctl"), std::string::npos);
}

}  // namespace
}  // namespace tern::io
