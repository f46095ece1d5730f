// Connection events (connect, disconnect, auth failure, lame duck, admin
// actions) for troubleshooting: a bounded ring in memory that /eventz reads,
// and that the monitor thread copies to a JSON-lines file when one is
// configured, so no worker ever does file I/O for it.
//
// Threading: Add() from any thread (a worker at connect/close, the monitor
// thread for admin actions) under one mutex; it runs per connection event,
// never per message.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/conn_info.h"

namespace tern::server {

struct Event {
  enum class Type : uint8_t { kConnect, kDisconnect, kAuthFailure, kLameDuck, kAdmin };
  uint64_t seq = 0;  // 1, 2, ... in order of Add()
  WallClock::time_point time{};
  Type type = Type::kConnect;
  uint64_t cid = 0;
  std::string listener, ip;
  int port = 0;
  std::string name, lang, version;  // what CONNECT said, when it came
  std::string reason;               // disconnect / auth failure / admin action detail
  uint64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;  // disconnect: the connection's totals
};

std::string_view EventTypeName(Event::Type type);
// One JSON object (no newline), as /eventz and the log file write it.
std::string EventJson(const Event& event);

class EventLog {
 public:
  explicit EventLog(size_t max) : max_(max == 0 ? 1 : max) {}

  void Add(Event event);
  // Events with seq > `after`, oldest first, at most `limit`.
  std::vector<Event> Since(uint64_t after, size_t limit = SIZE_MAX) const;
  uint64_t last_seq() const;
  size_t size() const;
  size_t max() const { return max_; }
  // Bytes held now: the ring's entries and their strings (for the memory figure).
  size_t MemoryBytes() const;

 private:
  const size_t max_;
  mutable std::mutex mu_;
  std::deque<Event> ring_;
  uint64_t next_seq_ = 1;
};

}  // namespace tern::server
