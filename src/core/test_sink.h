// A Sink that records what it is given: the toy backend that proves core
// works without any socket (the seam connections implement).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/sink.h"
#include "core/subscription.h"

namespace tern::core {

class RecordingSink : public Sink {
 public:
  struct Received {
    std::string subject, sid, reply, headers, payload;
  };

  explicit RecordingSink(uint64_t id = 1) : id_(id) {}

  bool Deliver(const Subscription& sub, const Message& msg) override {
    std::lock_guard lock(mu_);
    if (refuse_) return false;
    received_.push_back({std::string(msg.subject), sub.sid, std::string(msg.reply), std::string(msg.headers),
                         std::string(msg.payload)});
    return true;
  }
  uint64_t sink_id() const override { return id_; }

  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  void set_refuse(bool refuse) {
    std::lock_guard lock(mu_);
    refuse_ = refuse;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Received> received_;
  bool refuse_ = false;
  uint64_t id_;
};

inline SubscriptionPtr MakeSub(std::shared_ptr<Sink> sink, std::string subject, std::string sid,
                               std::string queue = "") {
  auto sub = std::make_shared<Subscription>();
  sub->sink = std::move(sink);
  sub->subject = std::move(subject);
  sub->sid = std::move(sid);
  sub->queue = std::move(queue);
  return sub;
}

}  // namespace tern::core
