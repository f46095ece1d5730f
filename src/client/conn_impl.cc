// ConnImpl lifecycle: start, close, drain, events and accessors.
#include "conn_impl.h"

#include <algorithm>

#include "wire.h"

namespace tern::internal {

ConnImpl::ConnImpl(Options options)
    : options_(std::move(options)),
      pub_fast_limit_(options_.send_asap ? 0 : std::min(kSelfFlushBytes, options_.max_pending_out)),
      id_(options_.client_id.empty() ? NewNuid() : options_.client_id),
      mux_(options_.inbox_prefix),
      rd_buf_(new char[kReadBuffer]) {}

ConnImpl::~ConnImpl() { (void)Close(); }

Status ConnImpl::Start() {
  if (options_.servers.empty()) return Status(Code::kInvalidArgument, "no server URL given");
  for (const std::string& s : options_.servers) {
    Result<ServerUrl> url = ParseServerUrl(s);
    if (!url.ok()) return url.status();
    servers_.push_back(std::move(url.value()));
  }
  // As nats.go: one tls:// URL, or any TLS setting, makes every server of the
  // connection TLS, discovered ones included.
  const TlsOptions& tls = options_.tls;
  secure_ = tls.required || !tls.ca_file.empty() || !tls.cert_file.empty() || tls.handshake_first;
  for (const ServerUrl& url : servers_) secure_ = secure_ || url.scheme == "tls" || url.scheme == "wss";
  if (secure_ || !tls.key_file.empty()) {
    // Now, so that a CA or certificate file that cannot be read fails Connect().
    Result<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(tls);
    if (!ctx.ok()) return ctx.status();
    tls_ctx_ = std::move(ctx.value());
  }
  // The I/O thread owns connecting from here on, but the first connect is
  // done on the caller's thread so Connect() can report why it failed.
  Status last(Code::kConnectFailed, "no server reachable");
  for (size_t i = 0; i < servers_.size(); ++i) {
    std::shared_ptr<Transport> transport;
    ServerInfo info;
    last = ConnectTo(servers_[i], &transport, &info, &leftover_);
    if (last.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      current_index_ = i;
      InstallLocked(std::move(transport), servers_[i], info);
      break;
    }
    // Wrong credentials or protocol trouble will not get better elsewhere.
    if (last.code() == Code::kAuthFailed || last.code() == Code::kInvalidArgument) return last;
  }
  if (!last.ok() && !options_.retry_on_failed_connect) return last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!last.ok()) state_ = ConnState::kReconnecting;
  }
  dispatcher_ = std::make_unique<Dispatcher>(options_.dispatch, options_.pool_threads, [this](SubState& sub) {
    PostEvent(Event{EventType::kSlowConsumer,
                    Status(Code::kBufferFull, "pending queue full for subscription on " + sub.subject), sub.subject,
                    ""});
  });
  event_thread_ = std::thread([this] { EventLoop(); });
  writer_thread_ = std::thread([this] { WriterLoop(); });
  io_thread_ = std::thread([this] { IoLoop(); });
  return Status::Ok();
}

bool ConnImpl::OnInternalThread() const {
  if (ReadingHere()) return true;  // an inline handler, on whichever thread reads
  std::thread::id self = std::this_thread::get_id();
  if (self == io_thread_.get_id() || self == writer_thread_.get_id() || self == event_thread_.get_id()) return true;
  return dispatcher_ != nullptr && dispatcher_->IsWorkerThread();
}

void ConnImpl::NotifyWriterLocked() {
  // One wake-up per wait: publishes that follow before the writer runs would
  // otherwise each pay a futex syscall.
  if (writer_waiting_) {
    writer_waiting_ = false;
    writer_cv_.notify_one();
  }
}

void ConnImpl::FailPongsLocked(const Status& status) {
  for (auto& w : pongs_) {
    if (w != nullptr) w->Complete([&] { w->status = status; });
  }
  pongs_.clear();
}

void ConnImpl::Shutdown(const Status& why) {
  std::shared_ptr<Transport> dialing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == ConnState::kClosed) return;
    state_ = ConnState::kClosed;
    // The writer flushes what is buffered, then shuts the socket, which wakes
    // the reader; so a Close() right after a Publish() still sends it.
    writer_stop_ = true;
    writer_cv_.notify_all();
    space_cv_.notify_all();
    close_cv_.notify_all();
    FailPongsLocked(Status(Code::kClosed, "connection closed"));
    dialing = dialing_;
  }
  if (dialing) dialing->Shutdown();
  mux_.FailAll(Status(Code::kClosed, "connection closed"));
  std::vector<std::shared_ptr<SubState>> subs;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (auto& [sid, sub] : subs_) subs.push_back(sub);
    subs_.clear();
  }
  for (auto& sub : subs) {
    std::lock_guard<std::mutex> lock(sub->mu);
    sub->done = true;  // channels keep what is queued readable; handlers stop with the dispatcher
    sub->cv.notify_all();
  }
  PostEvent(Event{EventType::kClosed, why, "", ""});
}

