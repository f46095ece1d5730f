// Many idle connections: open config.conns nonblocking connections from one
// epoll loop, each sending CONNECT + one SUB on its own subject + PING, and
// count a connection ready at its PONG (so its subscription exists). After the
// report, the connections are held (answering server PINGs) until stdin closes
// or hold_s passes, so a driver can read the server's memory meanwhile.
//
// With --transport tls/ws/wss each connection first does its transport's
// handshake (plain INFO then TLS; the WebSocket upgrade; TLS then the
// upgrade), all non-blocking on the same loop, so the server holds 10,000
// idle TLS or WebSocket connections the way real clients leave them.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conn.h"
#include "report.h"
#include "scenarios.h"
#include "tls_client.h"
#include "transport.h"
#include "ws_client.h"

namespace tern::loadgen {
namespace {

// Connections between connect() and PONG at once; enough to keep the server
// busy, few enough not to overflow its accept backlog.
constexpr int kMaxInFlight = 256;
constexpr uint64_t kStdinTag = UINT64_MAX;

enum class State : uint8_t {
  kClosed,
  kConnecting,
  kAwaitInfo,  // tls: the plain INFO that precedes the handshake
  kTlsHandshake,
  kAwaitUpgrade,  // ws, wss: the HTTP 101
  kAwaitPong,
  kReady,
};

struct Slot {
  int fd = -1;
  State state = State::kClosed;
  std::string in;   // bytes received before the PONG (INFO, then PONG), or of the upgrade response
  std::string key;  // Sec-WebSocket-Key sent
  std::unique_ptr<TlsSession> tls;
  std::unique_ptr<WsUnframer> ws;  // once upgraded
  bool tls_up = false;
};

class IdleRun {
 public:
  explicit IdleRun(const Config& config)
      : config_(config), transport_(config.endpoint.transport), slots_(static_cast<size_t>(config.conns)) {}
  ~IdleRun() {
    for (Slot& s : slots_) {
      if (s.fd >= 0) ::close(s.fd);
    }
    if (epoll_ >= 0) ::close(epoll_);
  }

  // Opens every connection; false with error_ set on the first failure.
  bool OpenAll(Deadline deadline);
  // Holds until stdin closes or `until`; returns connections still open.
  int Hold(Deadline until);
  const std::string& error() const { return error_; }

 private:
  bool OpenNext();
  bool OnEvent(size_t index, uint32_t events);
  bool ReadInto(Slot& slot, bool* closed);
  // After the TCP connect: the first step of the transport's handshake.
  bool OnConnected(size_t index, Slot& slot);
  bool StepTls(size_t index, Slot& slot);
  bool OnTransportUp(size_t index, Slot& slot);
  bool OnUpgradeBytes(size_t index, Slot& slot);
  // NATS bytes from the server, unframed and decrypted.
  bool OnNats(size_t index, Slot& slot, std::string_view data);
  // Frames (ws), encrypts (tls) and sends; a short write is an error (a
  // fresh socket takes a few KiB without blocking).
  bool Transmit(size_t index, Slot& slot, std::string_view nats);
  bool SendWire(size_t index, Slot& slot, std::string_view bytes);
  // One non-blocking read of raw or TLS plaintext bytes: > 0 bytes, 0 EOF,
  // -1 nothing now, -2 failed (error_ set).
  long ReadChunk(size_t index, Slot& slot, char* buf, size_t len);

