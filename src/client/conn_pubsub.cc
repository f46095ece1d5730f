// ConnImpl subscribe, request and flush: the calls applications make (publish is
// in conn_publish.cc).
#include <algorithm>

#include "conn_impl.h"
#include "wire.h"

namespace tern::internal {

Result<std::vector<std::shared_ptr<SubState>>> ConnImpl::Subscribe(std::span<const SubSpec> specs) {
  for (const SubSpec& spec : specs) {
    if (!ValidSubject(spec.subject, true)) {
      return Status(Code::kInvalidArgument, "invalid subscription subject '" + std::string(spec.subject) + "'");
    }
    if (!spec.queue.empty() && !ValidQueue(spec.queue)) {
      return Status(Code::kInvalidArgument, "invalid queue group '" + std::string(spec.queue) + "'");
    }
    if (!spec.channel && !spec.handler) return Status(Code::kInvalidArgument, "subscription without a handler");
    if (spec.channel && spec.capacity == 0) return Status(Code::kInvalidArgument, "channel capacity must be > 0");
  }
  std::vector<std::shared_ptr<SubState>> subs;
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == ConnState::kClosed) return Status(Code::kClosed, "connection closed");
  if (state_ == ConnState::kDraining) return Status(Code::kClosed, "connection is draining");
  for (const SubSpec& spec : specs) {
    auto sub = std::make_shared<SubState>();
    sub->sid = ++next_sid_;
    sub->subject = std::string(spec.subject);
    sub->queue = std::string(spec.queue);
    sub->handler = spec.handler;
    sub->is_channel = spec.channel;
    sub->conn = weak_from_this();
    sub->max_pending_msgs = spec.channel ? spec.capacity : options_.sub_pending_msgs;
    sub->max_pending_bytes = options_.sub_pending_bytes;
    subs.push_back(std::move(sub));
  }
  {
    std::lock_guard<std::mutex> subs_lock(subs_mu_);
    for (const auto& sub : subs) subs_.emplace(sub->sid, sub);
  }
  if (transport_ != nullptr) {
    for (const auto& sub : subs) AppendSub(out_, sub->subject, sub->queue, sub->sid);
    NotifyWriterLocked();
  }
  return subs;
}

void ConnImpl::AppendResubsLocked(OutBuffer& out) {
  std::vector<std::shared_ptr<SubState>> subs;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& [sid, sub] : subs_) subs.push_back(sub);
  }
  std::sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a->sid < b->sid; });
  for (const auto& sub : subs) {
    AppendSub(out, sub->subject, sub->queue, sub->sid);
    uint64_t max = sub->max_msgs.load();
    uint64_t got = sub->received.load();
    if (max != 0 && got < max) AppendUnsub(out, sub->sid, max - got);
  }
}

Status ConnImpl::Unsubscribe(const std::shared_ptr<SubState>& sub) {
  bool erased;
  {
    std::lock_guard<std::mutex> lock(mu_);
    {
      std::lock_guard<std::mutex> subs_lock(subs_mu_);
      erased = subs_.erase(sub->sid) > 0;
    }
    if (erased && transport_ != nullptr) {
      AppendUnsub(out_, sub->sid, 0);
      NotifyWriterLocked();
    }
  }
  std::lock_guard<std::mutex> lock(sub->mu);
  bool was_open = !sub->closed && !sub->done;
  sub->closed = true;
  sub->pending.clear();
  sub->pending_bytes = 0;
  sub->cv.notify_all();
  if (!erased && !was_open) return Status(Code::kClosed, "subscription is not active");
  return Status::Ok();
}

Status ConnImpl::AutoUnsubscribe(const std::shared_ptr<SubState>& sub, uint64_t max) {
  if (max == 0) return Status(Code::kInvalidArgument, "auto-unsubscribe needs max > 0");
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::lock_guard<std::mutex> subs_lock(subs_mu_);
    if (subs_.find(sub->sid) == subs_.end()) return Status(Code::kClosed, "subscription is not active");
    sub->max_msgs.store(max);
    if (sub->received.load() >= max) {
      subs_.erase(sub->sid);
      finished = true;
      if (transport_ != nullptr) AppendUnsub(out_, sub->sid, 0);
    } else if (transport_ != nullptr) {
      AppendUnsub(out_, sub->sid, max);
    }
    NotifyWriterLocked();
  }
  if (finished) {
    std::lock_guard<std::mutex> lock(sub->mu);
    sub->done = true;
    sub->cv.notify_all();
  }
  return Status::Ok();
}

