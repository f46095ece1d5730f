#include "server/system_services.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "server/cluster/cluster_manager.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {

namespace {
core::SubscriptionPtr ServiceSubscription(std::shared_ptr<core::Sink> sink, const char* subject) {
  auto sub = std::make_shared<core::Subscription>();
  sub->sink = std::move(sink);
  sub->subject = subject;
  return sub;
}
}  // namespace

void SystemServices::Install() {
  interest_ = ServiceSubscription(shared_from_this(), kInterestSubject);
  stats_ = ServiceSubscription(shared_from_this(), kStatsSubject);
  pause_ = ServiceSubscription(shared_from_this(), kPauseSubject);
  resume_ = ServiceSubscription(shared_from_this(), kResumeSubject);
  // Through the router like any interest change, so its listener hears of
  // them; this thread has no worker, so it gets its own RouterThread.
  core::RouterThread thread(server_.sublist());
  server_.router().Subscribe(thread, interest_);
  server_.router().Subscribe(thread, stats_);
  server_.router().Subscribe(thread, pause_);
  server_.router().Subscribe(thread, resume_);
}

void SystemServices::Uninstall() {
  for (core::SubscriptionPtr* sub : {&interest_, &stats_, &pause_, &resume_}) {
    if (*sub == nullptr) continue;
    server_.router().Unsubscribe(**sub);
    sub->reset();
  }
}

bool SystemServices::Deliver(const core::Subscription& sub, const core::Message& msg) {
  if (msg.reply.empty()) return true;
  // Deliver() runs inside a publish and must not publish itself (the
  // worker's match cache is in use), so answer after this turn's deliveries.
  Worker* worker = Worker::Current();
  if (worker == nullptr) return false;
  enum class Ask { kInterest, kStats, kPause, kResume };
  const Ask ask = &sub == interest_.get() ? Ask::kInterest
                  : &sub == stats_.get()  ? Ask::kStats
                  : &sub == pause_.get()  ? Ask::kPause
                                          : Ask::kResume;
  worker->loop().Post(
      [self = shared_from_this(), ask, reply = std::string(msg.reply), payload = std::string(msg.payload)] {
        switch (ask) {
          case Ask::kInterest:
            return self->Reply(reply, self->AnswerInterest(payload));
          case Ask::kStats:
            return self->Reply(reply, self->AnswerStats());
          case Ask::kPause:
          case Ask::kResume:
            return self->Reply(reply, self->AnswerPause(ask == Ask::kPause));
        }
      });
  return true;
}

std::string SystemServices::AnswerInterest(const std::string& payload) {
  nlohmann::json request = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!request.is_array()) return nlohmann::json{{"error", "payload must be a JSON array of subjects"}}.dump();
  nlohmann::json answer = nlohmann::json::array();
  for (const auto& subject : request) {
    if (subject.is_string() && server_.sublist().HasInterest(subject.get<std::string>())) answer.push_back(subject);
  }
  return answer.dump();
}

std::string SystemServices::AnswerStats() {
  ServerSnapshot s = server_.Snapshot();
  nlohmann::json j = {
      {"server_id", s.server_id},
      {"server_name", s.server_name},
      {"version", s.version},
      {"connections", s.connections},
      {"total_connections", s.total_connections},
      {"slow_consumers", s.slow_consumers},
      {"stale_connections", s.stale_connections},
      {"protocol_errors", s.protocol_errors},
      {"in_msgs", s.in_msgs},
      {"in_bytes", s.in_bytes},
      {"out_msgs", s.out_msgs},
      {"out_bytes", s.out_bytes},
      {"no_interest", s.no_interest},
      {"dropped", s.dropped},
      {"subscriptions", s.subscriptions},
      {"session_subscriptions", s.session_subscriptions},
      {"auth",
       {{"failures", s.auth_failures},
        {"timeouts", s.auth_timeouts},
        {"queue_full", s.auth_queue_full},
        {"offloaded", s.auth_offloaded},
        {"permission_violations", s.permission_violations},
        {"refused_connection_rate", s.refused_connection_rate},
        {"refused_ip_connections", s.refused_ip_connections},
        {"refused_user_connections", s.refused_user_connections},
        {"expired_by_reload", s.auth_expired}}},
      {"linger",
       {{"held", s.linger.held},
        {"delivered", s.linger.delivered},
        {"expired", s.linger.expired},
        {"dropped_for_space", s.linger.dropped_for_space},
        {"held_now", s.linger.held_now},
        {"bytes_now", s.linger.bytes_now}}},
  };
  if (ClusterManager* cluster = server_.cluster()) {
    ClusterStats c = cluster->Stats();
    j["cluster"] = {{"name", server_.options().cluster.name},
                    {"routes", c.routes},
                    {"peers", c.peer_names},
                    {"known_peers", c.known_peers},
                    {"routes_accepted", c.routes_accepted},
                    {"dropped_to_slow_routes", c.dropped_to_slow_routes},
                    {"auth_failures", c.auth_failures},
                    {"auth_timeouts", c.auth_timeouts},
                    {"barriers", c.barriers},
                    {"barrier_timeouts", c.barrier_timeouts},
                    {"paused", cluster->paused()}};
  }
  return j.dump();
}

std::string SystemServices::AnswerPause(bool pause) {
  ClusterManager* cluster = server_.cluster();
  if (cluster == nullptr) return nlohmann::json{{"error", "not in a cluster: nothing to pause"}}.dump();
  const bool changed = cluster->SetPaused(pause);
  return nlohmann::json{{"paused", cluster->paused()}, {"changed", changed}}.dump();
}

void SystemServices::Reply(const std::string& reply, const std::string& body) {
  core::Message msg{reply, {}, {}, body};
  server_.router().Publish(Worker::Current()->router_thread(), msg, core::Origin::System());
}

}  // namespace tern::server
