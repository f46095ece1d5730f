#include "tern/status.h"

#include "tern/options.h"

namespace tern {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kTimeout:
      return "timeout";
    case Code::kNoResponders:
      return "no responders";
    case Code::kDisconnected:
      return "disconnected";
    case Code::kBufferFull:
      return "buffer full";
    case Code::kClosed:
      return "closed";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kConnectFailed:
      return "connect failed";
    case Code::kAuthFailed:
      return "authentication failed";
    case Code::kServerError:
      return "server error";
    case Code::kProtocolError:
      return "protocol error";
    case Code::kNotSupported:
      return "not supported";
    case Code::kPipelineEnd:
      return "pipeline end";
  }
  return "unknown";
}

std::string Status::ToString() const {
  std::string out(CodeName(code_));
  if (!message_.empty()) out.append(": ").append(message_);
  return out;
}

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kDisconnected:
      return "disconnected";
    case EventType::kReconnected:
      return "reconnected";
    case EventType::kClosed:
      return "closed";
    case EventType::kSlowConsumer:
      return "slow consumer";
    case EventType::kServerError:
      return "server error";
    case EventType::kLameDuck:
      return "lame duck";
  }
  return "unknown";
}

}  // namespace tern
