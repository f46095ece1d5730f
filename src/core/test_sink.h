// A Sink that records what it is given: the toy backend that proves core
// works without any socket (the seam connections implement).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/sink.h"
#include "core/subscription.h"

namespace tern::core {

// What a session adds to a subscription, here a NATS-like sid so tests can
// tell which subscription a delivery was for.
struct TestSubscription : Subscription {
  std::string sid;
};

class RecordingSink : public Sink {
 public:
  struct Received {
    std::string subject, sid, reply, headers, payload;
    uint8_t qos = 0;
    bool retain = false;
    std::vector<std::string> queues;
  };

  // `route`: stands for a remote node (Sink::IsRoute).
  explicit RecordingSink(uint64_t id = 1, bool route = false) : id_(id), route_(route) {}

  bool Deliver(const Subscription& sub, const Message& msg) override {
    std::lock_guard lock(mu_);
    if (refuse_) return false;
    // Only its own subscriptions reach a sink, all made by MakeSub.
    received_.push_back({std::string(msg.subject), static_cast<const TestSubscription&>(sub).sid,
                         std::string(msg.reply), std::string(msg.headers), std::string(msg.payload), msg.qos,
                         msg.retain, std::vector<std::string>(msg.queues.begin(), msg.queues.end())});
    return true;
  }
  void OnAutoUnsubscribed(const Subscription& sub) override {
    std::lock_guard lock(mu_);
    auto_unsubscribed_.push_back(static_cast<const TestSubscription&>(sub).sid);
  }
  bool IsRoute() const override { return route_; }
  uint64_t sink_id() const override { return id_; }

  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  std::vector<std::string> auto_unsubscribed() const {
    std::lock_guard lock(mu_);
    return auto_unsubscribed_;
  }
  void set_refuse(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_ = refuse;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Received> received_;
  std::vector<std::string> auto_unsubscribed_;  // sids, in the order heard
  bool refuse_ = false;
  uint64_t id_;
  bool route_;
};

inline std::shared_ptr<TestSubscription> MakeSub(std::shared_ptr<Sink> sink, std::string subject, std::string sid,
                                                 std::string queue = "") {
  auto sub = std::make_shared<TestSubscription>();
  sub->sink = std::move(sink);
  sub->subject = std::move(subject);
  sub->sid = std::move(sid);
  sub->queue = std::move(queue);
  return sub;
}

}  // namespace tern::core
