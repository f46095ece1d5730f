// Request/reply over one shared inbox subscription.
//
// The connection subscribes once to <prefix>.<nuid>.* and each request gets a
// numeric token: its reply subject is <prefix>.<nuid>.<token>. Replies are
// matched here by whichever thread reads the socket (the I/O thread, or the
// requester itself, see conn_read.cc), never queued behind handlers; the
// first one wins, later ones for the same token find nothing and are dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "completion.h"
#include "tern/message.h"
#include "tern/status.h"

namespace tern::internal {

class RequestMux {
 public:
  explicit RequestMux(std::string inbox_prefix);

  // "_INBOX.<nuid>.*", what the connection subscribes to.
  std::string WildcardSubject() const { return base_ + "*"; }

  struct Pending : Completion {
    Result<Message> result{Status(Code::kTimeout, "")};
  };
  struct Ticket {
    uint64_t token = 0;
    std::string reply;  // the request's reply subject
    std::shared_ptr<Pending> pending;
  };
  Ticket Register();
  // The reply once ticket.pending is done, else kTimeout; removes the token
  // either way. The wait itself is the caller's (ConnImpl::AwaitCompletion).
  Result<Message> Finish(const Ticket& ticket, std::chrono::milliseconds timeout);
  void Cancel(const Ticket& ticket);
  // A message on the wildcard subscription. A 503 status becomes kNoResponders.
  void Deliver(Message&& msg);
  // Fails every waiting request (close).
  void FailAll(const Status& status);

 private:
  const std::string base_;  // "_INBOX.<nuid>."
  std::mutex mu_;
  uint64_t next_token_ = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Pending>> pending_;
};

}  // namespace tern::internal
