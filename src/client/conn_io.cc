// ConnImpl I/O: handshake, reconnects, and the ops the server sends (reading
// itself is in conn_read.cc, writing in conn_write.cc).
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>

#include "conn_impl.h"
#include "wire.h"
#include "ws_transport.h"

namespace tern::internal {
namespace {

// Sees the server's first words: INFO, then PONG (or -ERR) after our CONNECT+PING.
class HandshakeHandler : public proto::nats::ClientOpHandler {
 public:
  explicit HandshakeHandler(Transport* transport) : transport_(transport) {}
  void set_transport(Transport* transport) { transport_ = transport; }  // after a TLS upgrade
  void OnInfo(std::string_view json) override {
    info_json = std::string(json);
    got_info = true;
  }
  void OnMsg(const proto::nats::MsgOp&) override {}
  void OnPing() override { transport_->WriteAll("PONG\r\n"); }
  void OnPong() override { got_pong = true; }
  void OnErr(std::string_view text) override { error = std::string(text); }
  // Stop right after INFO too, so CONNECT goes out before anything else is read.
  bool ShouldContinue() override { return !got_pong && error.empty() && !(got_info && !connect_sent); }

  bool got_info = false;
  bool connect_sent = false;
  bool got_pong = false;
  std::string info_json;
  std::string error;

 private:
  Transport* transport_;
};

bool IsAuthError(std::string_view text) {
  for (std::string_view word : {"Authorization", "Authentication", "authorization", "authentication"}) {
    if (text.find(word) != std::string_view::npos) return true;
  }
  return false;
}

// nats-server's answer to a plaintext CONNECT when it takes TLS only.
bool IsTlsRequiredError(std::string_view text) { return text.find("TLS Required") != std::string_view::npos; }

}  // namespace

Status ConnImpl::ConnectTo(const ServerUrl& url, std::shared_ptr<Transport>* out, ServerInfo* info,
                           std::string* leftover) {
  const std::string where = url.ToString() + ": ";
  Result<std::unique_ptr<Transport>> dialed =
      DialTcp(url.host, url.port, options_.connect_timeout, options_.write_timeout);
  if (!dialed.ok()) return Status(dialed.code(), where + dialed.status().message());
  std::shared_ptr<Transport> t = std::move(dialed.value());
  if (!SetDialing(t)) return Status(Code::kClosed, "connection closed");
  struct ClearDialing {
    ConnImpl* self;
    ~ClearDialing() {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->dialing_.reset();
    }
  } clear_dialing{this};

  auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  bool tls = false;
  // WebSocket: TLS (wss://, or a secure connection) under the upgrade, and
  // INFO comes inside it; there is no TLS after INFO for it.
  const bool websocket = url.websocket();
  if (options_.tls.handshake_first || (websocket && secure_)) {
    if (Status s = UpgradeToTls(url, &t, deadline, where); !s.ok()) return s;
    tls = true;
  }
  if (websocket) {
    if (Status s = UpgradeToWebSocket(url, &t, deadline, where); !s.ok()) return s;
  }
  parser_.Reset();
  HandshakeHandler h(t.get());
  std::string buf(16 * 1024, '\0');
  while (!h.got_pong) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status(Code::kConnectFailed,
                    where + (h.got_info ? "handshake timed out"
                                        : "no INFO from the server in time (one that expects TLS first needs "
                                          "tls.handshake_first)"));
    }
    long n = t->Read(buf.data(), buf.size(), left);
    if (n <= 0) {
      if (!h.error.empty()) break;
      int saved = errno;
      std::string why = t->LastError();
      if (why.empty()) why = n == 0 ? "closed during handshake" : std::strerror(saved);
      return Status(Code::kConnectFailed, where + why);
    }
    size_t pos = 0;
    while (pos < static_cast<size_t>(n) && !h.got_pong && h.error.empty()) {
      proto::nats::FeedResult r = parser_.Feed(buf.data() + pos, static_cast<size_t>(n) - pos, h);
      if (r.error != proto::nats::ParseError::kNone) return Status(Code::kProtocolError, where + "bad handshake bytes");
      pos += r.consumed;
      if (h.got_info && !h.connect_sent) {
        if (!ParseInfo(h.info_json, info)) return Status(Code::kProtocolError, where + "bad INFO");
        // nats-server with TLS on: plaintext INFO, then the TLS handshake,
        // then CONNECT over TLS.
        if (!tls && !websocket && secure_ && !info->tls_required && !info->tls_available) {
          return Status(Code::kConnectFailed, where + "the server does not offer TLS, which this connection requires");
        }
        if (!tls && !websocket && (secure_ || info->tls_required)) {
          if (pos != static_cast<size_t>(n)) {
            return Status(Code::kProtocolError, where + "bytes after INFO where the TLS handshake should start");
          }
          if (Status s = UpgradeToTls(url, &t, deadline, where); !s.ok()) return s;
          tls = true;
          h.set_transport(t.get());
        }
        std::string hello;
        if (!AppendConnect(hello, options_, url, tls, info->nonce)) {
          return Status(Code::kInvalidArgument, where + "nkey_seed is not a user NKey seed");
        }
        hello.append("PING\r\n");
        if (!t->WriteAll(hello)) {
          // A server that refused us (a TLS alert about our certificate, an
          // -ERR) may have said why before it hung up: read its last words.
          std::string why = "write failed during handshake: " + TransportError(*t, errno);
          char last[4096];
          (void)t->Read(last, sizeof last, std::chrono::milliseconds(200));
          if (std::string tls_why = t->LastError(); !tls_why.empty()) why = tls_why;
          return Status(Code::kConnectFailed, where + why);
        }
        h.connect_sent = true;
      }
    }
    if (!h.error.empty()) break;
    if (h.got_pong) leftover->assign(buf.data() + pos, static_cast<size_t>(n) - pos);
  }
  if (!h.error.empty()) {
    if (IsTlsRequiredError(h.error)) {
      return Status(Code::kConnectFailed, where + "the server requires TLS and this client did not use it: " + h.error);
    }
    return Status(IsAuthError(h.error) ? Code::kAuthFailed : Code::kServerError, where + h.error);
  }
  *out = std::move(t);
  return Status::Ok();
}

