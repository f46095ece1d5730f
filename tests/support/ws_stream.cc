#include "ws_stream.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "ws_frame.h"

namespace tern::testing {
namespace {

constexpr size_t kMaxResponseHead = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    if (Lower(Trim(value.substr(start, comma - start))) == Lower(token)) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

std::unique_ptr<WsStream> WsStream::Upgrade(std::unique_ptr<ByteStream> lower, const std::string& host_header,
                                            const std::string& path, Deadline deadline, std::string* error) {
  const std::string key = ws::NewKey();
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host_header +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                              "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  std::string why;
  if (lower->Write(request, deadline, &why) != IoStatus::kOk) {
    *error = "sending the upgrade request: " + why;
    return nullptr;
  }
  std::string head;
  size_t end;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > kMaxResponseHead) {
      *error = "upgrade response head longer than 16 KiB: " + Show(head);
      return nullptr;
    }
    if (lower->Read(&head, deadline, &why) != IoStatus::kOk) {
      *error = "reading the upgrade response: " + why + (head.empty() ? "" : " after '" + Show(head) + "'");
      return nullptr;
    }
  }
  const std::string status_line = head.substr(0, head.find("\r\n"));
  if (status_line.rfind("HTTP/1.1 101", 0) != 0) {
    *error = "upgrade refused: '" + Show(head) + "'";
    return nullptr;
  }
  std::multimap<std::string, std::string> headers;
  for (size_t pos = status_line.size() + 2; pos < end;) {
    size_t eol = head.find("\r\n", pos);
    std::string_view line(head.data() + pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) headers.emplace(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
    pos = eol + 2;
  }
  auto value = [&headers](const std::string& name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  const std::string shown = " in '" + Show(head.substr(0, end)) + "'";
  if (Lower(value("upgrade")) != "websocket") {
    *error = "101 without 'Upgrade: websocket'" + shown;
    return nullptr;
  }
  if (!HasToken(value("connection"), "upgrade")) {
    *error = "101 without 'Connection: Upgrade'" + shown;
    return nullptr;
  }
  if (value("sec-websocket-accept") != ws::AcceptFor(key)) {
    *error = "Sec-WebSocket-Accept is not the one for key " + key + " (want " + ws::AcceptFor(key) + ")" + shown;
    return nullptr;
  }
  if (headers.count("sec-websocket-extensions") != 0) {
    *error = "server accepted an extension nobody offered" + shown;
    return nullptr;
  }
  std::unique_ptr<WsStream> stream(new WsStream(std::move(lower)));
  stream->in_ = head.substr(end + 4);  // frames that came with the response
  return stream;
}

void WsStream::SendControl(uint8_t opcode, std::string_view payload, std::chrono::milliseconds wait) {
  std::string ignored;
  lower_->Write(ws::ClientFrame(static_cast<ws::Opcode>(opcode), payload), std::chrono::steady_clock::now() + wait,
                &ignored);
  if (opcode == ws::kClose) close_sent_ = true;
}

IoStatus WsStream::Write(std::string_view data, Deadline deadline, std::string* error) {
  std::string frames;
  for (size_t off = 0; off < data.size(); off += kMaxFrame) {
    frames += ws::ClientFrame(ws::kBinary, data.substr(off, kMaxFrame));
  }
  return lower_->Write(frames, deadline, error);
}

bool WsStream::Drain(std::string* out, std::string* error, bool* failed) {
  bool got_data = false;
  for (;;) {
    ws::Frame frame;
    size_t used = 0;
    switch (ws::DecodeServerFrame(in_, &frame, &used, error)) {
      case ws::Decode::kNeedMore:
        return got_data;
      case ws::Decode::kError:
        *error += ": '" + Show(in_, 40) + "'";
        *failed = true;
        return got_data;
      case ws::Decode::kFrame:
        break;
    }
    in_.erase(0, used);
    if (close_code_ && frame.opcode != ws::kClose) {
      *error = "server sent a frame after its close frame";
      *failed = true;
      return got_data;
    }
    switch (frame.opcode) {
      case ws::kText:
      case ws::kBinary:
      case ws::kContinuation:
        if ((frame.opcode == ws::kContinuation) != in_message_) {
          *error = in_message_ ? "server began a new message inside a fragmented one"
                               : "server sent a continuation frame outside a message";
          *failed = true;
          return got_data;
        }
        in_message_ = !frame.fin;
        *out += frame.payload;
        got_data = got_data || !frame.payload.empty();
        break;
      case ws::kPing:
        SendControl(ws::kPong, frame.payload);
        break;
      case ws::kPong:
        ++pongs_;
        last_pong_ = frame.payload;
        break;
      case ws::kClose:
        if (frame.payload.size() == 1) {
          *error = "server close frame has a 1-byte body";
          *failed = true;
          return got_data;
        }
        close_code_ = frame.payload.empty() ? 1005
                                            : static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                                                                    static_cast<uint8_t>(frame.payload[1]));
        close_reason_ = frame.payload.size() > 2 ? frame.payload.substr(2) : "";
        // RFC 6455 5.5.1: answer with a close of our own, echoing the code.
        if (!close_sent_) SendControl(ws::kClose, frame.payload.substr(0, 2));
        break;
    }
  }
}

IoStatus WsStream::Read(std::string* out, Deadline deadline, std::string* error) {
  for (;;) {
    bool failed = false;
    if (Drain(out, error, &failed)) return IoStatus::kOk;
    if (failed) return IoStatus::kError;
    std::string why;
    IoStatus s = lower_->Read(&in_, deadline, &why);
    if (s == IoStatus::kOk) continue;
    if (s == IoStatus::kClosed && close_code_) {
      *error = "connection closed by server (WebSocket close " + std::to_string(*close_code_) + " '" +
               Show(close_reason_) + "')";
    } else if (s == IoStatus::kTimeout && close_code_) {
      // RFC 6455 7.1.1: after the close handshake the server closes TCP first.
      *error = "server sent close " + std::to_string(*close_code_) + " but keeps the TCP connection open";
    } else {
      *error = why;
    }
    return s;
  }
}

void WsStream::ShutdownWrite() {
  if (!close_sent_) SendControl(ws::kClose, ws::ClosePayload(1000));
  lower_->ShutdownWrite();
}

void WsStream::Goodbye() {
  // Short: a server that stopped reading must not stall the test's teardown.
  if (!close_sent_ && !close_code_) SendControl(ws::kClose, ws::ClosePayload(1000), std::chrono::milliseconds(50));
  lower_->Goodbye();
}

}  // namespace tern::testing
