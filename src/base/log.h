// Leveled logging to stderr or a file. The level check is an inline load, so
// a disabled debug/trace line costs nothing on the hot path.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>

namespace tern::log {

enum class Level : int { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// Parses "trace|debug|info|warn|error|off"; false when the name is unknown.
bool ParseLevel(std::string_view name, Level* out);
std::string_view LevelName(Level level);

void SetLevel(Level level);
// Empty path means stderr. Returns false (and keeps the old sink) on failure.
bool SetFile(const std::string& path);

extern std::atomic<int> g_level;
inline bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view message);

// At most `max` bytes of untrusted input for a log line, control bytes
// escaped ("BOGUS\r\n..."), so a hostile client cannot forge log lines.
std::string Excerpt(std::string_view bytes, size_t max);

template <typename... Args>
void Log(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (!Enabled(level)) return;
  Write(level, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void Trace(fmt::format_string<Args...> f, Args&&... a) {
  Log(Level::kTrace, f, std::forward<Args>(a)...);
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... a) {
  Log(Level::kDebug, f, std::forward<Args>(a)...);
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... a) {
  Log(Level::kInfo, f, std::forward<Args>(a)...);
}
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... a) {
  Log(Level::kWarn, f, std::forward<Args>(a)...);
}
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... a) {
  Log(Level::kError, f, std::forward<Args>(a)...);
}

}  // namespace tern::log
