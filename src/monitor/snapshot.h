// Connection snapshots taken on each client worker's own thread (through
// server/gather.h) and merged for the monitor thread; shared by /connz,
// /subsz and /metrics.
#pragma once

#include <vector>

#include "monitor/monitor.h"
#include "server/conn_info.h"

namespace tern::monitor {

// Every open connection that monitoring lists, in no particular order. A
// worker that does not answer within Monitor::kGatherTimeout is left out.
std::vector<server::ConnInfo> OpenConnections(Monitor& monitor, bool with_subs);

}  // namespace tern::monitor
