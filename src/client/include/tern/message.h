// A message as the application sees it: subject, optional reply subject,
// optional headers and the payload, each owned (copied once out of the read
// buffer) so handlers may keep or copy them.
//
// Thread-safety: plain values. Concurrent reads are safe; a Message or
// Headers being modified must not be shared without a lock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern {

// NATS headers: an ordered multimap of "Key: value" lines after "NATS/1.0".
// Keys compare case-sensitively, as nats-server and the Go client do.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(std::string key, std::string value) { entries_.emplace_back(std::move(key), std::move(value)); }
  // Replaces every value of key with one.
  void Set(std::string key, std::string value);
  void Remove(std::string_view key);
  // First value of key, if any. The view lives as long as this object is unchanged.
  std::optional<std::string_view> Get(std::string_view key) const;
  std::vector<std::string_view> GetAll(std::string_view key) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Wire form: "NATS/1.0\r\nKey: value\r\n...\r\n" (empty string when empty).
  std::string Encode() const;
  // Parses a header block as it arrives in HMSG. The inline status of
  // "NATS/1.0 503 No Responders" goes to *status / *description when given.
  // Returns false when the block is malformed.
  static bool Decode(std::string_view block, Headers* out, int* status = nullptr, std::string* description = nullptr);

 private:
  std::vector<Entry> entries_;
};

struct Message {
  std::string subject;
  std::string reply;  // empty when the sender expects no answer
  Headers headers;
  std::string data;
  // Inline status of an HMSG ("NATS/1.0 503" gives 503); 0 when none.
  int status = 0;
  std::string status_description;

  Message() = default;
  Message(std::string subj, std::string payload) : subject(std::move(subj)), data(std::move(payload)) {}
  Message(std::string subj, std::string rep, std::string payload)
      : subject(std::move(subj)), reply(std::move(rep)), data(std::move(payload)) {}
};

}  // namespace tern
