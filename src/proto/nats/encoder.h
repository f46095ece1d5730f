// Writers for what a NATS server sends to a client: MSG, HMSG, PING, PONG,
// +OK, -ERR. They append to a connection's out-buffer, so a flush carries many
// messages; INFO is in connect_info.h (the one place JSON is built).
//
// Hot path: no formatting library, no temporaries; each call grows the buffer
// at most twice (the header line, then the payload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern::proto::nats {

inline constexpr std::string_view kPing = "PING\r\n";
inline constexpr std::string_view kPong = "PONG\r\n";
inline constexpr std::string_view kOk = "+OK\r\n";
inline constexpr std::string_view kCrLf = "\r\n";

// Writes `value` in decimal ending just before `end`; returns where it starts.
// `end` needs 20 bytes of room before it.
inline char* FormatDecimal(uint64_t value, char* end) {
  char* p = end;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return p;
}

// "MSG <subject> <sid> [reply] <size>\r\n" only: for a payload shared by
// reference (written separately, followed by kCrLf).
void AppendMsgHeader(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                     size_t payload_size);
// "HMSG <subject> <sid> [reply] <hdr_len> <total_len>\r\n" only.
void AppendHmsgHeader(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                      size_t headers_size, size_t payload_size);

// "MSG <subject> <sid> [reply] <size>\r\n<payload>\r\n"; reply empty = absent.
void AppendMsg(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
               std::string_view payload);
// "HMSG <subject> <sid> [reply] <hdr_len> <total_len>\r\n<headers><payload>\r\n",
// total_len = hdr_len + payload size; `headers` includes its CRLFCRLF.
void AppendHmsg(std::string& out, std::string_view subject, std::string_view sid, std::string_view reply,
                std::string_view headers, std::string_view payload);

// "-ERR '<text>'\r\n", the form nats-server uses for every error.
void AppendErr(std::string& out, std::string_view text);

}  // namespace tern::proto::nats