  const Config& config_;
  const Transport transport_;
  WsMasks masks_;
  std::vector<Slot> slots_;
  sockaddr_in addr_{};
  int epoll_ = -1;
  size_t opened_ = 0;
  int in_flight_ = 0;
  size_t ready_ = 0;
  std::string error_;
};

bool IdleRun::OpenAll(Deadline deadline) {
  addr_.sin_family = AF_INET;
  addr_.sin_port = htons(static_cast<uint16_t>(config_.endpoint.port));
  if (inet_pton(AF_INET, config_.endpoint.host.c_str(), &addr_.sin_addr) != 1) {
    error_ = "not an IPv4 address: " + config_.endpoint.host;
    return false;
  }
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    error_ = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  std::vector<epoll_event> events(1024);
  while (ready_ < slots_.size()) {
    while (opened_ < slots_.size() && in_flight_ < kMaxInFlight) {
      if (!OpenNext()) return false;
    }
    if (Clock::now() >= deadline) {
      error_ = fmt::format("timeout: {} of {} connections ready", ready_, slots_.size());
      return false;
    }
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    if (n < 0 && errno != EINTR) {
      error_ = std::string("epoll_wait: ") + std::strerror(errno);
      return false;
    }
    for (int i = 0; i < n; ++i) {
      if (!OnEvent(events[i].data.u64, events[i].events)) return false;
    }
  }
  return true;
}

bool IdleRun::OpenNext() {
  size_t index = opened_++;
  Slot& slot = slots_[index];
  slot.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (slot.fd < 0) {
    error_ = fmt::format("socket #{}: {}", index, std::strerror(errno));
    return false;
  }
  int rc = ::connect(slot.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_));
  if (rc != 0 && errno != EINPROGRESS) {
    error_ = fmt::format("connect #{}: {}", index, std::strerror(errno));
    return false;
  }
  slot.state = State::kConnecting;
  ++in_flight_;
  epoll_event ev{};
  ev.events = EPOLLOUT | EPOLLIN;
  ev.data.u64 = index;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, slot.fd, &ev) != 0) {
    error_ = fmt::format("epoll_ctl #{}: {}", index, std::strerror(errno));
    return false;
  }
  return true;
}

