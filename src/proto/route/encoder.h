// Writers for the route protocol (parser.h lists the operations). They
// append to a route connection's output so one flush carries many; RMSG is
// on the hot path of every cross-node message, so it is written in place
// without a formatting library. INFO is in info.h (the one place JSON is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tern::proto::route {

inline constexpr std::string_view kPing = "PING\r\n";
inline constexpr std::string_view kPong = "PONG\r\n";
inline constexpr std::string_view kCrLf = "\r\n";

// "RS+ <subject>\r\n" or "RS+ <subject> <queue> <weight>\r\n".
void AppendSubscribe(std::string& out, std::string_view subject, std::string_view queue, uint32_t weight);
// "RS- <subject> [<queue>]\r\n".
void AppendUnsubscribe(std::string& out, std::string_view subject, std::string_view queue);
// "RSYNC <count>\r\n": the count RS+ sent before it were the full resync.
void AppendSyncDone(std::string& out, uint64_t count);
void AppendBarrier(std::string& out, uint64_t token);
void AppendBarrierAck(std::string& out, std::string_view token);
// "-ERR '<text>'\r\n".
void AppendError(std::string& out, std::string_view text);

// The control line of RMSG (no headers) or HRMSG alone, for a payload
// written separately (shared by reference) and followed by kCrLf.
void AppendMessageHeader(std::string& out, std::string_view subject, std::string_view reply,
                         std::span<const std::string_view> queues, size_t headers_size, size_t payload_size);
// The whole message: control line, headers, payload, CRLF.
void AppendMessage(std::string& out, std::string_view subject, std::string_view reply,
                   std::span<const std::string_view> queues, std::string_view headers, std::string_view payload);
// At least the bytes AppendMessage writes, for a pending-output check.
size_t MessageSizeBound(std::string_view subject, std::string_view reply, std::span<const std::string_view> queues,
                        size_t body);

}  // namespace tern::proto::route
