#include "request_mux.h"

#include <charconv>

#include "wire.h"

namespace tern::internal {

RequestMux::RequestMux(std::string inbox_prefix) : base_(inbox_prefix + "." + NewNuid() + ".") {}

RequestMux::Ticket RequestMux::Register() {
  Ticket t;
  t.pending = std::make_shared<Pending>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    t.token = ++next_token_;
    pending_.emplace(t.token, t.pending);
  }
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), t.token);
  t.reply.reserve(base_.size() + static_cast<size_t>(end - digits));
  t.reply.append(base_).append(digits, end);
  return t;
}

void RequestMux::Cancel(const Ticket& ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(ticket.token);
}

Result<Message> RequestMux::Finish(const Ticket& ticket, std::chrono::milliseconds timeout) {
  Cancel(ticket);
  Pending& p = *ticket.pending;
  // Completed under p.mu: taking it orders the read after a Complete() that
  // raced with the timeout.
  std::lock_guard<std::mutex> lock(p.mu);
  if (!p.done.load(std::memory_order_relaxed)) {
    p.done.store(true, std::memory_order_relaxed);  // a late reply is dropped, not written into a result no one reads
    return Status(Code::kTimeout, "no reply within " + std::to_string(timeout.count()) + "ms");
  }
  return std::move(p.result);
}

void RequestMux::Deliver(Message&& msg) {
  if (msg.subject.size() <= base_.size()) return;
  std::string_view token_text = std::string_view(msg.subject).substr(base_.size());
  uint64_t token = 0;
  auto [end, ec] = std::from_chars(token_text.data(), token_text.data() + token_text.size(), token);
  if (ec != std::errc() || end != token_text.data() + token_text.size()) return;  // not one of ours
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end()) return;  // late or duplicate answer: first one already won
    p = std::move(it->second);
    pending_.erase(it);
  }
  p->Complete([&] {
    if (msg.status == 503 && msg.data.empty()) {
      p->result = Status(Code::kNoResponders, "no responders");
    } else {
      p->result = std::move(msg);
    }
  });
}

void RequestMux::FailAll(const Status& status) {
  std::unordered_map<uint64_t, std::shared_ptr<Pending>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(pending_);
  }
  for (auto& [token, p] : all) p->Complete([&] { p->result = status; });
}

}  // namespace tern::internal
