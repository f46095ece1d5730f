#include "tern/direct.h"

namespace tern {
namespace {
constexpr std::string_view kAck = "+ACK";
}

std::string DirectSubject(std::string_view client_id) { return std::string(kDirectPrefix) + std::string(client_id); }

Result<Subscription> ListenDirect(Connection& conn, Handler handler) {
  if (!handler) return Status(Code::kInvalidArgument, "ListenDirect without a handler");
  return conn.Subscribe(DirectSubject(conn.id()), [&conn, handler = std::move(handler)](const Message& msg) {
    handler(msg);
    // The ack means "the application has taken it", so it goes after the handler.
    if (!msg.reply.empty()) (void)conn.Publish(msg.reply, kAck);
  });
}

Status SendDirect(Connection& conn, std::string_view client_id, std::string_view data,
                  std::chrono::milliseconds timeout) {
  if (client_id.empty() || client_id.find_first_of(". *>\t\r\n") != std::string_view::npos) {
    return Status(Code::kInvalidArgument, "invalid client id '" + std::string(client_id) + "'");
  }
  Message msg(DirectSubject(client_id), std::string(data));
  msg.headers.Add(std::string(kDirectFromHeader), conn.id());
  Result<Message> reply = conn.Request(msg, timeout);
  if (!reply.ok()) {
    if (reply.code() == Code::kNoResponders) {
      return Status(Code::kNoResponders, "no client '" + std::string(client_id) + "' is listening");
    }
    if (reply.code() == Code::kTimeout) {
      return Status(Code::kTimeout, "no delivery ack from '" + std::string(client_id) + "' within " +
                                        std::to_string(timeout.count()) + "ms");
    }
    return reply.status();
  }
  if (reply->data != kAck) return Status(Code::kProtocolError, "unexpected ack payload '" + reply->data + "'");
  return Status::Ok();
}

}  // namespace tern
