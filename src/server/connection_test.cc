// The connection/session seam proven with a toy protocol, the way dragonfly's
// ok_main.cc proves its facade: a line-echo session on real worker loops,
// over socketpairs, plain and through TLS. Nothing here knows NATS.
#include "server/connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "io/socket.h"
#include "proto/ws/client_handshake.h"
#include "proto/ws/frame_encoder.h"
#include "server/ws_stage.h"
#include "server/server.h"
#include "server/worker.h"
#include "test_certs.h"

namespace tern::server {
namespace {

using std::chrono::milliseconds;

// What the toy sessions saw, for the test thread to read.
struct ToyLog {
  std::mutex mu;
  std::vector<CloseReason> closed;
  std::vector<std::string> subjects;  // peer certificate subjects seen at open
  int refused_writes = 0;
  std::vector<Connection*> open;
  // When set, sessions bound their output to this instead of max_pending.
  std::atomic<uint64_t> max_pending{0};
  OverflowPolicy overflow = OverflowPolicy::kSlowConsumer;
};

// Lines in, lines out: "HELLO" on open; "QUIT" -> "BYE" then close;
// "WAKE <ms>" -> "TICK" after ms; "BIG <n>" -> n bytes in 1 KiB writes;
// "KILL" closes every other toy connection of this worker; else the line
// upper-cased.
class EchoSession final : public Session {
 public:
  EchoSession(Connection& conn, ToyLog& log) : conn_(conn), log_(log) {}

  void OnOpen() override {
    if (log_.max_pending.load() != 0) conn_.SetPendingBound(&log_.max_pending, log_.overflow);
    {
      std::lock_guard lock(log_.mu);
      log_.subjects.push_back(conn_.peer_certificate_subject());
      log_.open.push_back(&conn_);
    }
    conn_.Send("HELLO\n");
  }
  void OnInput(char* data, size_t size) override {
    pending_.append(data, size);
    size_t nl;
    while (!conn_.closed() && (nl = pending_.find('\n')) != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      Handle(line);
    }
  }
  void OnTimer(io::Clock::time_point) override { conn_.Send("TICK\n"); }
  void OnClose(CloseReason reason) override {
    std::lock_guard lock(log_.mu);
    log_.closed.push_back(reason);
    std::erase(log_.open, &conn_);
  }

 private:
  void Handle(const std::string& line) {
    if (line == "QUIT") {
      conn_.Send("BYE\n");
      conn_.CloseAfterFlush(CloseReason::kClientClosed);
    } else if (line.starts_with("WAKE ")) {
      conn_.WakeAt(io::Clock::now() + milliseconds(std::stoi(line.substr(5))));
    } else if (line.starts_with("BIG ")) {
      size_t left = std::stoul(line.substr(4));
      std::string chunk(1024, 'x');
      while (left > 0) {
        size_t n = std::min(left, chunk.size());
        if (!conn_.Send(std::string_view(chunk).substr(0, n))) {
          std::lock_guard lock(log_.mu);
          ++log_.refused_writes;
        }
        left -= n;
      }
      conn_.Send("\n");
    } else if (line == "KILL") {
      std::vector<Connection*> others;
      {
        std::lock_guard lock(log_.mu);
        for (Connection* c : log_.open) {
          if (c != &conn_ && &c->owner() == &conn_.owner()) others.push_back(c);
        }
      }
      for (Connection* c : others) c->Close(CloseReason::kServerShutdown);
      conn_.Send("KILLED\n");
    } else {
      std::string up = line;
      for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      conn_.Send(up + "\n");
    }
  }

