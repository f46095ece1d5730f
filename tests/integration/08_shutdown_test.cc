// SIGTERM: output already queued for clients is flushed, connections are
// closed, and the process exits (tern: code 0; nats-server: 1) within a bound
// even when a client stopped reading.
#include <signal.h>

#include <string>
#include <vector>

#include "server_test.h"

namespace tern::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ShutdownTest : public ServerTest {};

TEST_P(ShutdownTest, IdleServerExitsPromptly) {
  START_SERVER();
  auto code = server_->Stop(5s);
  EXPECT_TRUE(code && flavor().IsCleanSigtermExit(*code)) << (code ? *code : -1);
  EXPECT_LT(server_->stop_duration(), 5s);
}

TEST_P(ShutdownTest, ClientsAreDisconnectedAndServerExits) {
  START_SERVER();
  std::vector<RawClient> clients(50);
  for (size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(Connect(clients[i]));
    ASSERT_TRUE(clients[i].Send("SUB s." + std::to_string(i) + " 1\r\nSUB > 2\r\n"));
  }
  RawClient partial;
  ASSERT_TRUE(Connect(partial));
  ASSERT_TRUE(partial.Send("PUB x 10\r\nabc"));  // mid-message at shutdown
  for (auto& c : clients) ASSERT_TRUE(c.Ping());

  auto code = server_->Stop(5s);
  EXPECT_TRUE(code && flavor().IsCleanSigtermExit(*code)) << (code ? *code : -1);
  EXPECT_LT(server_->stop_duration(), 5s);
  for (auto& c : clients) EXPECT_TRUE(c.ExpectClosed(1s));
  EXPECT_TRUE(partial.ExpectClosed(1s));
}

// 20 MB queued for a subscriber that has not read yet (its socket window is
// tiny, so most of it sits in the server) must all arrive before the close.
TEST_P(ShutdownTest, PendingOutputIsFlushedBeforeExit) {
  START_SERVER();
  RawClient sub, pub;
  ConnectOptions tiny_window;
  tiny_window.recv_buffer = 4096;
  ASSERT_TRUE(Connect(sub, "{\"verbose\":false,\"pedantic\":false}", tiny_window));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(sub.Send("SUB out 1\r\n"));
  ASSERT_TRUE(sub.Ping());

  constexpr int kMessages = 20000;
  const std::string payload(1000, 'f');
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += Pub("out", payload);
  for (int i = 0; i < kMessages / 1000; ++i) ASSERT_TRUE(pub.Send(batch, 10s));
  ASSERT_TRUE(pub.Ping(10s));  // the server has taken in every PUB

  const auto signalled = Clock::now();
  server_->Signal(SIGTERM);
  int received = 0;
  for (; received < kMessages; ++received) {
    auto m = sub.ReadMsg(5s);
    ASSERT_TRUE(m) << "only " << received << " of " << kMessages << " flushed: " << sub.last_error();
    ASSERT_EQ(m->payload.size(), payload.size());
  }
  EXPECT_TRUE(sub.ExpectClosed(5s));
  auto code = server_->Stop(5s);
  EXPECT_TRUE(code && flavor().IsCleanSigtermExit(*code)) << (code ? *code : -1);
  EXPECT_LT(Clock::now() - signalled, 10s);
}

// A client that never reads cannot hold the process hostage.
TEST_P(ShutdownTest, StuckReaderDoesNotBlockExit) {
  ServerLimits limits;
  limits.write_deadline = 2s;
  START_SERVER(limits);
  RawClient stuck, pub;
  ConnectOptions tiny_window;
  tiny_window.recv_buffer = 4096;
  ASSERT_TRUE(Connect(stuck, "{\"verbose\":false,\"pedantic\":false}", tiny_window));
  ASSERT_TRUE(Connect(pub));
  ASSERT_TRUE(stuck.Send("SUB out 1\r\n"));
  ASSERT_TRUE(stuck.Ping());
  const std::string payload(1000, 's');
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += Pub("out", payload);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(pub.Send(batch, 10s));
  ASSERT_TRUE(pub.Ping(10s));

  auto code = server_->Stop(10s);
  EXPECT_TRUE(code && flavor().IsCleanSigtermExit(*code)) << (code ? *code : -1);
  EXPECT_LT(server_->stop_duration(), 10s);
}

TERN_INSTANTIATE_FLAVORS(ShutdownTest);

}  // namespace
}  // namespace tern::testing