long IdleRun::ReadChunk(size_t index, Slot& slot, char* buf, size_t len) {
  if (slot.tls_up) {
    long n = slot.tls->Read(buf, len, /*wait=*/false);
    if (n == TlsSession::kFailed) {
      error_ = fmt::format("connection #{}: {}", index, slot.tls->error());
      return -2;
    }
    return n;
  }
  for (;;) {
    ssize_t n = ::recv(slot.fd, buf, len, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    error_ = fmt::format("recv #{}: {}", index, std::strerror(errno));
    return -2;
  }
}

// Drains the socket; answers PINGs once ready.
bool IdleRun::ReadInto(Slot& slot, bool* closed) {
  size_t index = static_cast<size_t>(&slot - slots_.data());
  char buf[16384];
  while (slot.fd >= 0) {
    if (slot.state == State::kTlsHandshake) {
      if (!StepTls(index, slot)) return false;
      if (slot.state == State::kTlsHandshake) return true;  // waiting for the server
      continue;
    }
    long n = ReadChunk(index, slot, buf, sizeof buf);
    if (n == -1) return true;
    if (n == -2) return false;
    if (n == 0) {
      *closed = true;
      return true;
    }
    std::string_view chunk(buf, static_cast<size_t>(n));
    switch (slot.state) {
      case State::kAwaitInfo:
        slot.in.append(chunk);
        if (slot.in.find("\r\n") != std::string::npos) {
          if (slot.in.find("\"tls_required\":true") == std::string::npos) {
            error_ = fmt::format("connection #{}: server does not offer TLS (no tls_required in INFO)", index);
            return false;
          }
          std::string().swap(slot.in);
          slot.tls = std::make_unique<TlsSession>(*config_.endpoint.tls, slot.fd, config_.endpoint.host, /*lean=*/true);
          slot.state = State::kTlsHandshake;
        }
        break;
      case State::kAwaitUpgrade:
        slot.in.append(chunk);
        if (!OnUpgradeBytes(index, slot)) return false;
        break;
      case State::kAwaitPong:
      case State::kReady:
        if (slot.ws != nullptr) {
          WsUnframer::Span span = slot.ws->Unframe(buf, 0, static_cast<size_t>(n));
          if (slot.ws->failed()) {
            error_ = fmt::format("connection #{}: {}", index, slot.ws->error());
            return false;
          }
          for (const std::string& ping : slot.ws->pings()) {
            std::string pong;
            WsAppendFrame(pong, kWsPong, ping, masks_.Next());
            if (slot.tls_up) {
              if (!slot.tls->Encrypt(pong)) return false;
              pong.swap(slot.tls->wire());
              slot.tls->wire().clear();
            }
            if (!SendWire(index, slot, pong)) return false;
          }
          slot.ws->pings().clear();
          chunk = std::string_view(buf + span.begin, span.end - span.begin);
          if (slot.ws->close_received()) *closed = true;
        }
        if (!OnNats(index, slot, chunk)) return false;
        if (*closed) return true;
        break;
      default:
        break;
    }
  }
  return true;
}

bool IdleRun::OnNats(size_t index, Slot& slot, std::string_view data) {
  if (slot.state == State::kReady) {
    // Idle clients answer the server's keep-alive PINGs, as real ones do.
    if (data.find("PING\r\n") != std::string_view::npos) return Transmit(index, slot, "PONG\r\n");
    return true;
  }
  slot.in.append(data);
  size_t err = slot.in.find("-ERR");
  if (err != std::string::npos) {
    size_t end = slot.in.find('\r', err);
    error_ = fmt::format("connection #{}: {}", index, slot.in.substr(err, end - err));
    return false;
  }
  if (slot.in.find("PONG\r\n") != std::string::npos) {
    slot.state = State::kReady;
    std::string().swap(slot.in);
    --in_flight_;
    ++ready_;
  }
  return true;
}

bool IdleRun::SendWire(size_t index, Slot& slot, std::string_view bytes) {
  ssize_t n = ::send(slot.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(bytes.size())) {
    error_ = fmt::format("send #{}: {}", index, n < 0 ? std::strerror(errno) : "short write");
    return false;
  }
  return true;
}

bool IdleRun::Transmit(size_t index, Slot& slot, std::string_view nats) {
  std::string framed;
  if (slot.ws != nullptr) {
    WsAppendFrame(framed, kWsBinary, nats, masks_.Next());
    nats = framed;
  }
  if (!slot.tls_up) return SendWire(index, slot, nats);
  if (!slot.tls->Encrypt(nats)) {
    error_ = fmt::format("connection #{}: {}", index, slot.tls->error());
    return false;
  }
  bool sent = SendWire(index, slot, slot.tls->wire());
  slot.tls->wire().clear();
  return sent;
}

bool IdleRun::OnConnected(size_t index, Slot& slot) {
  switch (transport_) {
    case Transport::kTcp:
      return OnTransportUp(index, slot);
    case Transport::kTls:
      slot.state = State::kAwaitInfo;
      return true;
    case Transport::kWs:
      return OnTransportUp(index, slot);
    case Transport::kWss:
      slot.tls = std::make_unique<TlsSession>(*config_.endpoint.tls, slot.fd, config_.endpoint.host, /*lean=*/true);
      slot.state = State::kTlsHandshake;
      return StepTls(index, slot);
  }
  return false;
}

bool IdleRun::StepTls(size_t index, Slot& slot) {
  TlsSession::Step step = slot.tls->Handshake();
  if (!slot.tls->wire().empty()) {
    bool sent = SendWire(index, slot, slot.tls->wire());
    slot.tls->wire().clear();
    if (!sent) return false;
  }
  if (step == TlsSession::Step::kError) {
    error_ = fmt::format("connection #{}: {}", index, slot.tls->error());
    return false;
  }
  if (step == TlsSession::Step::kWantRead) return true;
  slot.tls_up = true;
  return OnTransportUp(index, slot);
}

std::string HelloFor(size_t index) {
  std::string hello(kConnectLine);
  hello += fmt::format("SUB idle.{} 1\r\nPING\r\n", index);
  return hello;
}

// The byte stream below NATS is ready (TCP connected, TLS up): for ws and
// wss the upgrade comes next, otherwise CONNECT.
bool IdleRun::OnTransportUp(size_t index, Slot& slot) {
  if (UsesWebsocket(transport_)) {
    slot.key = WsNewKey();
    slot.state = State::kAwaitUpgrade;
    return Transmit(index, slot,
                    WsUpgradeRequest(config_.endpoint.host, config_.endpoint.port, config_.endpoint.ws_path, slot.key));
  }
  slot.state = State::kAwaitPong;
  return Transmit(index, slot, HelloFor(index));
}

bool IdleRun::OnUpgradeBytes(size_t index, Slot& slot) {
  std::string error;
  long head = WsCheckUpgrade(slot.in, slot.key, &error);
  if (head < 0) {
    error_ = fmt::format("connection #{}: {}", index, error);
    return false;
  }
  if (head == 0) return true;
  std::string rest = slot.in.substr(static_cast<size_t>(head));
  std::string().swap(slot.in);
  std::string().swap(slot.key);
  slot.ws = std::make_unique<WsUnframer>();
  slot.state = State::kAwaitPong;
  if (!Transmit(index, slot, HelloFor(index))) return false;
  if (rest.empty()) return true;
  // Frames that came with the response (the INFO).
  WsUnframer::Span span = slot.ws->Unframe(rest.data(), 0, rest.size());
  if (slot.ws->failed()) {
    error_ = fmt::format("connection #{}: {}", index, slot.ws->error());
    return false;
  }
  return OnNats(index, slot, std::string_view(rest.data() + span.begin, span.end - span.begin));
}

bool IdleRun::OnEvent(size_t index, uint32_t events) {
  Slot& slot = slots_[index];
  if (slot.state == State::kConnecting) {
    if ((events & EPOLLOUT) == 0 && (events & (EPOLLERR | EPOLLHUP)) == 0) return true;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      error_ = fmt::format("connect #{}: {}", index, std::strerror(err));
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, slot.fd, &ev);
    if (!OnConnected(index, slot)) return false;
    // The server may already have answered; fall through to read.
  }
  bool closed = false;
  if (!ReadInto(slot, &closed)) return false;
  if (closed) {
    error_ = fmt::format("server closed connection #{}", index);
    return false;
  }
  return true;
}