  Connection& conn_;
  ToyLog& log_;
  std::string pending_;
};

// The dialling end of an outbound connection: says "hi" once open and
// records every line it gets.
class DialerSession final : public Session {
 public:
  DialerSession(Connection& conn, ToyLog& log, std::vector<std::string>& lines)
      : conn_(conn), log_(log), lines_(lines) {}
  void OnOpen() override { conn_.Send("hi\n"); }
  void OnInput(char* data, size_t size) override {
    pending_.append(data, size);
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      std::lock_guard lock(log_.mu);
      lines_.push_back(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
  }
  void OnClose(CloseReason reason) override {
    std::lock_guard lock(log_.mu);
    log_.closed.push_back(reason);
  }

 private:
  Connection& conn_;
  ToyLog& log_;
  std::vector<std::string>& lines_;
  std::string pending_;
};

// The peer: a blocking socket with a read deadline, optionally TLS.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Peer() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
  }
  // Returns an empty string on success, else why it failed.
  std::string StartTls(const std::string& ca, const std::string& cert = "", const std::string& key = "") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (!cert.empty()) {
      SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM);
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      return buf;
    }
    return {};
  }
  void Write(std::string_view data) {
    if (ssl_ != nullptr) {
      SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    } else {
      ASSERT_EQ(write(fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    }
  }
  // The next line, or nullopt on EOF/timeout.
  std::optional<std::string> Line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char chunk[65536];
      int n = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk)
                              : static_cast<int>(read(fd_, chunk, sizeof chunk));
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }
  // Exactly n bytes, or nullopt on EOF/timeout.
  std::optional<std::string> Bytes(size_t n) {
    while (buf_.size() < n) {
      char chunk[65536];
      int got = ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk)
                                : static_cast<int>(read(fd_, chunk, sizeof chunk));
      if (got <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(got));
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  // True when the other side closes within the read deadline.
  bool SeesEof() {
    char c;
    for (;;) {
      int n = ssl_ != nullptr ? SSL_read(ssl_, &c, 1) : static_cast<int>(read(fd_, &c, 1));
      if (n == 0) return true;
      if (n < 0) return ssl_ != nullptr || errno != EAGAIN;
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.addr = "127.0.0.1";
    options.port = -1;
    options.workers = 2;
    options.websocket.port = 0;  // tests run side by side: not on 8080
    log::SetLevel(std::getenv("TERN_TEST_LOG") ? log::Level::kTrace : log::Level::kOff);
    server_ = std::make_unique<Server>(options);
    base::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.message();
    endpoint_.name = "toy";
    endpoint_.new_session = [this](Connection& conn) { return std::make_unique<EchoSession>(conn, log_); };
  }
  void TearDown() override { server_->Shutdown(); }

  // A connected peer whose other end worker `worker` owns.
  std::unique_ptr<Peer> Attach(int worker = 0) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_->workers()[worker]->Adopt(fds[0], endpoint_);
    return std::make_unique<Peer>(fds[1]);
  }
  void UseTls(TlsMode mode, bool verify = false) {
    std::string error;
    certs_ = testing::GetTestCerts(&error);
    ASSERT_NE(certs_, nullptr) << error;
    io::TlsConfig config{certs_->server_cert, certs_->server_key, certs_->ca_cert, verify, "1.2"};
    auto context = io::TlsContext::Create(config, io::TlsContext::Role::kServer);
    ASSERT_TRUE(context.ok()) << context.message();
    endpoint_.tls = std::move(context).value();
    endpoint_.tls_mode = mode;
    // Generous: a loaded CI machine must not turn a slow handshake into a
    // failure. The timeout test sets its own.
    endpoint_.tls_timeout = milliseconds(5000);
  }
  // Waits (bounded) until `n` connections have closed.
  std::vector<CloseReason> Closed(size_t n) {
    for (int i = 0; i < 1000; ++i) {
      {
        std::lock_guard lock(log_.mu);
        if (log_.closed.size() >= n) return log_.closed;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    std::lock_guard lock(log_.mu);
    return log_.closed;
  }

  std::unique_ptr<Server> server_;
  Endpoint endpoint_;
  // Endpoints of dialled connections: connections refer to their endpoint
  // until they close, which for these is TearDown's shutdown.
  std::deque<Endpoint> dialers_;
  ToyLog log_;
  const testing::TestCerts* certs_ = nullptr;
};

TEST_F(ConnectionTest, PlainSessionGreetsAndEchoes) {
  auto peer = Attach();
  EXPECT_EQ(peer->Line(), "HELLO");
  peer->Write("abc\n");
  EXPECT_EQ(peer->Line(), "ABC");
  // Input split at every byte gives the same answer.
  for (char c : std::string("split input\n")) peer->Write(std::string(1, c));
  EXPECT_EQ(peer->Line(), "SPLIT INPUT");
}

TEST_F(ConnectionTest, SessionTimerFiresWhenAskedAndNotBefore) {
  auto peer = Attach();
  ASSERT_EQ(peer->Line(), "HELLO");
  auto start = io::Clock::now();
  peer->Write("WAKE 80\nnow\n");
  EXPECT_EQ(peer->Line(), "NOW");
  EXPECT_EQ(peer->Line(), "TICK");
  EXPECT_GE(io::Clock::now() - start, milliseconds(80));
}

TEST_F(ConnectionTest, CloseAfterFlushSendsLastWordsThenCloses) {
  auto peer = Attach();
  ASSERT_EQ(peer->Line(), "HELLO");
  peer->Write("QUIT\n");
  EXPECT_EQ(peer->Line(), "BYE");
  EXPECT_TRUE(peer->SeesEof());
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kClientClosed});
}

