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
#include <string>

#include "base/string_hash.h"
#include "core/sink.h"
#include "core/subscription.h"
#include "proto/nats/connect_info.h"
#include "proto/nats/server_parser.h"
#include "server/session.h"

namespace tern::server {

class Connection;
class Server;
class Worker;

// The NATS session's view of a subscription: the client's sid, echoed in MSG.
struct NatsSubscription : core::Subscription {
  std::string sid;
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
    std::string name, lang, version;  // for logs and monitoring
  } connect_;
  // connect_.headers, for Deliver() on other workers (connect_ is the owner's).
  std::atomic<bool> wants_headers_{false};
  bool opened_ = false;       // counted in current_connections
  bool connected_ = false;    // CONNECT received
  uint64_t limits_seen_ = 0;  // LiveLimits::generation at the last refresh

  // Subscriptions by sid. Owner thread only; an entry whose subscription an
  // auto-unsubscribe ended on another worker is swept by the owner after
  // that worker bumps `auto_unsubscribed_` (no cross-thread map access).
  StringMap<core::SubscriptionPtr> subs_;
  std::atomic<uint64_t> auto_unsubscribed_{0};
  uint64_t swept_auto_unsubscribed_ = 0;

  io::Clock::time_point connect_deadline_{};  // auth timeout; zero once CONNECT arrived
  io::Clock::time_point next_ping_{};
  int pings_out_ = 0;
};

}  // namespace tern::server