Status ConnImpl::UpgradeToTls(const ServerUrl& url, std::shared_ptr<Transport>* t, Clock::time_point deadline,
                              const std::string& where) {
  if (tls_ctx_ == nullptr) {
    // A nats:// server that turned out to require TLS: default settings.
    Result<std::unique_ptr<TlsContext>> ctx = TlsContext::Create(options_.tls);
    if (!ctx.ok()) return Status(ctx.code(), where + ctx.status().message());
    tls_ctx_ = std::move(ctx.value());
  }
  Result<std::shared_ptr<Transport>> upgraded =
      tls_ctx_->Handshake(*t, url.tls_name.empty() ? url.host : url.tls_name, deadline);
  if (!upgraded.ok()) return Status(upgraded.code(), where + upgraded.status().message());
  *t = std::move(upgraded.value());
  return SetDialing(*t) ? Status::Ok() : Status(Code::kClosed, "connection closed");
}

Status ConnImpl::UpgradeToWebSocket(const ServerUrl& url, std::shared_ptr<Transport>* t, Clock::time_point deadline,
                                    const std::string& where) {
  Result<std::shared_ptr<Transport>> upgraded = StartWebSocket(*t, url, deadline);
  if (!upgraded.ok()) return Status(upgraded.code(), where + upgraded.status().message());
  *t = std::move(upgraded.value());
  return SetDialing(*t) ? Status::Ok() : Status(Code::kClosed, "connection closed");
}

bool ConnImpl::SetDialing(const std::shared_ptr<Transport>& t) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == ConnState::kClosed) return false;
  dialing_ = t;
  return true;
}

void ConnImpl::InstallLocked(std::shared_ptr<Transport> transport, const ServerUrl& url, const ServerInfo& info) {
  transport_ = std::move(transport);
  transport_info_ = TransportInfo{};
  transport_->Describe(&transport_info_);
  current_url_ = url;
  info_ = info;
  max_payload_ = info.max_payload;
  AddDiscoveredLocked(info);
  OutBuffer resubs;
  AppendResubsLocked(resubs);
  out_.Prepend(resubs.view());  // before anything published while disconnected
  pings_out_ = 0;
  if (state_ != ConnState::kDraining) state_ = ConnState::kConnected;
  flood_ = false;  // a new socket starts with a writer that answers at once
  short_gaps_ = 0;
  was_connected_ = true;
  writer_cv_.notify_all();
}

void ConnImpl::AddDiscoveredLocked(const ServerInfo& info) {
  for (const std::string& s : info.connect_urls) {
    Result<ServerUrl> url = ParseServerUrl(s);
    if (!url.ok()) continue;
    // Servers advertise host:port; it is reached the way this one was. One
    // advertised by IP carries the certificate of the name we were given.
    if (s.find("://") == std::string::npos) url->scheme = current_url_.scheme;
    if (IsIpAddress(url->host) && !IsIpAddress(current_url_.host)) {
      url->tls_name = current_url_.tls_name.empty() ? current_url_.host : current_url_.tls_name;
    }
    bool known = false;
    for (const ServerUrl& have : servers_) known = known || (have.host == url->host && have.port == url->port);
    if (!known) servers_.push_back(std::move(url.value()));
  }
}

void ConnImpl::IoLoop() {
  for (;;) {
    std::shared_ptr<Transport> t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (state_ == ConnState::kClosed) return;
      t = transport_;
    }
    Status why = t ? ReadLoop(t) : Status(Code::kConnectFailed, "not connected yet");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (state_ == ConnState::kClosed) return;
    }
    HandleDisconnect(why);
    if (!options_.reconnect.enabled) {
      Shutdown(why);
      return;
    }
    if (!ReconnectLoop()) {
      Shutdown(Status(Code::kConnectFailed,
                      "gave up reconnecting after " + std::to_string(options_.reconnect.max_attempts) + " passes"));
      return;
    }
  }
}

