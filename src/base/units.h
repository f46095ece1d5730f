// One vocabulary for durations and sizes, shared by the server's
// configuration and the CLI, so that "64KB" or "2s" means the same to both.
//
// Durations: a number with a unit, several may follow each other: "250ms",
// "3s", "1m30s", "1.5s", "100us", "2h". Units: ns, us (or µs), ms, s, m, h.
// A unit is required (only "0" may go without) so that "10" cannot mean
// seconds to one reader and milliseconds to another. Callers that need whole
// milliseconds check that themselves (ToWholeMillis).
//
// Sizes: "1024", "64KB", "64KiB", "1MiB", "1M", "2GB". Case-insensitive. As
// in nats-server (and Redis): KB/KiB, MB/MiB, GB/GiB, TB/TiB are powers of
// 1024; a bare K, M, G, T is a power of 1000; "B" or no unit is bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::units {

std::optional<std::chrono::nanoseconds> ParseDuration(std::string_view text);
// Exact milliseconds, or nullopt when `d` is not a whole number of them
// ("1.5ms" is refused rather than silently rounded).
std::optional<std::chrono::milliseconds> ToWholeMillis(std::chrono::nanoseconds d);
// The largest unit that divides exactly: "0s", "1500ms", "3s", "2m", "250us".
std::string FormatDuration(std::chrono::nanoseconds d);

std::optional<uint64_t> ParseSize(std::string_view text);
// The largest binary unit that divides exactly: "1MiB", "64KiB", "1000".
std::string FormatSize(uint64_t bytes);

// "what a user should type" hints for error messages.
inline constexpr std::string_view kDurationExamples = "e.g. 3s, 250ms, 2m, 1h";
inline constexpr std::string_view kSizeExamples = "e.g. 1MiB, 512KB, 1024";

}  // namespace tern::units
