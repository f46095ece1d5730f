// How nats-server writes times and durations in its monitoring JSON, so
// tools that parse its /varz and /connz parse ours: RFC 3339 with
// nanoseconds in UTC ("2026-12-02T01:40:26.651348977Z"), Go's
// time.Duration.String() ("836.5µs", "1m2.5s") and its uptime form
// ("1d2h3m4s").
#pragma once

#include <chrono>
#include <string>

namespace tern::monitor {

using WallClock = std::chrono::system_clock;

std::string Rfc3339(WallClock::time_point t);
std::string GoDuration(std::chrono::nanoseconds d);
std::string Uptime(std::chrono::nanoseconds d);

}  // namespace tern::monitor