void ConnImpl::HandleDisconnect(const Status& why) {
  size_t lost = 0;
  bool report = false;
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (transport_) transport_->Shutdown();
    transport_.reset();
    state_ = ConnState::kReconnecting;
    // What was queued for the dead socket may hold SUBs and PINGs of that
    // session; the resubscribe on reconnect replaces them. Unsent publishes in
    // it are lost, and the event says how many bytes.
    lost = out_.size();
    out_.clear();
    FailPongsLocked(Status(Code::kDisconnected, "disconnected: " + why.message()));
    space_cv_.notify_all();
    report = was_connected_;
    url = current_url_.ToString();
  }
  parser_.Reset();
  leftover_.clear();
  if (!report) return;
  std::string text = why.message();
  if (lost > 0) text += " (" + std::to_string(lost) + " unsent bytes dropped)";
  PostEvent(Event{EventType::kDisconnected, Status(Code::kDisconnected, text), "", url});
}

bool ConnImpl::ReconnectLoop() {
  const ReconnectPolicy& rp = options_.reconnect;
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(1.0 - rp.jitter, 1.0 + rp.jitter);
  for (int pass = 0;; ++pass) {
    if (rp.max_attempts >= 0 && pass >= rp.max_attempts) return false;
    if (pass > 0) {
      double base = static_cast<double>(rp.initial_delay.count()) * std::pow(2.0, std::min(pass - 1, 30));
      base = std::min(base, static_cast<double>(rp.max_delay.count()));
      auto delay = std::chrono::milliseconds(static_cast<int64_t>(base * jitter(rng)));
      std::unique_lock<std::mutex> lock(mu_);
      if (close_cv_.wait_for(lock, delay, [this] { return state_ == ConnState::kClosed; })) return false;
    }
    std::vector<ServerUrl> pool;
    size_t start;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pool = servers_;
      start = current_index_ + 1;  // the server that just failed goes last
    }
    for (size_t i = 0; i < pool.size(); ++i) {
      size_t index = (start + i) % pool.size();
      std::shared_ptr<Transport> t;
      ServerInfo info;
      Status s = ConnectTo(pool[index], &t, &info, &leftover_);
      if (!s.ok()) continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (state_ == ConnState::kClosed) {
          t->Shutdown();
          return false;
        }
        current_index_ = index;
        InstallLocked(std::move(t), pool[index], info);
        ++reconnects_;
      }
      PostEvent(Event{EventType::kReconnected, Status::Ok(), "", pool[index].ToString()});
      return true;
    }
  }
}

void ConnImpl::OnInfo(std::string_view json) {
  ServerInfo info;
  if (!ParseInfo(json, &info)) return;
  bool ldm = info.lame_duck;
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    AddDiscoveredLocked(info);
    info_ = info;
    max_payload_ = info.max_payload;
    url = current_url_.ToString();
  }
  if (ldm)
    PostEvent(Event{EventType::kLameDuck, Status(Code::kServerError, "server entering lame duck mode"), "", url});
}

void ConnImpl::OnMsg(const proto::nats::MsgOp& op) {
  uint64_t sid = 0;
  std::from_chars(op.sid.data(), op.sid.data() + op.sid.size(), sid);
  std::shared_ptr<SubState> sub;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    auto it = subs_.find(sid);
    if (it == subs_.end()) return;  // unsubscribed meanwhile
    sub = it->second;
  }
  in_msgs_.fetch_add(1, std::memory_order_relaxed);
  in_bytes_.fetch_add(op.payload.size(), std::memory_order_relaxed);
  uint64_t max = sub->max_msgs.load(std::memory_order_relaxed);
  uint64_t n = sub->received.fetch_add(1, std::memory_order_relaxed) + 1;
  if (max != 0 && n > max) return;
  Message m(std::string(op.subject), std::string(op.reply), std::string(op.payload));
  if (!op.headers.empty()) Headers::Decode(op.headers, &m.headers, &m.status, &m.status_description);
  if (sub->is_mux) {
    mux_.Deliver(std::move(m));
    return;
  }
  dispatcher_->Push(sub, std::move(m));
  if (max != 0 && n == max) {
    {
      std::lock_guard<std::mutex> lock(subs_mu_);
      subs_.erase(sid);
    }
    std::lock_guard<std::mutex> lock(sub->mu);
    sub->done = true;
    sub->cv.notify_all();
  }
}

void ConnImpl::OnPing() {
  std::lock_guard<std::mutex> lock(mu_);
  if (transport_ == nullptr) return;
  out_.append("PONG\r\n");
  rd_published_ = true;  // sent by this reader once the chunk is parsed
}

void ConnImpl::OnPong() {
  std::shared_ptr<PongWaiter> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pings_out_ = 0;
    if (pongs_.empty()) return;
    w = std::move(pongs_.front());
    pongs_.pop_front();
  }
  if (w != nullptr) w->Complete([] {});
}

void ConnImpl::OnErr(std::string_view text) {
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    url = current_url_.ToString();
  }
  PostEvent(Event{EventType::kServerError, Status(Code::kServerError, std::string(text)), "", url});
}

}  // namespace tern::internal
