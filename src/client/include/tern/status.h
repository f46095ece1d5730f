// Errors as values. Every expected failure of the client API (timeout, no
// responders, disconnected, buffer full, ...) comes back as a Status or a
// Result<T>; nothing in the public API throws for them.
//
// Thread-safety: plain values, like std::string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tern {

enum class Code : uint8_t {
  kOk = 0,
  kTimeout,          // no answer / no PONG / no ack within the deadline
  kNoResponders,     // a request found no subscriber at all (503 from the server)
  kDisconnected,     // the connection dropped while the call was waiting
  kBufferFull,       // the outgoing (or reconnect) buffer is at its bound
  kClosed,           // the connection or subscription is closed
  kInvalidArgument,  // bad subject, empty queue name, payload too large, wrong kind of call
  kConnectFailed,    // no server could be reached
  kAuthFailed,       // the server refused the credentials
  kServerError,      // the server answered -ERR
  kProtocolError,    // the server sent bytes we cannot parse
  kNotSupported,     // something this client or the server cannot do
  kPipelineEnd,      // next() called at the last stage of a pipeline
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "timeout: no reply within 100ms" or "ok".
  std::string ToString() const;

  friend bool operator==(const Status& a, Code c) { return a.code_ == c; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  Result(Code code, std::string message) : status_(code, std::move(message)) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  Code code() const { return status_.code(); }

  // Only valid when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tern
