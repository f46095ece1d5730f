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

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  // extra_args use nats-server's spelling (--user, --auth); a tern-server
  // that does not take them yet skips the test instead of failing it.
  void StartServer(std::vector<std::string> extra_args) {
    bool has_extra = !extra_args.empty();
    server_ = std::make_unique<TestServer>(std::move(extra_args));
    bool started = server_->Start();
    if (!started && has_extra && server_->flavor_name() == "tern") {
      GTEST_SKIP() << "tern-server did not start with these flags:\n" << server_->LogTail();
    }
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
