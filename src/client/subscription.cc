#include "tern/subscription.h"

#include "conn_impl.h"
#include "sub_state.h"

namespace tern {
namespace {
const std::string kEmpty;
Status Invalid() { return Status(Code::kInvalidArgument, "empty Subscription handle"); }
}  // namespace

bool Subscription::active() const {
  if (!state_) return false;
  std::lock_guard<std::mutex> lock(state_->mu);
  return !state_->closed && !(state_->done && state_->pending.empty());
}

const std::string& Subscription::subject() const { return state_ ? state_->subject : kEmpty; }
const std::string& Subscription::queue() const { return state_ ? state_->queue : kEmpty; }
uint64_t Subscription::sid() const { return state_ ? state_->sid : 0; }
bool Subscription::is_channel() const { return state_ && state_->is_channel; }

Status Subscription::Unsubscribe() {
  if (!state_) return Invalid();
  auto conn = state_->conn.lock();
  if (!conn) return Status(Code::kClosed, "connection closed");
  return conn->Unsubscribe(state_);
}

Status Subscription::AutoUnsubscribe(uint64_t max) {
  if (!state_) return Invalid();
  auto conn = state_->conn.lock();
  if (!conn) return Status(Code::kClosed, "connection closed");
  return conn->AutoUnsubscribe(state_, max);
}

Status Subscription::Drain(std::chrono::milliseconds timeout) {
  if (!state_) return Invalid();
  auto conn = state_->conn.lock();
  if (!conn) return Status(Code::kClosed, "connection closed");
  return conn->DrainSub(state_, timeout);
}

Result<Message> Subscription::Next(std::chrono::milliseconds timeout) {
  if (!state_) return Invalid();
  if (!state_->is_channel) return Status(Code::kInvalidArgument, "Next() on a handler subscription");
  internal::SubState& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.cv.wait_for(lock, timeout, [&] { return !s.pending.empty() || s.closed || s.done; })) {
    return Status(Code::kTimeout, "no message within " + std::to_string(timeout.count()) + "ms");
  }
  if (s.pending.empty()) return Status(Code::kClosed, "subscription closed");
  Message m = std::move(s.pending.front());
  s.pending.pop_front();
  s.pending_bytes -= m.data.size() + m.subject.size();
  if (s.pending.empty()) s.slow_reported = false;
  s.delivered.fetch_add(1, std::memory_order_relaxed);
  return m;
}

std::optional<Message> Subscription::TryNext() {
  if (!state_ || !state_->is_channel) return std::nullopt;
  internal::SubState& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.pending.empty()) return std::nullopt;
  Message m = std::move(s.pending.front());
  s.pending.pop_front();
  s.pending_bytes -= m.data.size() + m.subject.size();
  if (s.pending.empty()) s.slow_reported = false;
  s.delivered.fetch_add(1, std::memory_order_relaxed);
  return m;
}

void Subscription::SetPendingLimits(size_t max_msgs, size_t max_bytes) {
  if (!state_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->max_pending_msgs = max_msgs;
  state_->max_pending_bytes = max_bytes;
}

uint64_t Subscription::received() const { return state_ ? state_->received.load() : 0; }
uint64_t Subscription::delivered() const { return state_ ? state_->delivered.load() : 0; }
uint64_t Subscription::dropped() const { return state_ ? state_->dropped.load() : 0; }
size_t Subscription::pending() const {
  if (!state_) return 0;
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->pending.size();
}

}  // namespace tern
