#include "dispatcher.h"

#include <exception>

#include "base/log.h"

namespace tern::internal {
namespace {
thread_local const Dispatcher* t_worker_of = nullptr;
// Messages one pool worker runs for a subscription before letting others in.
constexpr int kBatch = 64;
}  // namespace

Dispatcher::Dispatcher(DispatchMode mode, int threads, std::function<void(SubState&)> on_drop)
    : mode_(mode), on_drop_(std::move(on_drop)) {
  int n = mode == DispatchMode::kInline ? 0 : mode == DispatchMode::kSerial ? 1 : (threads < 1 ? 1 : threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

Dispatcher::~Dispatcher() { Stop(); }

bool Dispatcher::IsWorkerThread() const { return t_worker_of == this; }

void Dispatcher::Push(const std::shared_ptr<SubState>& sub, Message&& msg) {
  if (mode_ == DispatchMode::kInline && !sub->is_channel) {
    RunInline(*sub, msg);
    return;
  }
  bool schedule = false;
  bool report_drop = false;
  {
    std::lock_guard<std::mutex> lock(sub->mu);
    if (sub->closed || sub->done) return;
    size_t bytes = msg.data.size() + msg.subject.size();
    if (sub->pending.size() >= sub->max_pending_msgs || sub->pending_bytes + bytes > sub->max_pending_bytes) {
      sub->dropped.fetch_add(1, std::memory_order_relaxed);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      report_drop = !sub->slow_reported;
      sub->slow_reported = true;
    } else {
      sub->pending.push_back(std::move(msg));
      sub->pending_bytes += bytes;
      if (sub->is_channel) {
        sub->cv.notify_one();
      } else if (mode_ == DispatchMode::kSerial) {
        schedule = true;
      } else if (!sub->scheduled) {
        sub->scheduled = true;
        schedule = true;
      }
    }
  }
  if (report_drop && on_drop_) on_drop_(*sub);
  if (!schedule) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready_.push_back(sub);
  }
  cv_.notify_one();
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
    stop_flag_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();  // Close() from a handler is refused earlier; this is the last resort
    } else if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  ready_.clear();
}

void Dispatcher::Run() {
  t_worker_of = this;
  for (;;) {
    std::shared_ptr<SubState> sub;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !ready_.empty(); });
      if (stop_) return;
      sub = std::move(ready_.front());
      ready_.pop_front();
    }
    RunSub(sub);
  }
}

namespace {

void CallHandler(SubState& sub, const Message& msg) {
  try {
    sub.handler(msg);
  } catch (const std::exception& e) {
    // A throwing handler must not take the worker (and the connection) down.
    log::Warn("tern client: handler for {} threw: {}", sub.subject, e.what());
  } catch (...) {
    log::Warn("tern client: handler for {} threw", sub.subject);
  }
}

}  // namespace

void Dispatcher::RunInline(SubState& sub, const Message& msg) {
  {
    std::lock_guard<std::mutex> lock(sub.mu);
    if (sub.closed || sub.done || stop_flag_.load(std::memory_order_relaxed)) return;
    sub.running = true;  // what Drain waits out
  }
  CallHandler(sub, msg);
  sub.delivered.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(sub.mu);
  sub.running = false;
  sub.cv.notify_all();
}

void Dispatcher::RunSub(const std::shared_ptr<SubState>& sub) {
  // Serial mode runs exactly one message per token; pool mode a batch.
  int budget = mode_ == DispatchMode::kSerial ? 1 : kBatch;
  std::unique_lock<std::mutex> lock(sub->mu);
  while (budget-- > 0) {
    if (sub->pending.empty() || sub->closed) {
      sub->scheduled = false;
      sub->cv.notify_all();
      return;
    }
    Message msg = std::move(sub->pending.front());
    sub->pending.pop_front();
    sub->pending_bytes -= msg.data.size() + msg.subject.size();
    if (sub->pending.empty()) sub->slow_reported = false;
    sub->running = true;
    lock.unlock();
    CallHandler(*sub, msg);
    sub->delivered.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
    sub->running = false;
    if (stop_flag_.load(std::memory_order_relaxed)) return;
  }
  if (mode_ == DispatchMode::kSerial) {
    if (sub->IdleLocked()) sub->cv.notify_all();
    return;
  }
  if (sub->pending.empty() || sub->closed) {
    sub->scheduled = false;
    sub->cv.notify_all();
    return;
  }
  lock.unlock();
  std::lock_guard<std::mutex> ready_lock(mu_);
  ready_.push_back(sub);
  cv_.notify_one();
}

}  // namespace tern::internal
