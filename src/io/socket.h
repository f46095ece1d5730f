// Small POSIX socket helpers shared by the server's listeners and tools.
#pragma once

#include <string>

namespace tern::io {

// Binds and listens on addr:port (IPv4 or IPv6 literal, or a host name), non-blocking.
// port 0 picks a free port. Returns the fd, or -1 with `error` set.
int Listen(const std::string& addr, int port, int backlog, std::string* error);
// The local port a bound socket got (for port 0).
int LocalPort(int fd);
// Peer address as text ("127.0.0.1") and port.
std::string PeerAddress(int fd, int* port);
void SetNoDelay(int fd);
// Raises the soft open-files limit to the hard limit; returns the new soft limit.
long RaiseFileLimit();

}  // namespace tern::io
