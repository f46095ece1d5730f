// Join: one handler over a set of subjects.
//   All:  fires once, after every subject has delivered at least one message,
//         with the first message of each, in the order the subjects were given.
//   Race: fires once, with the first message of any of them.
// Either way it then unsubscribes from all of them. The subscriptions go out
// in one write (SubscribeBatch), so none can miss a message published after
// All()/Race() returned and a Flush().
//
// Keep the Join handle: dropping its last copy before it fires cancels it.
// Thread-safety: the handler runs at most once, on a dispatch thread; the
// Join handle may be used from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tern/connection.h"

namespace tern {

class Join {
 public:
  using Handler = std::function<void(const std::vector<Message>&)>;  // Race: exactly one message

  static Result<Join> All(Connection& conn, std::vector<std::string> subjects, Handler handler);
  static Result<Join> Race(Connection& conn, std::vector<std::string> subjects, Handler handler);

  bool fired() const;
  // Waits until the handler has run: kTimeout if it did not in time.
  Status Wait(std::chrono::milliseconds timeout) const;
  // Unsubscribes without firing (no effect after firing).
  void Cancel();

  struct State;

 private:
  explicit Join(std::shared_ptr<State> state) : state_(std::move(state)) {}
  static Result<Join> Start(Connection& conn, std::vector<std::string> subjects, Handler handler, bool all);
  std::shared_ptr<State> state_;
};

}  // namespace tern