TEST_F(ConnectionTest, PeerHangupCloses) {
  auto peer = Attach(1);
  ASSERT_EQ(peer->Line(), "HELLO");
  shutdown(peer->fd(), SHUT_RDWR);
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kClientClosed});
}

TEST_F(ConnectionTest, OutputPastThePendingBoundClosesASlowConsumer) {
  // A reader that never reads is closed once output would pass the bound,
  // not buffered forever.
  log_.max_pending = 1 << 20;
  auto peer = Attach();
  ASSERT_EQ(peer->Line(), "HELLO");
  peer->Write("BIG 4000000\n");
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kSlowConsumerPendingBytes});
  std::lock_guard lock(log_.mu);
  EXPECT_GT(log_.refused_writes, 0);
}

TEST_F(ConnectionTest, DropPolicyRefusesPastTheBoundButKeepsTheConnection) {
  log_.max_pending = 1 << 20;
  log_.overflow = OverflowPolicy::kDrop;
  auto peer = Attach();
  ASSERT_EQ(peer->Line(), "HELLO");
  peer->Write("BIG 4000000\n");
  // What fitted within one turn arrives: exactly the bound. The rest (the
  // final newline too) was dropped and counted, and the connection lives on.
  auto fitted = peer->Bytes(1 << 20);
  ASSERT_TRUE(fitted.has_value());
  EXPECT_EQ(*fitted, std::string(1 << 20, 'x'));
  peer->Write("still\n");
  EXPECT_EQ(peer->Line(), "STILL");
  std::lock_guard lock(log_.mu);
  EXPECT_GT(log_.refused_writes, 0);
  EXPECT_TRUE(log_.closed.empty());
}

TEST_F(ConnectionTest, HandlerMayCloseAnotherConnectionOfItsWorker) {
  // Connections are retired at the end of the loop turn, so events already
  // gathered for a victim find it inert (ASan would see a use after free).
  std::vector<std::unique_ptr<Peer>> victims;
  for (int i = 0; i < 8; ++i) {
    victims.push_back(Attach(0));
    ASSERT_EQ(victims.back()->Line(), "HELLO");
  }
  auto killer = Attach(0);
  ASSERT_EQ(killer->Line(), "HELLO");
  for (auto& v : victims) v->Write("still here\n");
  killer->Write("KILL\n");
  EXPECT_EQ(killer->Line(), "KILLED");
  EXPECT_EQ(Closed(8).size(), 8u);
  for (auto& v : victims) EXPECT_TRUE(v->SeesEof());
  killer->Write("alive\n");
  EXPECT_EQ(killer->Line(), "ALIVE");
}

TEST_F(ConnectionTest, TlsFirstSessionOpensAfterTheHandshake) {
  UseTls(TlsMode::kImplicit);
  auto peer = Attach();
  ASSERT_EQ(peer->StartTls(certs_->ca_cert), "");
  EXPECT_EQ(peer->Line(), "HELLO");
  peer->Write("over tls\n");
  EXPECT_EQ(peer->Line(), "OVER TLS");
  // A big answer crosses many TLS records and flushes.
  peer->Write("BIG 300000\n");
  auto big = peer->Line();
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->size(), 300000u);
}

TEST_F(ConnectionTest, TlsAfterGreetingGreetsInPlainTextThenUpgrades) {
  UseTls(TlsMode::kAfterGreeting);
  auto peer = Attach();
  EXPECT_EQ(peer->Line(), "HELLO");  // plain
  ASSERT_EQ(peer->StartTls(certs_->ca_cert), "");
  peer->Write("secret\n");
  EXPECT_EQ(peer->Line(), "SECRET");
}

