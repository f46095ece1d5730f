// Membership from etcd, through its v3 JSON gateway. On its own thread
// (blocking HTTP, never a worker loop) it grants a lease with the TTL,
// registers `<prefix>/<name>` = this node's route URL under it, keeps the
// lease alive, reads the prefix and watches it: a key that appears is a
// node to dial, a key that goes away (deleted, or its lease expired after
// the node died) a node to forget.
//
// etcd being down or cut off stops none of the data path: routes that are
// up stay up, known peers are still redialled by the ClusterManager, and
// this thread retries each endpoint in turn until one answers; then it
// registers again (with a new lease if the old one expired meanwhile) and
// reads the prefix afresh, so membership catches up with what changed.
//
// A name already registered under another URL is left alone (it would
// steal that node's registration) and reported; the route handshake
// refuses the duplicate node anyway. The same name at the same URL is this
// node restarted: it takes the key over.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "server/options.h"

namespace tern::server {

class ClusterManager;

class EtcdMembership {
 public:
  EtcdMembership(ClusterManager& cluster, EtcdOptions options, std::string name, std::string route_url);
  ~EtcdMembership();

  void Start();
  // Revokes the lease (peers forget this node at once) and joins the thread.
  void Stop();

 private:
  struct Endpoint {
    std::string host;
    int port = 0;
  };

  void Run();
  // One session against one endpoint; returns when it fails or on Stop.
  void Session(const Endpoint& e);
  bool Register(const Endpoint& e);
  bool KeepAlive(const Endpoint& e);
  bool ReadAll(const Endpoint& e, int64_t* revision);
  void Watch(const Endpoint& e, int64_t revision);
  void Seen(const std::string& key, const std::string& url);
  void Gone(const std::string& key);
  bool Sleep(std::chrono::milliseconds d);

  ClusterManager& cluster_;
  const EtcdOptions options_;
  const std::string name_;
  const std::string key_;
  const std::string route_url_;
  std::vector<Endpoint> endpoints_;

  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::condition_variable wake_;

  // Etcd thread only.
  std::string lease_;  // lease ID as etcd writes it, empty when none
  std::chrono::steady_clock::time_point next_keepalive_{};
  std::map<std::string, std::string> members_;  // key -> route URL, as last read
  bool warned_duplicate_ = false;
};

}  // namespace tern::server
