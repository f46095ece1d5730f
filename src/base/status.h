// Errors as values for the server side (io, server start-up, config): a
// Status is ok or carries a message that names what failed and why, ready to
// be logged or shown to a user; Result<T> is a value or the Status saying why
// there is none. The client library has its own richer tern::Status with
// codes its callers switch on; this one only needs to explain itself.
#pragma once

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace tern::base {

class [[nodiscard]] Status {
 public:
  Status() = default;
  explicit Status(std::string message) : message_(std::move(message)), failed_(true) {}

  static Status Ok() { return Status(); }
  // "what: strerror(errno)", for a failed system call.
  static Status FromErrno(const std::string& what, int error = errno) {
    return Status(what + ": " + std::strerror(error));
  }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
  bool failed_ = false;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tern::base
