// Request/reply over one shared inbox subscription.
//
// The connection subscribes once to <prefix>.<nuid>.* and each request gets a
// token: its reply subject is <prefix>.<nuid>.<token>. Replies are matched
// here on the I/O thread (never queued behind handlers), the first one wins,
// later ones for the same token find nothing and are dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tern/message.h"
#include "tern/status.h"

namespace tern::internal {

class RequestMux {
 public:
  explicit RequestMux(std::string inbox_prefix);

  // "_INBOX.<nuid>.*", what the connection subscribes to.
  std::string WildcardSubject() const { return base_ + "*"; }

  struct Pending;
  struct Ticket {
    std::string reply;  // the request's reply subject
    std::shared_ptr<Pending> pending;
  };
  Ticket Register();
  // Waits for the reply of the ticket; removes the token either way.
  Result<Message> Wait(const Ticket& ticket, std::chrono::milliseconds timeout);
  void Cancel(const Ticket& ticket);
  // A message on the wildcard subscription. A 503 status becomes kNoResponders.
  void Deliver(Message&& msg);
  // Fails every waiting request (close).
  void FailAll(const Status& status);

 private:
  const std::string base_;  // "_INBOX.<nuid>."
  std::mutex mu_;
  uint64_t next_token_ = 0;
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;
};

}  // namespace tern::internal
