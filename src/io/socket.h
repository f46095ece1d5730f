// Small POSIX socket helpers shared by the server's listeners, outbound
// connections and tools. Every descriptor is non-blocking and close-on-exec.
#pragma once

#include <string>

#include "base/status.h"

namespace tern::io {

// Binds and listens on addr:port (IPv4 or IPv6 literal, or a host name).
// port 0 picks a free port.
base::Result<int> Listen(const std::string& addr, int port, int backlog);
// Starts a connect to host:port without waiting: the fd is returned at once
// (EINPROGRESS); wait for EPOLLOUT and then call FinishConnect().
base::Result<int> StartConnect(const std::string& host, int port);
// After EPOLLOUT on a StartConnect() fd: ok, or why the connect failed.
base::Status FinishConnect(int fd);
// The local port a bound socket got (for port 0).
int LocalPort(int fd);
// Peer address as text ("127.0.0.1") and port.
std::string PeerAddress(int fd, int* port);
void SetNoDelay(int fd);
// Raises the soft open-files limit to the hard limit; returns the new soft limit.
long RaiseFileLimit();

}  // namespace tern::io
