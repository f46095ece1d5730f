// A handle to one subscription. Copies share the same subscription; letting
// every handle go does NOT unsubscribe (as in the NATS clients): the handler
// keeps running until Unsubscribe(), Drain() or the connection closes.
//
// Thread-safety: every method may be called from any thread, including from
// the subscription's own handler (except Drain(), which waits for handlers and
// returns kInvalidArgument when called from one).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tern/message.h"
#include "tern/status.h"

namespace tern {

namespace internal {
struct SubState;
}

using Handler = std::function<void(const Message&)>;

class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::shared_ptr<internal::SubState> state) : state_(std::move(state)) {}

  bool valid() const { return state_ != nullptr; }
  // False once unsubscribed, drained, auto-unsubscribed and delivered, or closed.
  bool active() const;
  const std::string& subject() const;
  const std::string& queue() const;
  uint64_t sid() const;
  bool is_channel() const;

  // Stops delivery now; messages still queued are discarded.
  Status Unsubscribe();
  // Unsubscribes after max messages in total have been received (counting
  // those already received); survives reconnects.
  Status AutoUnsubscribe(uint64_t max);
  // Stops interest, lets every message already sent by the server arrive and
  // be handled (or stay readable with Next() for channels), then closes.
  Status Drain(std::chrono::milliseconds timeout);

  // Channel subscriptions only: the next queued message, waiting up to
  // timeout. kTimeout when none came, kClosed once closed and empty.
  Result<Message> Next(std::chrono::milliseconds timeout);
  // Channel subscriptions only: a queued message if there is one, now.
  std::optional<Message> TryNext();

  // Bounds of the pending queue; past either, messages are dropped and counted.
  void SetPendingLimits(size_t max_msgs, size_t max_bytes);
  uint64_t received() const;   // taken off the wire for this subscription
  uint64_t delivered() const;  // handed to the handler / returned by Next()
  uint64_t dropped() const;    // dropped because the pending queue was full
  size_t pending() const;      // queued, not yet delivered

 private:
  std::shared_ptr<internal::SubState> state_;
};

}  // namespace tern
