#include "server/system_services.h"

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "server/server.h"
#include "server/worker.h"

namespace tern::server {

void SystemServices::Install() {
  interest_ = std::make_shared<core::Subscription>();
  interest_->sink = shared_from_this();
  interest_->subject = kInterestSubject;
  interest_->sid = "interest";
  server_.sublist().Insert(interest_);
}

void SystemServices::Uninstall() {
  if (interest_ == nullptr) return;
  interest_->closed.store(true);
  server_.sublist().Remove(*interest_);
  interest_.reset();
}

bool SystemServices::Deliver(const core::Subscription& sub, const core::Message& msg) {
  if (&sub != interest_.get() || msg.reply.empty()) return true;
  // Deliver() runs inside a publish and must not publish itself (the
  // worker's match cache is in use), so answer after this turn's deliveries.
  Worker* worker = Worker::Current();
  if (worker == nullptr) return false;
  worker->loop().Post([self = shared_from_this(), reply = std::string(msg.reply), payload = std::string(msg.payload)]() mutable {
    self->AnswerInterest(std::move(reply), std::move(payload));
  });
  return true;
}

void SystemServices::AnswerInterest(std::string reply, std::string payload) {
  nlohmann::json answer = nlohmann::json::array();
  nlohmann::json request = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (request.is_array()) {
    for (const auto& subject : request) {
      if (subject.is_string() && server_.sublist().HasInterest(subject.get<std::string>())) answer.push_back(subject);
    }
  } else {
    answer = nlohmann::json{{"error", "payload must be a JSON array of subjects"}};
  }
  std::string body = answer.dump();
  Worker* worker = Worker::Current();
  core::Message msg{reply, {}, {}, body};
  server_.router().Publish(worker->router_thread(), msg, this, true);
}

}  // namespace tern::server
