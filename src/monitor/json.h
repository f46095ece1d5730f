// Shared by the endpoint files: JSON bodies as nats-server writes them.
#pragma once

#include <nlohmann/json.hpp>

#include "monitor/format.h"
#include "monitor/monitor.h"

namespace tern::monitor {

// Two-space indentation as nats-server; bytes that are not UTF-8 (a
// client's name may be anything) are replaced instead of failing the dump.
inline Response JsonResponse(const nlohmann::ordered_json& body) {
  return {200, "application/json", body.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)};
}

}  // namespace tern::monitor