TEST_F(ConnectionTest, TlsAutoTellsTlsFirstFromPlainGreeting) {
  UseTls(TlsMode::kAuto);
  endpoint_.tls_fallback = milliseconds(100);
  auto first = Attach();
  ASSERT_EQ(first->StartTls(certs_->ca_cert), "");  // speaks first: TLS-first
  EXPECT_EQ(first->Line(), "HELLO");
  auto waits = Attach();
  EXPECT_EQ(waits->Line(), "HELLO");  // silent: greeted in plain after the fallback
  ASSERT_EQ(waits->StartTls(certs_->ca_cert), "");
  waits->Write("ok\n");
  EXPECT_EQ(waits->Line(), "OK");
}

TEST_F(ConnectionTest, TlsHandshakeTimeoutCloses) {
  UseTls(TlsMode::kImplicit);
  endpoint_.tls_timeout = milliseconds(300);
  auto peer = Attach();
  auto start = io::Clock::now();
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kTlsHandshakeError});
  EXPECT_GE(io::Clock::now() - start, milliseconds(250));
  EXPECT_TRUE(peer->SeesEof());
}

TEST_F(ConnectionTest, PlaintextToTlsCostsOnlyThatConnection) {
  UseTls(TlsMode::kImplicit);
  auto good = Attach();
  auto bad = Attach();
  bad->Write("CONNECT {}\r\nPING\r\n");
  EXPECT_TRUE(bad->SeesEof());
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kTlsHandshakeError});
  ASSERT_EQ(good->StartTls(certs_->ca_cert), "");
  EXPECT_EQ(good->Line(), "HELLO");
}

TEST_F(ConnectionTest, ClientCertificateRequiredWhenVerifying) {
  UseTls(TlsMode::kImplicit, /*verify=*/true);
  auto without = Attach();
  // TLS 1.3 reports the missing certificate after the client's handshake
  // returns: the connection is refused either way.
  std::string error = without->StartTls(certs_->ca_cert);
  if (error.empty()) {
    EXPECT_FALSE(without->Line().has_value());
  }
  auto with = Attach();
  ASSERT_EQ(with->StartTls(certs_->ca_cert, certs_->client_cert, certs_->client_key), "");
  EXPECT_EQ(with->Line(), "HELLO");
  std::lock_guard lock(log_.mu);
  ASSERT_FALSE(log_.subjects.empty());
  EXPECT_NE(log_.subjects.back().find("CN=alice"), std::string::npos) << log_.subjects.back();
}

TEST_F(ConnectionTest, UntrustedServerCertificateIsRefusedByTheClient) {
  std::string error;
  certs_ = testing::GetTestCerts(&error);
  ASSERT_NE(certs_, nullptr) << error;
  io::TlsConfig config{certs_->other_server_cert, certs_->other_server_key, "", false, "1.2"};
  auto context = io::TlsContext::Create(config, io::TlsContext::Role::kServer);
  ASSERT_TRUE(context.ok());
  endpoint_.tls = std::move(context).value();
  endpoint_.tls_mode = TlsMode::kImplicit;
  auto peer = Attach();
  EXPECT_NE(peer->StartTls(certs_->ca_cert), "");
}

