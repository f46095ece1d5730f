// The cluster side of one node: the route listener, the full mesh of
// routes (who to dial, redialling with backoff, keeping one route per peer
// when two nodes dial each other at once, refusing a duplicate node name),
// interest propagation (InterestRelay), interest barriers, the peers'
// client URLs that INFO passes on to clients, and membership from seeds,
// gossip (each INFO lists the peers its sender has) and etcd.
//
// Threading. The cluster thread runs its own io::EventLoop and owns the
// peer table, the route table and the barrier table; route sessions (on
// their workers) and the etcd thread reach it only by posting to that loop.
// OnInterestChanged runs on whichever thread changed interest and only
// marks the relay. Two small locks guard what other threads read directly:
// `info_mu_` (the INFO this node sends, and the peers' client URLs) and the
// relay's own. The cluster thread never blocks on a worker: closing a route
// or refusing one is posted to the route's owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/host_port.h"
#include "base/status.h"
#include "core/interest_listener.h"
#include "io/event_loop.h"
#include "proto/route/info.h"
#include "server/cluster/interest_relay.h"
#include "server/endpoint.h"
#include "server/options.h"

namespace tern::server {

class Connection;
class EtcdMembership;
class RouteSession;
class Server;

// Counters for _TERN.STATS and the logs.
struct ClusterStats {
  size_t routes = 0;
  size_t known_peers = 0;
  uint64_t routes_accepted = 0;
  uint64_t dropped_to_slow_routes = 0;  // messages a route's bound refused, over all routes ever
  uint64_t barriers = 0, barrier_timeouts = 0;
  uint64_t auth_failures = 0;  // accepted routes refused for wrong or missing credentials
  uint64_t auth_timeouts = 0;  // accepted routes closed for not authenticating in time
  std::vector<std::string> peer_names;
};

// What a dialler presents when the peer's INFO asks (route CONNECT).
struct RouteCredentials {
  std::string user;
  std::string password;
};

class ClusterManager final : public core::InterestListener {
 public:
  explicit ClusterManager(Server& server);
  ~ClusterManager() override;

  // Before the listeners bind: the route listener joins the server's endpoints.
  base::Status AddEndpoint(std::vector<Endpoint>* endpoints);
  // Once the listeners are bound and the workers run: the route URL (with
  // the bound port), the cluster thread, the seeds, etcd.
  base::Status Start(const Endpoint& bound_route_listener, const Endpoint& client_listener);
  // Stops dialling and etcd (the lease is revoked so peers forget us at
  // once). Routes close with the workers afterwards.
  void Stop();

  // core::InterestListener: any thread.
  void OnInterestChanged(const core::Subscription& sub, bool added, bool first_or_last) override;
  void set_local_only(const core::Sink* sink) { relay_.set_local_only(sink); }

  // ---- for route sessions (their owner thread) -------------------------
  proto::route::RouteInfo LocalInfo();
  void OnRouteInfo(RouteSession& route, proto::route::RouteInfo peer, bool first);
  void OnRouteClosed(RouteSession& route, std::string refusal);
  void OnBarrierAck(RouteSession& route, std::string_view token);
  // Any thread, before a route writes a message.
  bool interest_pending() const { return relay_.pending(); }
  void FlushInterest() { relay_.Flush(); }
  const std::atomic<uint64_t>* route_max_pending() const { return &max_pending_; }
  const ClusterOptions& options() const { return options_; }
  const std::string& server_id() const { return server_id_; }
  const std::string& server_name() const { return server_name_; }
  void CountDropped(uint64_t n) { dropped_.fetch_add(n, std::memory_order_relaxed); }
  // The secret accepted routes must present (cluster.authorization); null
  // when none is configured. A reload swaps it (SetAuthorization).
  std::shared_ptr<const ClusterAuthOptions> route_auth() const;
  // What to present when dialling `url` (host:port, as peers are keyed):
  // the credentials of the seed URL that named it, else this node's own
  // user and password when the password is plain text, else the first seed
  // URL's (one shared secret cluster-wide), else none.
  RouteCredentials DialCredentials(const std::string& url) const;
  void CountAuthFailure(bool timeout) {
    (timeout ? auth_timeouts_ : auth_failures_).fetch_add(1, std::memory_order_relaxed);
  }

