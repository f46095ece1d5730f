#include "request_mux.h"

#include "wire.h"

namespace tern::internal {

struct RequestMux::Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Result<Message> result{Status(Code::kTimeout, "")};
};

RequestMux::RequestMux(std::string inbox_prefix) : base_(inbox_prefix + "." + NewNuid() + ".") {}

RequestMux::Ticket RequestMux::Register() {
  Ticket t;
  t.pending = std::make_shared<Pending>();
  std::lock_guard<std::mutex> lock(mu_);
  std::string token = std::to_string(++next_token_);
  t.reply = base_ + token;
  pending_.emplace(std::move(token), t.pending);
  return t;
}

void RequestMux::Cancel(const Ticket& ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(ticket.reply.substr(base_.size()));
}

Result<Message> RequestMux::Wait(const Ticket& ticket, std::chrono::milliseconds timeout) {
  Pending& p = *ticket.pending;
  std::unique_lock<std::mutex> lock(p.mu);
  bool done = p.cv.wait_for(lock, timeout, [&] { return p.done; });
  lock.unlock();
  Cancel(ticket);
  if (!done) return Status(Code::kTimeout, "no reply within " + std::to_string(timeout.count()) + "ms");
  return std::move(p.result);
}

void RequestMux::Deliver(Message&& msg) {
  if (msg.subject.size() <= base_.size()) return;
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(msg.subject.substr(base_.size()));
    if (it == pending_.end()) return;  // late or duplicate answer: first one already won
    p = std::move(it->second);
    pending_.erase(it);
  }
  std::lock_guard<std::mutex> lock(p->mu);
  if (msg.status == 503 && msg.data.empty()) {
    p->result = Status(Code::kNoResponders, "no responders");
  } else {
    p->result = std::move(msg);
  }
  p->done = true;
  p->cv.notify_all();
}

void RequestMux::FailAll(const Status& status) {
  std::unordered_map<std::string, std::shared_ptr<Pending>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(pending_);
  }
  for (auto& [token, p] : all) {
    std::lock_guard<std::mutex> lock(p->mu);
    p->result = status;
    p->done = true;
    p->cv.notify_all();
  }
}

}  // namespace tern::internal