Status ConnImpl::Close() {
  if (OnInternalThread()) return Status(Code::kInvalidArgument, "Close() called from a handler or event callback");
  Shutdown(Status(Code::kClosed, "closed by the application"));
  std::lock_guard<std::mutex> lock(join_mu_);
  if (writer_thread_.joinable()) writer_thread_.join();
  std::shared_ptr<Transport> transport;
  {
    std::lock_guard<std::mutex> mu_lock(mu_);
    transport = transport_;
  }
  if (transport) transport->Shutdown();
  if (io_thread_.joinable()) io_thread_.join();
  if (dispatcher_) dispatcher_->Stop();
  {
    std::lock_guard<std::mutex> ev_lock(ev_mu_);
    ev_stop_ = true;
  }
  ev_cv_.notify_all();
  if (event_thread_.joinable()) event_thread_.join();
  return Status::Ok();
}

Status ConnImpl::Drain(std::chrono::milliseconds timeout) {
  if (OnInternalThread()) return Status(Code::kInvalidArgument, "Drain() called from a handler or event callback");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::shared_ptr<SubState>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == ConnState::kClosed) return Status(Code::kClosed, "connection closed");
    if (state_ == ConnState::kDraining) return Status(Code::kInvalidArgument, "already draining");
    bool connected = state_ == ConnState::kConnected;
    state_ = ConnState::kDraining;
    std::lock_guard<std::mutex> subs_lock(subs_mu_);
    for (auto& [sid, sub] : subs_) {
      if (sub->is_mux) continue;  // requests in flight from handlers still need their replies
      subs.push_back(sub);
      if (connected) AppendUnsub(out_, sid, 0);
    }
    NotifyWriterLocked();
  }
  auto remaining = [&] {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  // The PONG comes after every MSG the server sent before it saw the UNSUBs.
  Status status = Flush(remaining());
  for (auto& sub : subs) {
    Status s = WaitIdle(*sub, deadline);
    if (status.ok()) status = s;
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (auto& sub : subs) subs_.erase(sub->sid);
  }
  // Publishes made by handlers while draining (replies, say) go out before the close.
  Status flushed = Flush(remaining());
  if (status.ok() && !flushed.ok() && flushed.code() != Code::kClosed) status = flushed;
  (void)Close();
  return status;
}

void ConnImpl::PostEvent(Event event) {
  if (!options_.on_event) return;
  {
    std::lock_guard<std::mutex> lock(ev_mu_);
    if (ev_stop_) return;
    events_.push_back(std::move(event));
  }
  ev_cv_.notify_one();
}

void ConnImpl::EventLoop() {
  std::unique_lock<std::mutex> lock(ev_mu_);
  for (;;) {
    ev_cv_.wait(lock, [this] { return ev_stop_ || !events_.empty(); });
    if (events_.empty()) return;  // stopping and nothing left to say
    Event e = std::move(events_.front());
    events_.pop_front();
    lock.unlock();
    options_.on_event(e);
    lock.lock();
  }
}

ConnState ConnImpl::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::string ConnImpl::NewInbox() const { return options_.inbox_prefix + "." + NewNuid(); }

ServerInfo ConnImpl::server_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  return info_;
}

std::string ConnImpl::connected_url() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != ConnState::kConnected && state_ != ConnState::kDraining) return "";
  return current_url_.ToString();
}

TransportInfo ConnImpl::transport_info() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != ConnState::kConnected && state_ != ConnState::kDraining) return {};
  return transport_info_;
}

ConnectionStats ConnImpl::stats() const {
  ConnectionStats s;
  s.in_msgs = in_msgs_.load(std::memory_order_relaxed);
  s.in_bytes = in_bytes_.load(std::memory_order_relaxed);
  s.dropped = dispatcher_ ? dispatcher_->dropped() : 0;
  std::lock_guard<std::mutex> lock(mu_);
  s.out_msgs = out_msgs_;
  s.out_bytes = out_bytes_;
  s.reconnects = reconnects_;
  return s;
}

}  // namespace tern::internal
