// ConnImpl publishing: the per-message hot path.
//
// A small publish costs the server only tens of nanoseconds to take in, so a
// client that spends more than that per message is what limits a publisher.
// Hence the fast path (TryPublishFast): one lock, the PUB line written into
// out_ in one piece with the subject checked as it is copied, and nothing
// else when bytes are already waiting (so a sender is already on its way)
// and every limit is far. Everything else, errors included, takes the
// general path. Who sends, and when, is conn_write.cc.
#include <cstring>

#include "conn_impl.h"
#include "wire.h"

namespace tern::internal {

Status ConnImpl::WaitForRoomLocked(std::unique_lock<std::mutex>& lock, size_t wire) {
  // The deadline is taken only once a wait is needed: the common path must
  // not pay for a clock read.
  Clock::time_point deadline{};
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
        if (deadline == Clock::time_point{}) {
          deadline = Clock::now() + options_.write_timeout;
        } else if (Clock::now() >= deadline) {
          return Status(Code::kBufferFull,
                        "outgoing buffer still full after " + std::to_string(options_.write_timeout.count()) + "ms");
        }
        if (!writing_ && transport_ != nullptr) {
          // Nobody may be sending (a reader that defers its own publishes, a
          // writer not yet awake): make room ourselves.
          WriteNowLocked(lock);
          continue;
        }
        space_cv_.wait_until(lock, deadline);
        break;
    }
  }
}

Status ConnImpl::AppendPubLocked(std::unique_lock<std::mutex>& lock, size_t wire, std::string_view subject,
                                 std::string_view reply, std::string_view headers, std::string_view data,
                                 bool write_now) {
  if (state_ != ConnState::kConnected || out_.size() + wire > options_.max_pending_out) {
    Status s = WaitForRoomLocked(lock, wire);
    if (!s.ok()) return s;
  }
  const bool was_empty = out_.empty();
  if (headers.empty()) {
    AppendPub(out_, subject, reply, data);
  } else {
    AppendHpub(out_, subject, reply, headers, data);
  }
  ++out_msgs_;
  out_bytes_ += data.size();
  AfterAppendLocked(lock, was_empty, write_now);
  return Status::Ok();
}

inline bool ConnImpl::TryPublishFast(std::string_view subject, std::string_view data) {
  const size_t size = data.size();
  if (subject.empty() || static_cast<int64_t>(size) > max_payload_.load(std::memory_order_relaxed)) return false;
  const size_t digits = DecimalDigits(size);
  const size_t wire = 4 + subject.size() + 1 + digits + 2 + size + 2;
  std::lock_guard<std::mutex> lock(mu_);
  // Connected, bytes already waiting (so a sender is already on its way), and
  // well under every limit: nobody needs telling.
  if (state_ != ConnState::kConnected || out_.empty() || out_.size() + wire >= pub_fast_limit_) return false;
  char* w = out_.Grow(wire);
  std::memcpy(w, "PUB ", 4);
  if (!CopyPublishSubject(w + 4, subject)) {
    out_.Unwrite(wire);
    return false;  // the general path says what is wrong with it
  }
  w += 4 + subject.size();
  *w++ = ' ';
  w += digits;
  proto::nats::FormatDecimal(size, w);
  *w++ = '\r';
  *w++ = '\n';
  if (size != 0) std::memcpy(w, data.data(), size);
  w += size;
  *w++ = '\r';
  *w = '\n';
  ++out_msgs_;
  out_bytes_ += size;
  return true;
}

Status ConnImpl::Publish(std::string_view subject, std::string_view reply, std::string_view headers,
                         std::string_view data) {
  if (reply.empty() && headers.empty() && TryPublishFast(subject, data)) return Status::Ok();
  return PublishGeneral(subject, reply, headers, data);
}

Status ConnImpl::PublishGeneral(std::string_view subject, std::string_view reply, std::string_view headers,
                                std::string_view data) {
  const size_t size = headers.size() + data.size();
  const int64_t max_payload = max_payload_.load(std::memory_order_relaxed);
  if (!ValidSubject(subject, false) || (!reply.empty() && !ValidSubject(reply, false)) ||
      static_cast<int64_t>(size) > max_payload) {
    return CheckPublish(subject, reply, size, max_payload);  // says which
  }
  const size_t wire = PubWireSize(subject, reply, headers.size(), data.size());
  std::unique_lock<std::mutex> lock(mu_);
  return AppendPubLocked(lock, wire, subject, reply, headers, data);
}

Status ConnImpl::PublishBatch(std::span<const Message> msgs) {
  std::vector<std::string> headers(msgs.size());
  size_t wire = 0;
  int64_t max_payload = max_payload_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < msgs.size(); ++i) {
    headers[i] = msgs[i].headers.Encode();
    Status s = CheckPublish(msgs[i].subject, msgs[i].reply, headers[i].size() + msgs[i].data.size(), max_payload);
    if (!s.ok()) return s;
    wire += PubWireSize(msgs[i].subject, msgs[i].reply, headers[i].size(), msgs[i].data.size());
  }
  std::unique_lock<std::mutex> lock(mu_);
  Status s = WaitForRoomLocked(lock, wire);
  if (!s.ok()) return s;
  const bool was_empty = out_.empty();
  out_.Reserve(out_.size() + wire);
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
  AfterAppendLocked(lock, was_empty, false);
  return Status::Ok();
}

}  // namespace tern::internal
