// ConnImpl publish, subscribe, request and flush: the calls applications make.
#include <algorithm>

#include "conn_impl.h"
#include "wire.h"

namespace tern::internal {

Status ConnImpl::WaitForRoomLocked(std::unique_lock<std::mutex>& lock, size_t wire) {
  // The deadline is taken only once a wait is needed: the common path must
  // not pay for a clock read.
  std::chrono::steady_clock::time_point deadline{};
  for (;;) {
    switch (state_) {
      case ConnState::kClosed:
        return Status(Code::kClosed, "connection closed");
      case ConnState::kConnecting:
      case ConnState::kReconnecting:
        if (out_.size() + wire > options_.reconnect.buffer_bytes) {
          return Status(Code::kBufferFull, "disconnected and the reconnect buffer (" +
                                               std::to_string(options_.reconnect.buffer_bytes) + " bytes) is full");
        }
        return Status::Ok();
      case ConnState::kConnected:
      case ConnState::kDraining:
        // An empty buffer always takes the message, however large.
        if (out_.empty() || out_.size() + wire <= options_.max_pending_out) return Status::Ok();
        if (deadline == std::chrono::steady_clock::time_point{}) {
          deadline = std::chrono::steady_clock::now() + options_.write_timeout;
        } else if (std::chrono::steady_clock::now() >= deadline) {
          return Status(Code::kBufferFull,
                        "outgoing buffer still full after " + std::to_string(options_.write_timeout.count()) + "ms");
        }
        space_cv_.wait_until(lock, deadline);
        break;
    }
  }
}

Status ConnImpl::AppendPubLocked(std::unique_lock<std::mutex>& lock, size_t wire, std::string_view subject,
                                 std::string_view reply, std::string_view headers, std::string_view data,
                                 bool write_now) {
  Status s = WaitForRoomLocked(lock, wire);
  if (!s.ok()) return s;
  if (headers.empty()) {
    AppendPub(out_, subject, reply, data);
  } else {
    AppendHpub(out_, subject, reply, headers, data);
  }
  ++out_msgs_;
  out_bytes_ += data.size();
  if (write_now || options_.send_asap) {
    WriteNowLocked(lock);
  } else {
    NotifyWriterLocked();
  }
  return Status::Ok();
}

void ConnImpl::WriteNowLocked(std::unique_lock<std::mutex>& lock) {
  if (writing_ || transport_ == nullptr || out_.empty()) return;
  writing_ = true;
  direct_buf_.swap(out_);
  std::shared_ptr<Transport> t = transport_;
  space_cv_.notify_all();
  lock.unlock();
  bool ok = t->WriteAll(direct_buf_);
  direct_buf_.clear();
  lock.lock();
  writing_ = false;
  if (!ok && transport_ == t) t->Shutdown();
  // What piled up meanwhile (or a stopping writer) needs the writer thread.
  if (!out_.empty() || writer_stop_) {
    writer_waiting_ = false;
    writer_cv_.notify_all();
  }
}

namespace {

Status CheckPub(std::string_view subject, std::string_view reply, size_t size, int64_t max_payload) {
  if (!ValidSubject(subject, false))
    return Status(Code::kInvalidArgument, "invalid publish subject '" + std::string(subject) + "'");
  if (!reply.empty() && !ValidSubject(reply, false)) {
    return Status(Code::kInvalidArgument, "invalid reply subject '" + std::string(reply) + "'");
  }
  if (static_cast<int64_t>(size) > max_payload) {
    return Status(Code::kInvalidArgument,
                  "payload of " + std::to_string(size) + " bytes exceeds max_payload " + std::to_string(max_payload));
  }
  return Status::Ok();
}

}  // namespace

Status ConnImpl::Publish(std::string_view subject, std::string_view reply, std::string_view headers,
                         std::string_view data) {
  Status s = CheckPub(subject, reply, headers.size() + data.size(), max_payload_.load(std::memory_order_relaxed));
  if (!s.ok()) return s;
  size_t wire = PubWireSize(subject, reply, headers.size(), data.size());
  std::unique_lock<std::mutex> lock(mu_);
  return AppendPubLocked(lock, wire, subject, reply, headers, data);
}

Status ConnImpl::PublishBatch(std::span<const Message> msgs) {
  std::vector<std::string> headers(msgs.size());
  size_t wire = 0;
  int64_t max_payload = max_payload_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < msgs.size(); ++i) {
    headers[i] = msgs[i].headers.Encode();
    Status s = CheckPub(msgs[i].subject, msgs[i].reply, headers[i].size() + msgs[i].data.size(), max_payload);
    if (!s.ok()) return s;
    wire += PubWireSize(msgs[i].subject, msgs[i].reply, headers[i].size(), msgs[i].data.size());
  }
  std::unique_lock<std::mutex> lock(mu_);
  Status s = WaitForRoomLocked(lock, wire);
  if (!s.ok()) return s;
  out_.reserve(out_.size() + wire);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Message& m = msgs[i];
    if (headers[i].empty()) {
      AppendPub(out_, m.subject, m.reply, m.data);
    } else {
      AppendHpub(out_, m.subject, m.reply, headers[i], m.data);
    }
    out_bytes_ += m.data.size();
  }
  out_msgs_ += msgs.size();
  NotifyWriterLocked();
  return Status::Ok();
}

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

void ConnImpl::AppendResubsLocked(std::string& out) {
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
  if (dispatcher_ && dispatcher_->IsWorkerThread()) {
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
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == ConnState::kClosed) return Status(Code::kClosed, "connection closed");
    Status s = EnsureMuxLocked();
    if (!s.ok()) return s;
  }
  RequestMux::Ticket ticket = mux_.Register();
  Status s = CheckPub(subject, ticket.reply, headers.size() + data.size(), max_payload_.load());
  if (s.ok()) {
    std::unique_lock<std::mutex> lock(mu_);
    s = AppendPubLocked(lock, PubWireSize(subject, ticket.reply, headers.size(), data.size()), subject, ticket.reply,
                        headers, data, /*write_now=*/true);
  }
  if (!s.ok()) {
    mux_.Cancel(ticket);
    return s;
  }
  return mux_.Wait(ticket, timeout);
}

Status ConnImpl::Flush(std::chrono::milliseconds timeout) {
  if (std::this_thread::get_id() == io_thread_.get_id()) {
    return Status(Code::kInvalidArgument, "Flush() cannot run on the I/O thread");
  }
  auto waiter = std::make_shared<PongWaiter>();
  std::unique_lock<std::mutex> lock(mu_);
  if (state_ == ConnState::kClosed) return Status(Code::kClosed, "connection closed");
  if (transport_ == nullptr) return Status(Code::kDisconnected, "not connected");
  out_.append("PING\r\n");
  pongs_.push_back(waiter);
  WriteNowLocked(lock);
  if (!pong_cv_.wait_for(lock, timeout, [&] { return waiter->done; })) {
    return Status(Code::kTimeout, "no PONG within " + std::to_string(timeout.count()) + "ms");
  }
  return waiter->status;
}

}  // namespace tern::internal
