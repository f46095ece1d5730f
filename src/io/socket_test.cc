#include "io/socket.h"

#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace tern::io {
namespace {

bool WaitWritable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  return poll(&p, 1, 2000) == 1;
}

TEST(SocketTest, NonBlockingConnectCompletes) {
  auto listener = Listen("127.0.0.1", 0, 16);
  ASSERT_TRUE(listener.ok()) << listener.message();
  int port = LocalPort(*listener);
  ASSERT_GT(port, 0);
  auto fd = StartConnect("127.0.0.1", port);
  ASSERT_TRUE(fd.ok()) << fd.message();
  ASSERT_TRUE(WaitWritable(*fd));
  EXPECT_TRUE(FinishConnect(*fd).ok());
  close(*fd);
  close(*listener);
}

TEST(SocketTest, NonBlockingConnectToAClosedPortFails) {
  auto listener = Listen("127.0.0.1", 0, 16);
  ASSERT_TRUE(listener.ok());
  int port = LocalPort(*listener);
  close(*listener);  // nobody listens there now
  auto fd = StartConnect("127.0.0.1", port);
  if (!fd.ok()) return;  // refused at once: also a clear failure
  ASSERT_TRUE(WaitWritable(*fd));
  base::Status status = FinishConnect(*fd);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status.message();
  close(*fd);
}

TEST(SocketTest, ListenErrorsNameTheAddress) {
  auto first = Listen("127.0.0.1", 0, 16);
  ASSERT_TRUE(first.ok());
  auto second = Listen("127.0.0.1", LocalPort(*first), 16);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.message().find("127.0.0.1:"), std::string::npos) << second.message();
  auto bad = Listen("no-such-host.invalid", 0, 16);
  EXPECT_FALSE(bad.ok());
  close(*first);
}

}  // namespace
}  // namespace tern::io
