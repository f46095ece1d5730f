// A WebSocket client over TCP or TLS: the HTTP/1.1 upgrade (checked: 101,
// Upgrade, Connection, Sec-WebSocket-Accept, no extension we did not offer),
// then NATS bytes in masked binary frames. The server's pings are answered,
// its close frame is answered and recorded, and what reads as a stream to
// the caller is the concatenated payload of its data frames.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "byte_stream.h"

namespace tern::testing {

class WsStream final : public ByteStream {
 public:
  // Largest frame Write() sends; longer writes go out as several frames,
  // each a whole message, which NATS does not mind.
  static constexpr size_t kMaxFrame = 64 * 1024;

  // Sends the upgrade request (Host: `host_header`, path `path`) and checks
  // the answer; nullptr with why in *error (including the status line and
  // body when the server refused).
  static std::unique_ptr<WsStream> Upgrade(std::unique_ptr<ByteStream> lower, const std::string& host_header,
                                           const std::string& path, Deadline deadline, std::string* error);

  IoStatus Write(std::string_view data, Deadline deadline, std::string* error) override;
  IoStatus Read(std::string* out, Deadline deadline, std::string* error) override;
  void ShutdownWrite() override;
  void Goodbye() override;
  int fd() const override { return lower_->fd(); }

  // The stream under the framing, for tests that write frames themselves.
  ByteStream& lower() { return *lower_; }
  // The server's close frame, once one arrived (1005 when it had no body).
  std::optional<uint16_t> close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  int pongs_received() const { return pongs_; }
  const std::string& last_pong() const { return last_pong_; }

 private:
  explicit WsStream(std::unique_ptr<ByteStream> lower) : lower_(std::move(lower)) {}
  // Handles the frames buffered in in_; true when data reached *out.
  bool Drain(std::string* out, std::string* error, bool* failed);
  void SendControl(uint8_t opcode, std::string_view payload, std::chrono::milliseconds wait = std::chrono::seconds(1));

  std::unique_ptr<ByteStream> lower_;
  std::string in_;
  bool in_message_ = false;  // inside a fragmented message
  bool close_sent_ = false;
  std::optional<uint16_t> close_code_;
  std::string close_reason_;
  int pongs_ = 0;
  std::string last_pong_;
};

}  // namespace tern::testing