int IdleRun::Hold(Deadline until) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStdinTag;
  // Fails for a regular file or /dev/null on stdin: then hold for the full time.
  (void)epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &ev);
  std::vector<epoll_event> events(1024);
  int open = static_cast<int>(ready_);
  while (Clock::now() < until) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kStdinTag) {
        char buf[256];
        (void)!::read(STDIN_FILENO, buf, sizeof(buf));  // a line or EOF: either ends the hold
        return open;
      }
      Slot& slot = slots_[events[i].data.u64];
      bool closed = false;
      if (slot.fd >= 0 && (!ReadInto(slot, &closed) || closed)) {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, slot.fd, nullptr);
        ::close(slot.fd);
        slot.fd = -1;
        --open;
      }
    }
  }
  return open;
}

void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int RunIdle(const Config& config) {
  Report report("idle");
  report.Str("label", config.label);
  report.Str("transport", TransportName(config.endpoint.transport));
  report.Int("conns", config.conns);
  RaiseFileLimit();
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (config.conns < 1 || static_cast<rlim_t>(config.conns) + 32 > limit.rlim_cur) {
    report.Fail(fmt::format("cannot open {} connections with a file limit of {}", config.conns,
                            static_cast<uint64_t>(limit.rlim_cur)));
    report.Print("");
    return kExitFailed;
  }
  Deadline deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeout_s));
  IdleRun run(config);
  int64_t t0 = NowNs();
  double cpu0 = ProcessCpuSeconds();
  bool ok = run.OpenAll(deadline);
  double secs = static_cast<double>(NowNs() - t0) * 1e-9;
  double cpu_s = ProcessCpuSeconds() - cpu0;
  report.Num("seconds", secs);
  report.Num("conns_per_sec", secs > 0 ? config.conns / secs : 0);
  report.Num("loadgen_cpu_pct", secs > 0 ? 100 * cpu_s / secs : 0);
  if (!ok) report.Fail(run.error());
  report.Print(fmt::format("idle: {} connections with one SUB each ready in {:.3f} s ({:.0f} conns/s)", config.conns,
                           secs, secs > 0 ? config.conns / secs : 0));
  if (!ok) return run.error().rfind("timeout", 0) == 0 ? kExitTimeout : kExitFailed;
  if (config.hold_s > 0) {
    auto until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.hold_s));
    int open = run.Hold(until);
    std::printf("# hold ended: %d of %d connections still open\n", open, config.conns);
    std::fflush(stdout);
    if (open != config.conns) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace tern::loadgen
