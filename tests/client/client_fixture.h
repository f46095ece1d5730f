// Fixture for client-library tests: a real server (see test_server.h) on a
// free loopback port, and helpers to connect and wait.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"  // PickFreePort
#include "tern/tern.h"
#include "test_server.h"

namespace tern::testing {

using namespace std::chrono_literals;

// Polls pred every few ms until it holds or timeout passes.
inline bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

// Publish, subscribe and request work over c (a transport smoke test).
inline void ExpectRoundTrips(Connection& c) {
  auto ch = c.SubscribeChannel("round.echo", 100);
  ASSERT_TRUE(ch.ok()) << ch.status().ToString();
  auto responder = c.Subscribe("round.svc", [&](const Message& m) { (void)c.Publish(m.reply, "re:" + m.data); });
  ASSERT_TRUE(responder.ok());
  ASSERT_TRUE(c.Flush(2s).ok());
  ASSERT_TRUE(c.Publish("round.echo", "secret").ok());
  auto m = ch->Next(2s);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, "secret");
  auto reply = c.Request("round.svc", "ping", 2s);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->data, "re:ping");
}

// A flood of small messages and a few near max_payload from pub to sub, each
// byte checked: for transports that buffer what the socket no longer shows.
inline void ExpectFloodsArrive(Connection& pub, Connection& sub) {
  std::atomic<int> small{0};
  std::atomic<size_t> big_bytes{0};
  std::string big(900 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  auto a = sub.Subscribe("flood.small", [&](const Message&) { small++; });
  auto b = sub.Subscribe("flood.big", [&](const Message& m) { big_bytes += m.data == big ? m.data.size() : 0; });
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(sub.Flush(2s).ok());
  constexpr int kSmall = 50000;
  for (int i = 0; i < kSmall; ++i) ASSERT_TRUE(pub.Publish("flood.small", "0123456789abcdef").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub.Publish("flood.big", big).ok());
  ASSERT_TRUE(pub.Flush(5s).ok());
  ASSERT_TRUE(WaitFor([&] { return small == kSmall && big_bytes == 5 * big.size(); }, 10s))
      << small << " small, " << big_bytes << " big bytes";
  // Handlers refer to this frame's locals: stop them before it ends.
  (void)a->Unsubscribe();
  (void)b->Unsubscribe();
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  // extra_args use nats-server's spelling (--user, --auth), which
  // tern-server takes too.
  void StartServer(std::vector<std::string> extra_args) {
    server_ = std::make_unique<TestServer>(std::move(extra_args));
    bool started = server_->Start();
    ASSERT_TRUE(started) << "server " << server_->flavor_name() << " did not start:\n" << server_->LogTail();
  }

  // Short timers so reconnect tests finish quickly.
  Options TestOptions() const {
    Options o;
    o.servers = {server_->url()};
    o.connect_timeout = 1s;
    o.reconnect.initial_delay = 20ms;
    o.reconnect.max_delay = 200ms;
    return o;
  }

  std::unique_ptr<Connection> Connect(Options o) {
    auto c = Connection::Connect(std::move(o));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c.value()) : nullptr;
  }
  std::unique_ptr<Connection> Connect() { return Connect(TestOptions()); }

  std::unique_ptr<TestServer> server_;
};

}  // namespace tern::testing
