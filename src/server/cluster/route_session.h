// One route: the connection between this node and one peer node, accepted
// on the cluster listener or dialled by the ClusterManager. Both ends send
// INFO at once; the manager decides whether the route is kept (self,
// duplicate, name clash) and, once it is, sends our interest in full (RS+
// ... RSYNC) and then every change. The peer's interest enters our index as
// subscriptions whose sink is this session (Sink::IsRoute), so the router
// sends each message here at most once and never a message from a route.
//
// Authentication: a node with cluster.authorization says auth_required in
// its INFO; the dialler answers with CONNECT {user, pass}. Until that
// passes, an accepted route is not handed to the manager (its INFO waits
// in `pending_info_`), and only PING/PONG are served. A bcrypt check runs
// on the server's auth pool; what the peer sends meanwhile is held.
//
// Threading: the connection's owner runs everything but Deliver(), which
// any publishing worker calls; it only encodes RMSG into the connection
// (bounded, OverflowPolicy::kDrop: a slow peer loses messages and counts
// them, publishers never wait). Interest and barrier lines go through
// Connection::WriteControl, which the bound never refuses.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/string_hash.h"
#include "core/sink.h"
#include "core/subscription.h"
#include "proto/route/info.h"
#include "proto/route/parser.h"
#include "server/options.h"
#include "server/session.h"

namespace tern::server {

class Connection;
class ClusterManager;
class Server;
class Worker;

class RouteSession final : public Session, public core::Sink {
 public:
  // `dialled_url`: the peer URL an outbound route was dialled at; empty for
  // an accepted one.
  RouteSession(Connection& conn, ClusterManager& cluster, std::string dialled_url);
  ~RouteSession() override;

  // Session
  void OnOpen() override;
  void OnInput(char* data, size_t size) override;
  void OnTimer(io::Clock::time_point now) override;
  void OnClose(CloseReason reason) override;
  void ReleaseIdleMemory() override { parser_.ShrinkIfIdle(); }
  core::Sink* sink() override { return this; }

  // core::Sink: any thread.
  bool Deliver(const core::Subscription& sub, const core::Message& msg) override;
  bool IsRoute() const override { return true; }
  uint64_t sink_id() const override;

  // Owner thread: -ERR '<text>' and hang up (the manager refused the route).
  void Refuse(const std::string& text);
  // Owner thread: close without a word (a duplicate of a kept route, or self).
  void Drop();
  // Owner thread, after a reload changed cluster.authorization: an
  // accepted route whose credentials do not pass `auth` is closed.
  void Recheck(std::shared_ptr<const ClusterAuthOptions> auth);

  Connection& connection() { return conn_; }
  bool outbound() const { return !dialled_url_.empty(); }
  const std::string& dialled_url() const { return dialled_url_; }
  // Messages the bound refused, for the slow-route report and monitoring.
  uint64_t dropped() const;

 private:
  void HandleOp(const proto::route::RouteOp& op);
  void HandleInfo(std::string_view json);
  void HandleConnect(std::string_view json);
  // Checks `presented` against `auth` (on the auth pool for a bcrypt hash)
  // and calls `done(ok)` on this owner thread, unless the route closed.
  void CheckCredentials(std::shared_ptr<const ClusterAuthOptions> auth, proto::route::RouteConnect presented,
                        std::function<void(bool)> done);
  void FinishAuth(bool ok);
  void HoldInput(const char* data, size_t size);
  void RefuseAuth(std::string_view why);
  std::string PeerAddress() const;
  void HandleSubscribe(const proto::route::RouteOp& op);
  void HandleUnsubscribe(const proto::route::RouteOp& op);
  void HandleSyncDone(uint64_t count);
  void HandleMessage(const proto::route::RouteOp& op);
  // The peer entered lame duck or was paused: its queue members get weight
  // 0, so the router sends it group work only when no other node has a
  // member. Undone by a resume, whose RS+ lines bring the weights back.
  void SetDraining(bool draining);
  void Fail(const std::string& text, CloseReason reason);
  std::string Name() const;

  Connection& conn_;
  ClusterManager& cluster_;
  Worker& worker_;
  Server& server_;
  const std::string dialled_url_;

  proto::route::RouteParser parser_;
  bool got_info_ = false;
  proto::route::RouteInfo peer_;  // from its first INFO; owner thread

  // The peer's interest by "subject queue"; owner thread only. Until RSYNC
  // the RS+ of the full resync collect in `resync_` and enter the index in
  // one batch.
  StringMap<core::SubscriptionPtr> subs_;
  std::vector<core::SubscriptionPtr> resync_;
  bool synced_ = false;
  bool peer_draining_ = false;

  io::Clock::time_point handshake_deadline_{};
  io::Clock::time_point next_ping_{};
  int pings_out_ = 0;
  uint64_t dropped_reported_ = 0;
  std::string refusal_;  // the peer's -ERR, for the manager's log

  // Accepted routes on a node with cluster.authorization.
  std::shared_ptr<const ClusterAuthOptions> auth_;  // what the route is held to; null: open
  enum class AuthState : uint8_t { kOpen, kAwaiting, kChecking, kDone } auth_state_ = AuthState::kOpen;
  proto::route::RouteConnect presented_;  // kept for a reload's re-check
  proto::route::RouteInfo pending_info_;  // the peer's INFO, until it has authenticated
  std::string held_;                      // input that arrived during a bcrypt check
  io::Clock::time_point auth_deadline_{};
};

}  // namespace tern::server
