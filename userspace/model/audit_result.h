// What one `ps` audit of /proc found (userspace/live/risk_audit.h): plain
// data, so the metrics can take it without knowing the live pipeline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "monitor_counters.h"

namespace hupwatch {

// A job `ps` classifies as orphaned: reparented, nothing supervising it.
struct OrphanedJobSeen {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;       // /proc's start, floored to a clock tick
    std::uint64_t start_tick_ns = 0;  // the precise start is within one tick after
    std::string user;
    std::string comm;
};

struct AuditResult {
    std::map<std::string, std::uint64_t> at_risk_by_user;  // jobs a disconnect would kill
    std::vector<OrphanedJobSeen> orphans;
    ProcScanCounters scan;     // this audit's /proc scan
    std::int64_t wall_ns = 0;  // when it ran (CLOCK_REALTIME)
};

}  // namespace hupwatch