TEST_F(ConnectionTest, OutboundConnectionStartsItsSessionOnceConnected) {
  auto listener = io::Listen("127.0.0.1", 0, 4);
  ASSERT_TRUE(listener.ok()) << listener.message();
  std::vector<std::string> lines;
  Endpoint& dialer = dialers_.emplace_back();
  dialer.name = "dialer";
  dialer.new_session = [&](Connection& conn) { return std::make_unique<DialerSession>(conn, log_, lines); };
  ASSERT_TRUE(server_->workers()[1]->Dial("127.0.0.1", io::LocalPort(*listener), dialer, milliseconds(2000)).ok());
  pollfd p{*listener, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  int fd = accept4(*listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(fd, 0);
  Peer peer(fd);
  EXPECT_EQ(peer.Line(), "hi");
  peer.Write("welcome\n");
  for (int i = 0; i < 200 && [&] { std::lock_guard l(log_.mu); return lines.empty(); }(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  {
    std::lock_guard lock(log_.mu);
    EXPECT_EQ(lines, std::vector<std::string>{"welcome"});
  }
  close(*listener);
}

TEST_F(ConnectionTest, OutboundConnectFailureReachesTheSession) {
  auto listener = io::Listen("127.0.0.1", 0, 4);
  ASSERT_TRUE(listener.ok());
  int port = io::LocalPort(*listener);
  close(*listener);
  std::vector<std::string> lines;
  Endpoint& dialer = dialers_.emplace_back();
  dialer.new_session = [&](Connection& conn) { return std::make_unique<DialerSession>(conn, log_, lines); };
  base::Status dialled = server_->workers()[0]->Dial("127.0.0.1", port, dialer, milliseconds(2000));
  if (dialled.ok()) {
    EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kConnectFailed});
  }
}

TEST_F(ConnectionTest, OutboundTlsVerifiesTheServerByName) {
  // Both ends are tern connections: a client-role TLS dialler and a
  // server-role TLS echo endpoint, on different workers.
  UseTls(TlsMode::kImplicit);
  auto listener = io::Listen("127.0.0.1", 0, 4);
  ASSERT_TRUE(listener.ok());
  io::TlsConfig client_config;
  client_config.ca_file = certs_->ca_cert;
  client_config.verify_peer = true;
  auto client_tls = io::TlsContext::Create(client_config, io::TlsContext::Role::kClient);
  ASSERT_TRUE(client_tls.ok()) << client_tls.message();
  std::vector<std::string> lines;
  Endpoint& dialer = dialers_.emplace_back();
  dialer.tls = std::move(client_tls).value();
  dialer.tls_mode = TlsMode::kImplicit;
  dialer.new_session = [&](Connection& conn) { return std::make_unique<DialerSession>(conn, log_, lines); };
  ASSERT_TRUE(server_->workers()[1]->Dial("localhost", io::LocalPort(*listener), dialer, milliseconds(2000)).ok());
  pollfd p{*listener, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  int fd = accept4(*listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  ASSERT_GE(fd, 0);
  server_->workers()[0]->Adopt(fd, endpoint_);
  for (int i = 0; i < 200 && [&] { std::lock_guard l(log_.mu); return lines.size() < 2; }(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  {
    std::lock_guard lock(log_.mu);
    EXPECT_EQ(lines, (std::vector<std::string>{"HELLO", "HI"}));
  }
  close(*listener);
}

// A client-role WebSocket peer on top of Peer, with the project's codec:
// the codec has its own tests; here it only drives the seam.
class WsPeer {
 public:
  explicit WsPeer(Peer& peer) : peer_(peer) {}
  std::string Upgrade() {
    auto hs = proto::ws::ClientHandshake::Create({.host = "localhost", .path = "/"}, {});
    if (!hs.ok()) return hs.message();
    peer_.Write(hs->request());
    for (;;) {
      auto line = peer_.Line();
      if (!line) return "no handshake response";
      std::string with_nl = *line + "\n";
      proto::ws::HandshakeResult r = hs->Feed(with_nl);
      if (r.status == proto::ws::HandshakeStatus::kDone) return {};
      if (r.status == proto::ws::HandshakeStatus::kError) return std::string(hs->error());
    }
  }
  void Send(std::string_view data) {
    std::string frame;
    proto::ws::AppendFrame(frame, proto::ws::Opcode::kBinary, data, true, proto::ws::MaskKey{1, 2, 3, 4});
    peer_.Write(frame);
  }
  void SendRaw(std::string_view bytes) { peer_.Write(bytes); }
  // The payload of the next frame (a server frame is never masked).
  std::optional<std::string> Frame(int* opcode = nullptr) {
    auto head = peer_.Bytes(2);
    if (!head) return std::nullopt;
    if (opcode) *opcode = (*head)[0] & 0x0f;
    uint64_t len = static_cast<uint8_t>((*head)[1]) & 0x7f;
    if (len == 126) {
      auto ext = peer_.Bytes(2);
      len = (static_cast<uint8_t>((*ext)[0]) << 8) | static_cast<uint8_t>((*ext)[1]);
    } else if (len == 127) {
      auto ext = peer_.Bytes(8);
      len = 0;
      for (char c : *ext) len = (len << 8) | static_cast<uint8_t>(c);
    }
    return peer_.Bytes(len);
  }

 private:
  Peer& peer_;
};

TEST_F(ConnectionTest, WebsocketSessionStreamsOverFrames) {
  endpoint_.websocket = WebsocketOptions{};
  endpoint_.websocket_policy = MakeWebsocketPolicy(*endpoint_.websocket, false);
  auto peer = Attach();
  WsPeer ws(*peer);
  ASSERT_EQ(ws.Upgrade(), "");
  EXPECT_EQ(ws.Frame(), "HELLO\n");
  // One line cut over three frames, and two lines in one frame.
  ws.Send("ab");
  ws.Send("c\nde");
  ws.Send("f\ngh\n");
  std::string got;
  while (got.size() < 11) {
    auto frame = ws.Frame();
    ASSERT_TRUE(frame.has_value()) << got;
    got += *frame;
  }
  EXPECT_EQ(got, "ABC\nDEF\nGH\n");
}

TEST_F(ConnectionTest, WebsocketPingIsAnsweredAndCloseIsEchoed) {
  endpoint_.websocket = WebsocketOptions{};
  endpoint_.websocket_policy = MakeWebsocketPolicy(*endpoint_.websocket, false);
  auto peer = Attach();
  WsPeer ws(*peer);
  ASSERT_EQ(ws.Upgrade(), "");
  ASSERT_EQ(ws.Frame(), "HELLO\n");
  std::string ping;
  proto::ws::AppendPing(ping, "p1", proto::ws::MaskKey{9, 9, 9, 9});
  ws.SendRaw(ping);
  int opcode = 0;
  EXPECT_EQ(ws.Frame(&opcode), "p1");
  EXPECT_EQ(opcode, 0xA);
  std::string close;
  proto::ws::AppendClose(close, 1000, "bye", proto::ws::MaskKey{7, 7, 7, 7});
  ws.SendRaw(close);
  auto echoed = ws.Frame(&opcode);
  EXPECT_EQ(opcode, 0x8);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->substr(0, 2), std::string("\x03\xe8", 2));
  EXPECT_TRUE(peer->SeesEof());
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kClientClosed});
}

TEST_F(ConnectionTest, WebsocketUnmaskedFrameIsAProtocolError) {
  endpoint_.websocket = WebsocketOptions{};
  endpoint_.websocket_policy = MakeWebsocketPolicy(*endpoint_.websocket, false);
  auto peer = Attach();
  WsPeer ws(*peer);
  ASSERT_EQ(ws.Upgrade(), "");
  ASSERT_EQ(ws.Frame(), "HELLO\n");
  std::string unmasked;
  proto::ws::AppendFrame(unmasked, proto::ws::Opcode::kBinary, "x\n");
  ws.SendRaw(unmasked);
  int opcode = 0;
  auto close = ws.Frame(&opcode);
  EXPECT_EQ(opcode, 0x8);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->substr(0, 2), std::string("\x03\xea", 2));  // 1002
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kProtocolError});
}

