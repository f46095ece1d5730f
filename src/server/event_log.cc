#include "server/event_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "base/json_quote.h"

namespace tern::server {

std::string_view EventTypeName(Event::Type type) {
  switch (type) {
    case Event::Type::kConnect:
      return "connect";
    case Event::Type::kDisconnect:
      return "disconnect";
    case Event::Type::kAuthFailure:
      return "auth_failure";
    case Event::Type::kLameDuck:
      return "lame_duck";
    case Event::Type::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::string EventJson(const Event& e) {
  auto micros = std::chrono::time_point_cast<std::chrono::microseconds>(e.time);
  std::string out = fmt::format(R"({{"seq":{},"time":"{:%Y-%m-%dT%H:%M:%S}Z","type":"{}")", e.seq, micros,
                                EventTypeName(e.type));
  if (e.cid != 0) out += fmt::format(R"(,"cid":{})", e.cid);
  auto str = [&out](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    out += fmt::format(R"(,"{}":)", key);
    out += JsonQuote(value);
  };
  str("listener", e.listener);
  str("ip", e.ip);
  if (e.port != 0) out += fmt::format(R"(,"port":{})", e.port);
  str("name", e.name);
  str("lang", e.lang);
  str("version", e.version);
  str("reason", e.reason);
  if (e.type == Event::Type::kDisconnect) {
    out += fmt::format(R"(,"in_msgs":{},"out_msgs":{},"in_bytes":{},"out_bytes":{})", e.in_msgs, e.out_msgs,
                       e.in_bytes, e.out_bytes);
  }
  out += '}';
  return out;
}

void EventLog::Add(Event event) {
  std::lock_guard lock(mu_);
  event.seq = next_seq_++;
  if (event.time == WallClock::time_point{}) event.time = WallClock::now();
  if (ring_.size() == max_) ring_.pop_front();
  ring_.push_back(std::move(event));
}

std::vector<Event> EventLog::Since(uint64_t after, size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  for (const Event& e : ring_) {
    if (e.seq <= after) continue;
    if (out.size() >= limit) break;
    out.push_back(e);
  }
  return out;
}

uint64_t EventLog::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

size_t EventLog::size() const {
  std::lock_guard lock(mu_);
  return ring_.size();
}

size_t EventLog::MemoryBytes() const {
  std::lock_guard lock(mu_);
  size_t bytes = sizeof(*this);
  auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  for (const Event& e : ring_) {
    bytes += sizeof(Event) + heap(e.listener) + heap(e.ip) + heap(e.name) + heap(e.lang) + heap(e.version) +
             heap(e.reason);
  }
  return bytes;
}

}  // namespace tern::server
