// The NATS client protocol on a Connection: CONNECT options, PUB/HPUB,
// SUB/UNSUB, PING/PONG, +OK/-ERR with nats-server's texts and close rules,
// the auth timeout, server PINGs, and delivery of MSG/HMSG to this client.
// Framing is proto::nats::ServerParser; matching and delivery are core's.
//
// Threading: everything runs on the connection's owner thread except
// Deliver() (core::Sink), which any worker calls while publishing; it only
// encodes into the connection's output through Connection::Write().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/counter.h"
#include "base/string_hash.h"
#include "core/permissions.h"
#include "core/sink.h"
#include "core/subscription.h"
#include "proto/nats/connect_info.h"
#include "proto/nats/server_parser.h"
#include "server/auth/authenticator.h"
#include "server/event_log.h"
#include "server/session.h"

namespace tern::server {

class Connection;
class Server;
class Worker;

// The NATS session's view of a subscription: the client's sid, echoed in MSG.
struct NatsSubscription : core::Subscription {
  std::string sid;
  // Allowed, but a subscribe deny pattern lies within its wildcard: drop
  // the messages the deny names at delivery (nats-server's mperms).
  std::atomic<bool> filtered{false};
};

class NatsClientSession final : public Session, public core::Sink, public proto::nats::ServerOpHandler {
 public:
  explicit NatsClientSession(Connection& conn);
  ~NatsClientSession() override;

  // Session
  void OnOpen() override;
  void OnInput(char* data, size_t size) override;
  void OnTimer(io::Clock::time_point now) override;
  void OnClose(CloseReason reason) override;
  void ReleaseIdleMemory() override { parser_.ShrinkIfIdle(); }
  core::Sink* sink() override { return this; }
  void OnClusterChanged() override;
  void OnAuthChanged() override;
  bool monitored() const override { return true; }
  void Describe(ConnInfo* info, bool with_subs) const override;

  // core::Sink: any thread.
  bool Deliver(const core::Subscription& sub, const core::Message& msg) override;
  void OnAutoUnsubscribed(const core::Subscription& sub) override;
  uint64_t sink_id() const override;

 private:
  // proto::nats::ServerOpHandler
  void OnConnect(std::string_view json) override;
  void OnPub(const proto::nats::PubOp& op) override;
  void OnSub(const proto::nats::SubOp& op) override;
  void OnUnsub(const proto::nats::UnsubOp& op) override;
  void OnPing() override;
  void OnPong() override;
  bool ShouldContinue() override;

  void Send(std::string_view proto);
  void SendErr(std::string_view text);
  // -ERR, then hang up: for errors after which nats-server closes.
  void FailAndClose(std::string_view text, CloseReason reason);
  void SendNoResponders(std::string_view reply);
  void DropSubscription(const core::SubscriptionPtr& sub);
  size_t LiveSubscriptionCount();
  // Forgets sid table entries whose subscription ended (closed): always, or
  // only when OnAutoUnsubscribed was heard since the last sweep.
  void SweepEnded();
  void SweepIfAutoUnsubscribed();
  // Picks up limits changed by a reload (max_payload, max_control_line).
  void RefreshLimits();
  void Trace(std::string_view direction, std::string_view what) const;
  void RecordEvent(Event::Type type, std::string reason) const;
  void MeasureRtt();

  // Authentication: CONNECT -> a request for the authenticator, checked
  // here or on the auth pool; input that follows CONNECT waits (bounded)
  // until the answer is back on this thread.
  void Authenticate(const proto::nats::ConnectOptions& options);
  void FinishAuth(auth::Decision decision);
  void HoldInput(const char* data, size_t size);
  bool AuthenticatedWithoutConnect();
  // Authorization.
  void ApplyPermissions(const core::PermissionsPtr& perms);
  bool ResponseAllowed(std::string_view subject);
  void PublishViolation(std::string_view subject);
  std::string AuthUserText() const;
  void DropForbiddenSubscriptions();
  int MaxSubscriptions() const;

