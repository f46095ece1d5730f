// ConnImpl's send side: who writes out_ to the socket, and when.
//
// Bytes in out_ are sent by one of:
//  - the caller itself, where waiting for the writer would cost a thread
//    hand-off: a publish that finds out_ empty and no write lately (a lone
//    message, a service's reply), Request() and Flush(), send_asap
//    publishes, the read-role holder after each read it parsed (what inline
//    handlers published), and a publisher that filled out_ past
//    kSelfFlushBytes;
//  - the writer thread, told by whoever makes out_ non-empty otherwise (one
//    notify per empty -> non-empty, after the lock is released so the writer
//    does not wake into a held mutex);
//  - whoever is writing at the moment: `writing_` makes writes take turns, and
//    the one in flight leaves what piled up meanwhile to the writer thread.
//
// Flood mode. A publisher streaming messages would otherwise keep the writer
// thread busy sending what it appends meanwhile, or worse, wake it for every
// few messages: each wake-up preempts the publisher (or the server) on a busy
// machine, the writer sends a handful of messages and sleeps, and the next
// publish wakes it again. Either way two client threads and the server share
// the cores, and the server, the real bottleneck, gets less CPU. So the
// writer steps aside when it sees a stream, i.e. when kFloodBytes piled up
// during one of its writes, or when publishes refill out_ less than
// kStreamGap after a send emptied it, kStreamRuns times in a row (replies of
// a request/reply service come a round trip apart, tens of microseconds at
// least; a stream's come within a few). Then publishers send for themselves
// at kSelfFlushBytes and tell the writer nothing, and the writer looks every
// kFloodTick: a tick with no caller's own send ends flood mode, and the
// writer sends what is left. The tail of a stream waits at most about two
// ticks; Flush() and Request() send at once.
#include "conn_impl.h"

namespace tern::internal {
namespace {

constexpr size_t kKeepWriteBuffer = 8 * 1024 * 1024;  // larger buffers are released after use
constexpr size_t kFloodBytes = 16 * 1024;
constexpr auto kStreamGap = std::chrono::microseconds(10);
constexpr int kStreamRuns = 3;  // short gaps in a row that make a stream (a burst of two or three is not one)
constexpr auto kFloodTick = std::chrono::milliseconds(1);

}  // namespace

void ConnImpl::AfterAppendLocked(std::unique_lock<std::mutex>& lock, bool was_empty, bool write_now) {
  if (write_now || options_.send_asap || (out_.size() >= kSelfFlushBytes && !writing_)) {
    WriteNowLocked(lock);
    return;
  }
  if (ReadingHere()) {
    rd_published_ = true;  // the reader sends them once it has parsed its chunk
    return;
  }
  // Otherwise a sender is already on its way: the writer was told, a write
  // is in flight (its writer hands on), or flood mode looks by itself.
  if (!was_empty || writing_ || flood_ || transport_ == nullptr) return;
  if (Clock::now() - last_send_end_ >= kStreamGap) {
    // A lone message: sent from here, it saves the writer's wake-up.
    short_gaps_ = 0;
    WriteNowLocked(lock);
    return;
  }
  // Refilled right after a send. Once it keeps happening it is a stream:
  // flood mode. The writer is still woken, to send this or to start looking.
  if (++short_gaps_ >= kStreamRuns) EnterFloodLocked();
  if (writer_waiting_) {
    writer_waiting_ = false;
    lock.unlock();
    writer_cv_.notify_one();
  }
}

void ConnImpl::WriteNowLocked(std::unique_lock<std::mutex>& lock) {
  if (writing_ || transport_ == nullptr || out_.empty()) return;
  writing_ = true;
  ++own_sends_;
  direct_buf_.swap(out_);
  std::shared_ptr<Transport> t = transport_;
  space_cv_.notify_all();
  lock.unlock();
  bool ok = t->WriteAll(direct_buf_.view());
  direct_buf_.Clear(kKeepWriteBuffer);
  lock.lock();
  writing_ = false;
  last_send_end_ = Clock::now();
  if (!ok && transport_ == t) t->Shutdown();
  // What piled up meanwhile needs the writer thread (in flood mode it looks
  // by itself); a stopping writer waits for this write to end.
  if (writer_stop_ || (!out_.empty() && writer_waiting_ && !flood_)) {
    writer_waiting_ = false;
    writer_cv_.notify_all();
  }
}

void ConnImpl::EnterFloodLocked() {
  flood_ = true;
  flood_seen_sends_ = own_sends_;
}

void ConnImpl::WriterLoop() {
  OutBuffer buf;
  Clock::time_point last_ping = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Whoever wakes us clears writer_waiting_, so it is set again before
    // every wait, including after a wake-up that found nothing to do.
    while (!writer_stop_ && (transport_ == nullptr || out_.empty() || writing_ || flood_)) {
      writer_waiting_ = true;
      const Clock::time_point ping_due = last_ping + options_.ping_interval;
      if (!flood_) {
        if (writer_cv_.wait_until(lock, ping_due) == std::cv_status::timeout) break;
        continue;
      }
      const Clock::time_point tick = Clock::now() + kFloodTick;
      writer_cv_.wait_until(lock, std::min(tick, ping_due));
      const Clock::time_point now = Clock::now();
      if (now >= ping_due) break;
      if (now < tick) continue;  // woken early (stop, reconnect): look again
      if (own_sends_ != flood_seen_sends_) {
        flood_seen_sends_ = own_sends_;  // callers still send for themselves
        continue;
      }
      flood_ = false;  // a quiet tick: the flood is over, the rest is ours
      short_gaps_ = 0;
    }
    writer_waiting_ = false;
    if (writer_stop_) {
      // Last flush, then shut the socket so the reader wakes up.
      while (writing_) writer_cv_.wait(lock);
      std::shared_ptr<Transport> t = transport_;
      if (t && !out_.empty()) {
        buf.swap(out_);
        lock.unlock();
        t->WriteAll(buf.view());
        lock.lock();
      }
      if (t) t->Shutdown();
      return;
    }
    const Clock::time_point now = Clock::now();
    if (transport_ == nullptr) {
      last_ping = now;
      continue;
    }
    if (now >= last_ping + options_.ping_interval) {
      last_ping = now;
      if (pings_out_ >= options_.max_pings_out) {
        transport_->Shutdown();  // stale: the reader sees the error and reconnects
        continue;
      }
      ++pings_out_;
      out_.append("PING\r\n");
      pongs_.push_back(nullptr);
    }
    if (out_.empty() || writing_) continue;
    writing_ = true;
    buf.swap(out_);
    std::shared_ptr<Transport> t = transport_;
    space_cv_.notify_all();
    lock.unlock();
    bool ok = t->WriteAll(buf.view());
    buf.Clear(kKeepWriteBuffer);
    lock.lock();
    writing_ = false;
    last_send_end_ = Clock::now();
    if (!ok && transport_ == t) t->Shutdown();
    if (out_.size() >= kFloodBytes) EnterFloodLocked();  // a publisher outruns us: let it send for itself
  }
}

}  // namespace tern::internal
