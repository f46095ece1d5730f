#include "base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>

namespace tern::log {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

namespace {
std::mutex g_mu;        // serialises lines from different worker threads
FILE* g_out = nullptr;  // nullptr means stderr

constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kTags[] = {"[TRC]", "[DBG]", "[INF]", "[WRN]", "[ERR]", "[OFF]"};
}  // namespace

bool ParseLevel(std::string_view name, Level* out) {
  for (int i = 0; i < 6; ++i) {
    if (name == kNames[i]) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

std::string_view LevelName(Level level) { return kNames[static_cast<int>(level)]; }

void SetLevel(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool SetFile(const std::string& path) {
  FILE* f = nullptr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return false;
  }
  std::lock_guard lock(g_mu);
  if (g_out != nullptr) std::fclose(g_out);
  g_out = f;
  return true;
}

void Write(Level level, std::string_view message) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm parts;
  localtime_r(&tv.tv_sec, &parts);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &parts);
  std::lock_guard lock(g_mu);
  FILE* out = g_out != nullptr ? g_out : stderr;
  std::fprintf(out, "[%d] %s.%06ld %s %.*s\n", static_cast<int>(getpid()), stamp, static_cast<long>(tv.tv_usec),
               kTags[static_cast<int>(level)].data(), static_cast<int>(message.size()), message.data());
  std::fflush(out);
}

std::string Excerpt(std::string_view bytes, size_t max) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

}  // namespace tern::log
