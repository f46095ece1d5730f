// A TCP proxy on loopback for fault tests: forwards every connection it
// accepts to a target port, and on demand cuts every link (closes them and
// refuses new ones), blackholes them (keeps them open but passes no byte,
// as a partition does, so only keepalives can tell), or heals. Nodes point
// their peers at it with cluster.advertise. One thread with poll(); the
// destructor stops it.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::testing {

class TcpProxy {
 public:
  enum class Mode { kForward, kCut, kBlackhole };

  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void set_mode(Mode mode);
  // Connections accepted so far (to tell that a peer redialled).
  int accepted() const { return accepted_.load(); }

 private:
  struct Link {
    int client, server;
  };
  void Run();
  void CloseAll();

  int target_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<Link> links_;  // proxy thread only
  std::thread thread_;
};

}  // namespace tern::testing
