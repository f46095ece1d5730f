#include "tern/patterns.h"

namespace tern {

Status Notify(Connection& conn, std::string_view subject, std::string_view data) { return conn.Publish(subject, data); }

Result<Subscription> OnNotify(Connection& conn, std::string_view subject, std::string_view group, Handler handler) {
  if (group.empty()) return Status(Code::kInvalidArgument, "notify receivers need a group");
  return conn.QueueSubscribe(subject, group, std::move(handler));
}

Result<Message> Call(Connection& conn, std::string_view subject, std::string_view data,
                     std::chrono::milliseconds timeout) {
  return conn.Request(subject, data, timeout);
}

Result<Subscription> Serve(Connection& conn, std::string_view subject, std::string_view group, CallHandler handler) {
  if (!handler) return Status(Code::kInvalidArgument, "Serve without a handler");
  Handler wrapped = [&conn, handler = std::move(handler)](const Message& msg) {
    std::string reply = handler(msg);
    if (!msg.reply.empty()) (void)conn.Publish(msg.reply, reply);
  };
  if (group.empty()) return conn.Subscribe(subject, std::move(wrapped));
  return conn.QueueSubscribe(subject, group, std::move(wrapped));
}

Status Broadcast(Connection& conn, std::string_view subject, std::string_view data) {
  return conn.Publish(subject, data);
}

Result<Subscription> OnBroadcast(Connection& conn, std::string_view subject, Handler handler) {
  return conn.Subscribe(subject, std::move(handler));
}

Result<Message> AskAll(Connection& conn, std::string_view subject, std::string_view data,
                       std::chrono::milliseconds timeout) {
  // A plain request already has these semantics: every plain subscriber sees
  // it, the shared inbox keeps only the first reply per token.
  return conn.Request(subject, data, timeout);
}

Result<Subscription> Answer(Connection& conn, std::string_view subject, AnswerHandler handler) {
  if (!handler) return Status(Code::kInvalidArgument, "Answer without a handler");
  return conn.Subscribe(subject, [&conn, handler = std::move(handler)](const Message& msg) {
    std::optional<std::string> answer = handler(msg);
    if (answer && !msg.reply.empty()) (void)conn.Publish(msg.reply, *answer);
  });
}

}  // namespace tern
