#include "tern/join.h"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace tern {

struct Join::State {
  std::mutex mu;
  std::condition_variable cv;
  bool all = true;
  std::vector<std::optional<Message>> got;
  size_t count = 0;
  bool fired = false;    // decided: the handler will run (or Cancel() won)
  bool handled = false;  // the handler has returned
  std::vector<Subscription> subs;
  Handler handler;

  // Dropping the last Join handle cancels a join that has not fired.
  ~State() {
    for (Subscription& s : subs) (void)s.Unsubscribe();
  }

  void UnsubscribeAll() {
    std::vector<Subscription> subs_copy;
    {
      std::lock_guard<std::mutex> lock(mu);
      subs_copy = subs;
    }
    for (Subscription& s : subs_copy) (void)s.Unsubscribe();
  }
};

Result<Join> Join::All(Connection& conn, std::vector<std::string> subjects, Handler handler) {
  return Start(conn, std::move(subjects), std::move(handler), true);
}

Result<Join> Join::Race(Connection& conn, std::vector<std::string> subjects, Handler handler) {
  return Start(conn, std::move(subjects), std::move(handler), false);
}

Result<Join> Join::Start(Connection& conn, std::vector<std::string> subjects, Handler handler, bool all) {
  if (subjects.empty()) return Status(Code::kInvalidArgument, "join over no subjects");
  if (!handler) return Status(Code::kInvalidArgument, "join without a handler");
  auto state = std::make_shared<State>();
  state->all = all;
  state->got.resize(subjects.size());
  state->handler = std::move(handler);
  std::vector<SubscribeSpec> specs;
  for (size_t i = 0; i < subjects.size(); ++i) {
    // Weak: the subscriptions must not keep the state (and so themselves) alive.
    std::weak_ptr<State> weak = state;
    specs.push_back({subjects[i], "", [weak, i](const Message& msg) {
                       auto s = weak.lock();
                       if (!s) return;
                       std::vector<Message> out;
                       {
                         std::lock_guard<std::mutex> lock(s->mu);
                         if (s->fired) return;
                         if (!s->all) {
                           out.push_back(msg);
                         } else {
                           if (s->got[i]) return;  // keep the first message of each subject
                           s->got[i] = msg;
                           if (++s->count < s->got.size()) return;
                           for (auto& m : s->got) out.push_back(std::move(*m));
                         }
                         s->fired = true;
                       }
                       s->UnsubscribeAll();
                       s->handler(out);
                       std::lock_guard<std::mutex> lock(s->mu);
                       s->handled = true;
                       s->cv.notify_all();
                     }});
  }
  auto subs = conn.SubscribeBatch(specs);
  if (!subs.ok()) return subs.status();
  {
    std::lock_guard<std::mutex> lock(state->mu);
    state->subs = std::move(subs.value());
  }
  // A message may have fired the join before subs was filled in.
  bool fired;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    fired = state->fired;
  }
  if (fired) state->UnsubscribeAll();
  return Join(std::move(state));
}

bool Join::fired() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->handled;
}

Status Join::Wait(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(state_->mu);
  if (!state_->cv.wait_for(lock, timeout, [&] { return state_->handled; })) {
    return Status(Code::kTimeout, "join did not fire within " + std::to_string(timeout.count()) + "ms");
  }
  return Status::Ok();
}

void Join::Cancel() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->fired) return;
    state_->fired = true;
  }
  state_->UnsubscribeAll();
}

}  // namespace tern
