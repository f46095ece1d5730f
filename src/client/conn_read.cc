// ConnImpl's read role: which thread reads the socket and runs the parser.
//
// The I/O thread reads by default. But a thread about to sleep until the
// socket brings something (Request()'s reply, Flush()'s PONG) takes the role
// when it is free and reads for itself: the reply then wakes the thread that
// wants it, instead of waking the I/O thread, which would wake the requester
// in turn. That second context switch per round trip (and the I/O thread's
// CPU time) was most of the library's request latency over a raw client.
// Transport::WaitReadable wakes only the newest waiter, so the I/O thread,
// waiting since long before, sleeps through such a request. The requester
// takes the role before it sends, so that even a reply quicker than its way
// into WaitReadable cannot be parsed by another thread (the I/O thread, woken
// then, passes the wake-up on).
//
// Rules that keep bytes from being left unread (so that unread bytes always
// have a wake-up queued or a thread about to read them):
//  - a holder that was woken drains the socket (reads until a read comes up
//    short) before it waits again or lets go; one that stops early calls
//    Transport::Rearm();
//  - the I/O thread, woken while another thread holds the role, passes the
//    wake-up on with Rearm() (the holder may be waiting for exactly those
//    bytes) and drains once the role is free.
// One holder at a time and all parsing inside the role keep arrival order,
// which serial dispatch and inline handlers rely on.
#include <cerrno>
#include <cstring>

#include "conn_impl.h"

namespace tern::internal {
namespace {

thread_local const ConnImpl* t_reading = nullptr;

// Marks this thread as the role holder for ReadingHere(); nests, so an inline
// handler may read another connection.
class ReadingScope {
 public:
  explicit ReadingScope(const ConnImpl* conn) : prev_(t_reading) { t_reading = conn; }
  ~ReadingScope() { t_reading = prev_; }
  ReadingScope(const ReadingScope&) = delete;
  ReadingScope& operator=(const ReadingScope&) = delete;

 private:
  const ConnImpl* prev_;
};

}  // namespace

bool ConnImpl::ReadingHere() const { return t_reading == this; }

Status ConnImpl::ReadLoop(const std::shared_ptr<Transport>& t) {
  {
    std::lock_guard<std::mutex> lock(rd_mu_);
    rd_transport_ = t;
    rd_error_ = Status::Ok();
    rd_busy_ = true;  // ours until the first wait: the handshake's leftover comes first
  }
  Status s = Status::Ok();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(rd_mu_);
      if (!rd_error_.ok()) s = rd_error_;  // another holder saw the connection end
    }
    if (s.ok()) {
      ReadingScope scope(this);
      if (!leftover_.empty()) {
        std::string bytes;
        bytes.swap(leftover_);
        if (parser_.Feed(bytes.data(), bytes.size(), *this).error != proto::nats::ParseError::kNone) {
          t->Shutdown();
          s = Status(Code::kProtocolError, "unparsable bytes from server");
        }
        if (rd_published_) SendOwnPublishes();
      }
      bool unread;
      if (s.ok()) s = DrainLocked(*t, nullptr, &unread);
    }
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(rd_mu_);
      rd_transport_.reset();  // nobody takes the role for this socket again
      rd_busy_ = false;
      return s;
    }
    ReleaseReadRole(*t, false);
    if (t->WaitReadable(std::chrono::milliseconds(-1)) == Transport::Wait::kError) {
      s = Status(Code::kDisconnected, std::string("epoll_wait failed: ") + std::strerror(errno));
    }
    AcquireReadRoleForIo(*t);
  }
}

void ConnImpl::AcquireReadRoleForIo(Transport& t) {
  std::unique_lock<std::mutex> lock(rd_mu_);
  if (rd_busy_) {
    t.Rearm();
    rd_io_waiting_ = true;
    rd_cv_.wait(lock, [this] { return !rd_busy_; });
    rd_io_waiting_ = false;
  }
  rd_busy_ = true;
}

std::shared_ptr<Transport> ConnImpl::TryTakeReadRole() {
  std::lock_guard<std::mutex> lock(rd_mu_);
  if (rd_busy_ || rd_transport_ == nullptr || !rd_error_.ok()) return nullptr;
  rd_busy_ = true;
  return rd_transport_;
}

void ConnImpl::ReleaseReadRole(Transport& t, bool unread) {
  if (unread) t.Rearm();
  bool wake;
  {
    std::lock_guard<std::mutex> lock(rd_mu_);
    rd_busy_ = false;
    wake = rd_io_waiting_;
  }
  if (wake) rd_cv_.notify_one();
}

Status ConnImpl::DrainLocked(Transport& t, const Completion* until, bool* unread) {
  *unread = false;
  for (;;) {
    long n = t.TryRead(rd_buf_.get(), kReadBuffer);
    if (n == 0) return Status(Code::kDisconnected, "server closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
      return Status(Code::kDisconnected, std::string("read failed: ") + std::strerror(errno));
    }
    proto::nats::FeedResult r = parser_.Feed(rd_buf_.get(), static_cast<size_t>(n), *this);
    if (r.error != proto::nats::ParseError::kNone) {
      t.Shutdown();
      return Status(Code::kProtocolError, "unparsable bytes from server");
    }
    if (rd_published_) SendOwnPublishes();
    // A short read emptied the socket; bytes arriving later raise a new event.
    if (static_cast<size_t>(n) < kReadBuffer) return Status::Ok();
    if (until != nullptr && until->is_done()) {
      *unread = true;  // leave a flood to the I/O thread
      return Status::Ok();
    }
  }
}

void ConnImpl::SendOwnPublishes() {
  rd_published_ = false;
  std::unique_lock<std::mutex> lock(mu_);
  WriteNowLocked(lock);  // when a write is in flight, its writer takes these too
}

void ConnImpl::ReadWhileHolding(const std::shared_ptr<Transport>& t, Completion& c, Clock::time_point deadline) {
  bool unread = false;
  {
    ReadingScope scope(this);
    // Wait first: bytes already unread have an event queued or a thread
    // about to drain them (the rules above), so a read now would only come
    // back empty, one wasted syscall per request.
    while (!c.is_done()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      Status s = Status::Ok();
      if (t->WaitReadable(left) == Transport::Wait::kError) {
        s = Status(Code::kDisconnected, std::string("epoll_wait failed: ") + std::strerror(errno));
      } else {
        s = DrainLocked(*t, &c, &unread);
      }
      if (!s.ok()) {
        // The I/O thread owns disconnects: leave it the reason and wake it.
        {
          std::lock_guard<std::mutex> lock(rd_mu_);
          if (rd_error_.ok()) rd_error_ = s;
        }
        t->Shutdown();
        break;
      }
    }
  }
  ReleaseReadRole(*t, unread);
}

void ConnImpl::AwaitCompletion(Completion& c, Clock::time_point deadline, std::shared_ptr<Transport> held) {
  if (held != nullptr) ReadWhileHolding(held, c, deadline);
  while (!c.is_done() && Clock::now() < deadline) {
    std::shared_ptr<Transport> t = TryTakeReadRole();
    if (t != nullptr) {
      ReadWhileHolding(t, c, deadline);
      continue;
    }
    // Someone else reads (and will complete c), or there is no connection.
    c.WaitUntil(deadline);
    return;
  }
}

}  // namespace tern::internal
