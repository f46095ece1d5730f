// TcpTransport's read side against a real loopback socket: what a reader
// that drains until a short read and then waits again is told.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "transport.h"

namespace tern::internal {
namespace {

using namespace std::chrono_literals;

class TcpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    auto dialled = DialTcp("127.0.0.1", ntohs(addr.sin_port), 2000ms, 2000ms);
    ASSERT_TRUE(dialled.ok()) << dialled.status().ToString();
    client_ = std::move(dialled).value();
    peer_ = ::accept(listener_, nullptr, nullptr);
    ASSERT_GE(peer_, 0);
  }
  void TearDown() override {
    if (peer_ >= 0) ::close(peer_);
    if (listener_ >= 0) ::close(listener_);
  }

  int listener_ = -1;
  int peer_ = -1;
  std::unique_ptr<Transport> client_;
};

TEST_F(TcpTransportTest, EofThatCameWithTheLastBytesIsStillNoticed) {
  // Bytes and FIN both arrive before the reader looks, so they make one
  // edge; the read that takes the bytes comes up short and must not be the
  // last the reader hears of this socket.
  ASSERT_EQ(::send(peer_, "hello", 5, 0), 5);
  ASSERT_EQ(::shutdown(peer_, SHUT_WR), 0);
  std::this_thread::sleep_for(50ms);
  ASSERT_EQ(client_->WaitReadable(1000ms), Transport::Wait::kReady);
  char buf[4096];
  ASSERT_EQ(client_->TryRead(buf, sizeof(buf)), 5);
  ASSERT_EQ(client_->WaitReadable(1000ms), Transport::Wait::kReady) << "the EOF raised no wake-up";
  EXPECT_EQ(client_->TryRead(buf, sizeof(buf)), 0);
}

TEST_F(TcpTransportTest, ShortReadWithoutEofLeavesNothingToWakeFor) {
  // The other half: with the peer still open, a drained socket stays quiet
  // until new bytes come.
  ASSERT_EQ(::send(peer_, "hello", 5, 0), 5);
  ASSERT_EQ(client_->WaitReadable(1000ms), Transport::Wait::kReady);
  char buf[4096];
  ASSERT_EQ(client_->TryRead(buf, sizeof(buf)), 5);
  EXPECT_EQ(client_->WaitReadable(100ms), Transport::Wait::kTimeout);
  ASSERT_EQ(::send(peer_, "again", 5, 0), 5);
  ASSERT_EQ(client_->WaitReadable(1000ms), Transport::Wait::kReady);
  EXPECT_EQ(client_->TryRead(buf, sizeof(buf)), 5);
}

}  // namespace
}  // namespace tern::internal
