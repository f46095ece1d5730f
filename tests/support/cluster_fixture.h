// A cluster of real server processes on loopback, for tests/cluster: tern
// nodes, or nats-server nodes as the reference, started with the flags both
// share (--cluster, --routes, --cluster_name, -n). Each node gets a free
// route port picked here and keeps it across Restart(), so a restarted node
// is found by its peers at the same address. Tests stop (or kill -9) the
// nodes they start by pid; the destructor stops whatever is left.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "raw_client.h"
#include "server_flavor.h"
#include "server_process.h"

namespace tern::testing {

struct ClusterSpec {
  int nodes = 3;
  std::string flavor = "tern";
  // Seeds each node dials: kFirst, every node seeds the first (join one
  // seed, mesh through gossip); kAll, the whole list (nats-server's usual).
  enum class Seeds { kFirst, kAll, kNone } seeds = Seeds::kFirst;
  std::vector<std::string> extra_args;  // for every node (tern flags)
  ServerLimits limits;
  std::string cluster_name = "tc";
};

class Cluster {
 public:
  explicit Cluster(ClusterSpec spec);
  ~Cluster();

  // Starts every node; false with error() when one does not come up.
  bool Start();
  // Starts node i (again), with the same name and route port.
  bool StartNode(int i, std::vector<std::string> more_args = {});
  // kill -9.
  void Kill(int i);
  // SIGTERM and wait.
  void Stop(int i);

  int size() const { return static_cast<int>(nodes_.size()); }
  ServerProcess& node(int i) { return *nodes_[i].process; }
  bool running(int i) const { return nodes_[i].process != nullptr && nodes_[i].running; }
  int port(int i) const { return nodes_[i].process->port(); }
  int route_port(int i) const { return nodes_[i].route_port; }
  std::string name(int i) const { return "n" + std::to_string(i + 1); }
  std::string route_url(int i) const;
  const std::string& error() const { return error_; }
  bool is_nats() const { return spec_.flavor == "nats"; }
  // Args of node i without the per-process ones, for a node started by hand.
  std::vector<std::string> ArgsFor(int i) const;

  // Until a subscription on every running node is reached from every other
  // running node (probes on a fresh subject each time), or `timeout`.
  ::testing::AssertionResult WaitMeshed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Until `subject` published on node `from` reaches `sub` (already
  // subscribed there); the probes it sends are read off `sub` again.
  ::testing::AssertionResult WaitInterest(int from, RawClient& sub, const std::string& subject,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // tern only: the node's _TERN.STATS ("cluster": routes, peers, drops ...).
  nlohmann::json Stats(int i);
  // tern only: until node i has `routes` routes up.
  ::testing::AssertionResult WaitRoutes(int i, int routes,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Node {
    std::unique_ptr<ServerProcess> process;
    int route_port = 0;
    bool running = false;
  };
  ClusterSpec spec_;
  std::unique_ptr<ServerFlavor> flavor_;
  std::vector<Node> nodes_;
  std::string error_;
  int probe_ = 0;
};

// _TERN.STATS of the tern node whose client port this is.
nlohmann::json StatsAt(int port);

// CONNECT options most cluster tests use: headers and no_responders on, and
// protocol 0, so no INFO arrives in the middle of a transcript.
inline constexpr char kClusterConnect[] =
    "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true}";
// The same with protocol 1: the server may send INFO at any time (cluster changes).
inline constexpr char kClusterConnectAsyncInfo[] =
    "{\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"headers\":true,\"no_responders\":true}";

}  // namespace tern::testing
