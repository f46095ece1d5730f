#include "server/mqtt/broker.h"

#include "server/connection.h"
#include "server/mqtt/mqtt_session.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server::mqtt {

Broker::Broker(Server& server, const MqttOptions& options)
    : server_(server), options_(options), sessions_(*this), assigned_prefix_("tern-" + server.server_id().substr(1, 8) + "-") {}

Broker::~Broker() { sessions_.Clear(); }

core::PublishResult Broker::Publish(core::RouterThread& thread, const core::Message& msg, const core::Origin& origin,
                                    io::Clock::time_point now) {
  if (msg.retain) retained_.Set(msg, now);
  return server_.router().Publish(thread, msg, origin);
}

void Broker::Settle(core::RouterThread& thread, SessionRegistry::Aftermath&& aftermath, io::Clock::time_point now) {
  for (SessionSubscription& sub : aftermath.ended) {
    for (auto& core_sub : sub.core) server_.router().Unsubscribe(*core_sub);
  }
  for (const StoredMessage& will : aftermath.wills) {
    counters_.wills.fetch_add(1, std::memory_order_relaxed);
    Publish(thread, will.View(), core::Origin::System(), now);
  }
  if (std::shared_ptr<Connection> conn = std::move(aftermath.taken_over)) {
    counters_.taken_over.fetch_add(1, std::memory_order_relaxed);
    MqttSession* session = aftermath.taken_over_session;
    conn->owner().loop().Post([conn, session] {
      if (!conn->closed()) session->TakenOver();
    });
  }
}

void Broker::Tick(core::RouterThread& thread, io::Clock::time_point now) { Settle(thread, sessions_.Tick(now), now); }

std::string Broker::AssignClientId() {
  return assigned_prefix_ + std::to_string(next_assigned_.fetch_add(1, std::memory_order_relaxed) + 1);
}

}  // namespace tern::server::mqtt
