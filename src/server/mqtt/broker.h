// What every MQTT connection of a node shares: the sessions by client id,
// the retained messages, the options and the counters, and the one way an
// MQTT message enters the core (retained store first, then the router).
// Owned by the Server; any worker uses it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/router.h"
#include "server/mqtt/retained_store.h"
#include "server/mqtt/session_registry.h"
#include "server/options.h"

namespace tern::server {
class Server;
}

namespace tern::server::mqtt {

struct BrokerCounters {
  std::atomic<uint64_t> dropped_queued{0};      // QoS 1/2 messages a full queue turned away
  std::atomic<uint64_t> dropped_properties{0};  // user properties that could not be headers
  std::atomic<uint64_t> taken_over{0};          // sessions a second CONNECT took over
  std::atomic<uint64_t> wills{0};               // Wills published
};

class Broker {
 public:
  Broker(Server& server, const MqttOptions& options);
  // Ends every session, so none outlives the server (a session and its
  // subscriptions hold each other).
  ~Broker();

  Server& server() { return server_; }
  const MqttOptions& options() const { return options_; }
  SessionRegistry& sessions() { return sessions_; }
  RetainedStore& retained() { return retained_; }
  BrokerCounters& counters() { return counters_; }

  // An MQTT publish into the core: kept as retained when asked (deleted by
  // an empty payload), then routed.
  core::PublishResult Publish(core::RouterThread& thread, const core::Message& msg, const core::Origin& origin,
                              io::Clock::time_point now);
  // Acts on what a session's end or departure left: Wills published, the
  // core subscriptions of ended sessions removed, a taken-over connection
  // told and closed on its own worker.
  void Settle(core::RouterThread& thread, SessionRegistry::Aftermath&& aftermath, io::Clock::time_point now);
  // Worker 0, a few times a second: Will delays and session expiry.
  void Tick(core::RouterThread& thread, io::Clock::time_point now);

  uint64_t NextSessionId() { return next_session_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  // A client id for a client that sent none (5.0's Assigned Client
  // Identifier; 3.1.1 with Clean Session): unique on this node.
  std::string AssignClientId();

 private:
  Server& server_;
  const MqttOptions options_;
  SessionRegistry sessions_;
  RetainedStore retained_;
  BrokerCounters counters_;
  std::atomic<uint64_t> next_session_id_{1ull << 48};  // apart from connection ids, which sinks share
  std::atomic<uint64_t> next_assigned_{0};
  const std::string assigned_prefix_;
};

}  // namespace tern::server::mqtt
