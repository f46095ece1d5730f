// Requests the server answers itself, on subjects under `_TERN.`:
//   _TERN.INTEREST  payload: JSON array of subjects; reply: JSON array of the
//                   ones with at least one subscriber right now.
//   _TERN.STATS     reply: the node's counters as JSON (ServerSnapshot).
//   _TERN.ADMIN.PAUSE / _TERN.ADMIN.RESUME
//                   the node answering (the one the client is connected
//                   to) asks its peers to send it no queue-group work, or
//                   to send it again; its clients stay connected. Reply:
//                   {"paused": bool, "changed": bool}. Open to every client
//                   until authorization lands (the security issue).
// They are ordinary subscriptions whose sink is the server, so they work the
// same from any client library and, later, across a cluster.
#pragma once

#include <memory>

#include "core/sink.h"
#include "core/subscription.h"

namespace tern::server {

class Server;

inline constexpr const char* kInterestSubject = "_TERN.INTEREST";
inline constexpr const char* kStatsSubject = "_TERN.STATS";
inline constexpr const char* kPauseSubject = "_TERN.ADMIN.PAUSE";
inline constexpr const char* kResumeSubject = "_TERN.ADMIN.RESUME";

class SystemServices final : public core::Sink, public std::enable_shared_from_this<SystemServices> {
 public:
  explicit SystemServices(Server& server) : server_(server) {}

  // Registers the service subscriptions; call once the workers run.
  void Install();
  // Drops the subscriptions (and with them the reference cycle sub -> sink).
  void Uninstall();

  bool Deliver(const core::Subscription& sub, const core::Message& msg) override;
  uint64_t sink_id() const override { return 0; }

 private:
  std::string AnswerInterest(const std::string& payload);
  std::string AnswerStats();
  std::string AnswerPause(bool pause);
  void Reply(const std::string& reply, const std::string& body);

  Server& server_;
  core::SubscriptionPtr interest_;
  core::SubscriptionPtr stats_;
  core::SubscriptionPtr pause_;
  core::SubscriptionPtr resume_;
};

}  // namespace tern::server