TEST_F(ConnectionTest, WebsocketOverTls) {
  UseTls(TlsMode::kImplicit);
  endpoint_.websocket = WebsocketOptions{};
  endpoint_.websocket_policy = MakeWebsocketPolicy(*endpoint_.websocket, true);
  auto peer = Attach();
  ASSERT_EQ(peer->StartTls(certs_->ca_cert), "");
  WsPeer ws(*peer);
  ASSERT_EQ(ws.Upgrade(), "");
  EXPECT_EQ(ws.Frame(), "HELLO\n");
  ws.Send("wss\n");
  EXPECT_EQ(ws.Frame(), "WSS\n");
}

TEST_F(ConnectionTest, WebsocketRefusedUpgradeGetsAnHttpError) {
  endpoint_.websocket = WebsocketOptions{};
  endpoint_.websocket_policy = MakeWebsocketPolicy(*endpoint_.websocket, false);
  auto peer = Attach();
  peer->Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto status = peer->Line();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->substr(0, 12), "HTTP/1.1 400");
  EXPECT_TRUE(peer->SeesEof());
  EXPECT_EQ(Closed(1), std::vector<CloseReason>{CloseReason::kWebsocketHandshakeError});
}

TEST(TlsContextTest, BadFilesAreNamed) {
  io::TlsConfig config{"/nonexistent/cert.pem", "/nonexistent/key.pem", "", false, "1.2"};
  auto context = io::TlsContext::Create(config, io::TlsContext::Role::kServer);
  ASSERT_FALSE(context.ok());
  EXPECT_NE(context.message().find("/nonexistent/cert.pem"), std::string::npos) << context.message();
  std::string error;
  const testing::TestCerts* certs = testing::GetTestCerts(&error);
  ASSERT_NE(certs, nullptr) << error;
  io::TlsConfig mismatched{certs->server_cert, certs->client_key, "", false, "1.2"};
  auto bad_key = io::TlsContext::Create(mismatched, io::TlsContext::Role::kServer);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.message().find(certs->client_key), std::string::npos) << bad_key.message();
}

}  // namespace
}  // namespace tern::server