  // ---- for client sessions and the server (any thread) -----------------
  // Answers the client's PING once every peer routed now has confirmed the
  // interest changes made before it (or barrier_timeout passed).
  void Barrier(std::shared_ptr<Connection> client);
  // The other nodes' client URLs, for INFO connect_urls.
  std::vector<std::string> ClientUrls();
  ClusterStats Stats();
  void SetQueuePolicy(ClusterQueuePolicy policy);
  // SIGHUP: accepted routes are checked again against the new secret and
  // those whose credentials no longer pass are closed.
  void SetAuthorization(const ClusterAuthOptions& auth);
  // Lame duck: every peer gets an INFO with lame_duck, and routes queue
  // work elsewhere while it has other members.
  void EnterLameDuck();
  // Pause (_TERN.ADMIN.PAUSE): the same for queue work, until resumed; the
  // node's clients stay connected. False when it already was in that state.
  bool SetPaused(bool paused);
  bool paused() const { return paused_.load(std::memory_order_relaxed); }

  // ---- for membership sources (any thread) -----------------------------
  void AddPeer(const std::string& url, bool from_etcd);
  void ForgetPeer(const std::string& url);

 private:
  struct Peer;
  struct Route;
  struct PendingBarrier;

  void Run();
  void Tick();
  void DialDue(io::Clock::time_point now);
  void Dial(Peer& peer);
  void ScheduleRedial(Peer& peer, bool failed);
  Peer* FindPeer(const std::string& url);
  Peer& LearnPeer(const std::string& url, int source);
  const Endpoint& DialEndpoint(const std::string& url);

  // Cluster thread.
  void Accept(std::shared_ptr<Connection> conn, RouteSession* session, proto::route::RouteInfo peer);
  void Update(std::shared_ptr<Connection> conn, proto::route::RouteInfo peer);
  void Closed(std::shared_ptr<Connection> conn, RouteSession* session, std::string refusal);
  void Learn(const proto::route::RouteInfo& peer);
  void CompleteBarriers(io::Clock::time_point now);
  void AnnounceChange();
  void Refuse(const std::shared_ptr<Connection>& conn, RouteSession* session, std::string text);
  void DropQuietly(const std::shared_ptr<Connection>& conn, RouteSession* session);

  Server& server_;
  const ClusterOptions options_;
  const std::string server_id_;
  const std::string server_name_;
  std::atomic<uint64_t> max_pending_;
  InterestRelay relay_;

  // The thread and its loop; everything below up to info_mu_ is its own.
  io::EventLoop loop_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::map<std::string, std::unique_ptr<Peer>> peers_;               // by host:port as dialled
  std::map<uint64_t, std::unique_ptr<Route>> routes_;                // accepted, by connection id
  std::map<std::string, std::unique_ptr<Endpoint>> dial_endpoints_;  // by URL; connections refer to them
  std::deque<PendingBarrier> barriers_;
  uint64_t next_token_ = 0;
  size_t next_worker_ = 0;
  std::unique_ptr<EtcdMembership> etcd_;

  Endpoint* listener_ = nullptr;  // in the server's endpoint list
  std::shared_ptr<io::TlsContext> client_tls_;

  std::mutex info_mu_;
  std::string route_url_;                    // host:port peers dial
  std::vector<std::string> my_client_urls_;  // what peers pass on to their clients
  std::vector<std::string> client_urls_;     // the peers' (for our clients)
  std::vector<std::string> route_urls_;      // the peers' (gossip)
  ClusterStats stats_;

  // Seed URL credentials by host:port; fixed at start, read by any thread.
  std::map<std::string, RouteCredentials> seed_credentials_;
  mutable std::mutex auth_mu_;
  std::shared_ptr<const ClusterAuthOptions> route_auth_;  // under auth_mu_
  std::atomic<uint64_t> auth_failures_{0}, auth_timeouts_{0};

  std::atomic<uint64_t> dropped_{0};
  std::atomic<bool> lame_duck_{false};
  std::atomic<bool> paused_{false};
};

}  // namespace tern::server
