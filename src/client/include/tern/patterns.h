// The four basic messaging patterns, each a pair of calls: one for the side
// that sends, one for the side that receives. They are thin on purpose: the
// wire is plain NATS, so a peer written with any NATS client interoperates.
//
//   notify     Notify() -> one member of the group given to OnNotify()
//   call       Call() -> one member of the group given to Serve(), which answers
//   broadcast  Broadcast() -> every OnBroadcast() subscriber
//   ask-all    AskAll() -> every Answer() subscriber; the first answer wins
//
// Thread-safety: like Connection, every function may be called from any
// thread. Handlers run per the connection's DispatchMode.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tern/connection.h"

namespace tern {

// Fire-and-forget to exactly one member of the receiving group (a queue group
// on the server). Ok means handed to the connection, not that anyone got it.
Status Notify(Connection& conn, std::string_view subject, std::string_view data);
Result<Subscription> OnNotify(Connection& conn, std::string_view subject, std::string_view group, Handler handler);

// A request to one member of the group. The server's "no responders" (nobody
// serves the subject) is kNoResponders; a member that does not answer in time
// is kTimeout.
Result<Message> Call(Connection& conn, std::string_view subject, std::string_view data,
                     std::chrono::milliseconds timeout);
// The returned string is the reply payload.
using CallHandler = std::function<std::string(const Message&)>;
Result<Subscription> Serve(Connection& conn, std::string_view subject, std::string_view group, CallHandler handler);

// Every subscriber sees it.
Status Broadcast(Connection& conn, std::string_view subject, std::string_view data);
Result<Subscription> OnBroadcast(Connection& conn, std::string_view subject, Handler handler);

// Every Answer() subscriber sees the question; the first answer to arrive is
// returned and later ones are dropped. Nobody listening: kNoResponders.
// Listeners exist but none answered in time: kTimeout.
Result<Message> AskAll(Connection& conn, std::string_view subject, std::string_view data,
                       std::chrono::milliseconds timeout);
// Return nullopt to stay silent (let another subscriber answer).
using AnswerHandler = std::function<std::optional<std::string>(const Message&)>;
Result<Subscription> Answer(Connection& conn, std::string_view subject, AnswerHandler handler);

}  // namespace tern