Status ConnImpl::WaitIdle(SubState& sub, std::chrono::steady_clock::time_point deadline) {
  if (sub.is_channel) return Status::Ok();  // its queue stays readable with Next()
  std::unique_lock<std::mutex> lock(sub.mu);
  if (!sub.cv.wait_until(lock, deadline, [&] { return sub.IdleLocked() || sub.closed; })) {
    return Status(Code::kTimeout, "handlers of " + sub.subject + " still busy at the drain deadline");
  }
  return Status::Ok();
}

Status ConnImpl::DrainSub(const std::shared_ptr<SubState>& sub, std::chrono::milliseconds timeout) {
  if ((dispatcher_ && dispatcher_->IsWorkerThread()) || ReadingHere()) {
    return Status(Code::kInvalidArgument, "Drain() called from a handler");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::lock_guard<std::mutex> subs_lock(subs_mu_);
    if (subs_.find(sub->sid) == subs_.end()) return Status(Code::kClosed, "subscription is not active");
    if (transport_ != nullptr) {
      AppendUnsub(out_, sub->sid, 0);
      NotifyWriterLocked();
    }
  }
  // After the PONG nothing more can arrive for this sid. Disconnected is fine:
  // the server forgot the subscription with the connection.
  Status s = Flush(timeout);
  if (s.code() == Code::kDisconnected) s = Status::Ok();
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    subs_.erase(sub->sid);
  }
  {
    std::lock_guard<std::mutex> lock(sub->mu);
    sub->done = true;
    sub->cv.notify_all();
  }
  Status idle = WaitIdle(*sub, deadline);
  return s.ok() ? idle : s;
}

Status ConnImpl::EnsureMuxLocked() {
  if (mux_sub_ != nullptr) return Status::Ok();
  auto sub = std::make_shared<SubState>();
  sub->sid = ++next_sid_;
  sub->subject = mux_.WildcardSubject();
  sub->is_mux = true;
  sub->conn = weak_from_this();
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    subs_.emplace(sub->sid, sub);
  }
  if (transport_ != nullptr) AppendSub(out_, sub->subject, "", sub->sid);
  mux_sub_ = std::move(sub);
  return Status::Ok();
}

Result<Message> ConnImpl::Request(std::string_view subject, std::string_view headers, std::string_view data,
                                  std::chrono::milliseconds timeout) {
  if (ReadingHere()) {
    return Status(Code::kInvalidArgument,
                  "Request() from an inline handler: the reply could only be read by this thread");
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  RequestMux::Ticket ticket = mux_.Register();
  Status s = CheckPublish(subject, ticket.reply, headers.size() + data.size(), max_payload_.load());
  std::shared_ptr<Transport> held;  // the read role, taken before the request leaves (conn_read.cc)
  if (s.ok()) {
    const size_t wire = PubWireSize(subject, ticket.reply, headers.size(), data.size());
    std::unique_lock<std::mutex> lock(mu_);
    if (state_ == ConnState::kClosed) {
      s = Status(Code::kClosed, "connection closed");
    } else {
      s = EnsureMuxLocked();
    }
    // Only when the request goes out without waiting for room: nothing would
    // read the socket meanwhile.
    if (s.ok() && state_ == ConnState::kConnected && out_.size() + wire <= options_.max_pending_out) {
      held = TryTakeReadRole();
    }
    // Sent from this thread: no hand-off to the writer on the way out either.
    if (s.ok()) s = AppendPubLocked(lock, wire, subject, ticket.reply, headers, data, /*write_now=*/true);
  }
  if (!s.ok()) {
    if (held != nullptr) ReleaseReadRole(*held, false);
    mux_.Cancel(ticket);
    return s;
  }
  AwaitCompletion(*ticket.pending, deadline, std::move(held));
  return mux_.Finish(ticket, timeout);
}

Status ConnImpl::Flush(std::chrono::milliseconds timeout) {
  if (ReadingHere()) {
    return Status(Code::kInvalidArgument, "Flush() while reading (I/O thread or inline handler) would wait for itself");
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  auto waiter = std::make_shared<PongWaiter>();
  std::shared_ptr<Transport> held = TryTakeReadRole();  // before the PING leaves (conn_read.cc)
  {
    std::unique_lock<std::mutex> lock(mu_);
    Status s = Status::Ok();
    if (state_ == ConnState::kClosed) {
      s = Status(Code::kClosed, "connection closed");
    } else if (transport_ == nullptr) {
      s = Status(Code::kDisconnected, "not connected");
    }
    if (!s.ok()) {
      lock.unlock();
      if (held != nullptr) ReleaseReadRole(*held, false);
      return s;
    }
    out_.append("PING\r\n");
    pongs_.push_back(waiter);
    WriteNowLocked(lock);
  }
  AwaitCompletion(*waiter, deadline, std::move(held));
  if (!waiter->is_done()) return Status(Code::kTimeout, "no PONG within " + std::to_string(timeout.count()) + "ms");
  return waiter->status;
}

}  // namespace tern::internal