  Connection& conn_;
  Worker& worker_;
  Server& server_;

  proto::nats::ServerParser parser_;
  // What CONNECT said that matters after it: kept apart from the parsed
  // ConnectOptions (a dozen strings, credentials among them) so an idle
  // connection carries only this. nats-server's defaults until CONNECT.
  struct ClientOptions {
    bool verbose = true;
    bool pedantic = true;
    bool echo = true;
    bool headers = false;
    bool no_responders = false;
    bool async_info = false;          // protocol >= 1: takes INFO updates (connect_urls)
    bool interest_barrier = false;    // PONG only once every peer has the preceding SUBs
    std::string name, lang, version;  // for logs and monitoring
  } connect_;
  // connect_.headers, for Deliver() on other workers (connect_ is the owner's).
  std::atomic<bool> wants_headers_{false};
  bool opened_ = false;       // counted in current_connections
  bool connected_ = false;    // CONNECT received
  bool info_outdated_ = false;  // INFO changed (connect_urls, ldm) after ours went, before CONNECT
  uint64_t limits_seen_ = 0;  // LiveLimits::generation at the last refresh

  // Subscriptions by sid. Owner thread only; an entry whose subscription an
  // auto-unsubscribe ended on another worker is swept by the owner after
  // that worker bumps `auto_unsubscribed_` (no cross-thread map access).
  StringMap<core::SubscriptionPtr> subs_;
  std::atomic<uint64_t> auto_unsubscribed_{0};
  uint64_t swept_auto_unsubscribed_ = 0;

  enum class AuthState : uint8_t { kWaiting, kPending, kDone };
  AuthState auth_state_ = AuthState::kWaiting;
  std::string held_;   // input after CONNECT while authentication is pending
  std::string nonce_;  // sent in INFO when NKey users exist
  std::string user_;   // the identity CONNECT earned ("" anonymous)
  auth::Via via_ = auth::Via::kOpen;
  uint64_t fingerprint_ = 0;
  bool system_ = true;        // may use _TERN.* services
  bool user_slot_ = false;    // counted in the per-user limit
  bool ip_slot_ = false;      // counted in the per-address limit
  bool pub_restricted_ = false, sub_restricted_ = false;
  UserLimitOptions user_limits_;
  core::PublishCache pub_perms_;  // owner thread; its permissions are the user's

  // What delivery on other workers needs from the permissions: the
  // subscribe deny filter and the replies allow_responses opens. Only
  // connections that need it have one; created on the owner thread and
  // kept to the end.
  struct DeliveryGuard {
    std::mutex mu;
    core::PermissionsPtr perms;
    std::atomic<bool> responses{false};  // perms has allow_responses: track replies
    struct Reply {
      io::Clock::time_point at;
      int sent = 0;
    };
    std::unordered_map<std::string, Reply> replies;
  };
  std::unique_ptr<DeliveryGuard> guard_;
  std::atomic<DeliveryGuard*> guard_ptr_{nullptr};

  // Monitoring counters. In: the owner's, per PUB. Out: written inside
  // Connection::Write's encode callback, i.e. under the connection's output
  // lock, which already serialises every writer; so a plain load+store
  // (OwnedCounter) suffices and a delivery pays no locked instruction.
  OwnedCounter in_msgs_, in_bytes_, out_msgs_, out_bytes_;
  // RTT: from INFO to the client's first PING (as nats-server estimates
  // it), then from each server PING to its PONG. One probe start and a
  // 32-bit figure, because every idle connection carries them.
  io::Clock::time_point rtt_probe_{};  // INFO or PING sent; zero when none is out

  io::Clock::time_point connect_deadline_{};  // auth timeout; zero once authenticated
  io::Clock::time_point next_ping_{};
  int pings_out_ = 0;
  uint32_t rtt_us_ = 0;  // last RTT in microseconds (71 minutes at most); 0 = not yet
};

}  // namespace tern::server
