// What one `ps` audit of /proc found (userspace/live/risk_audit.h): plain
// data, so the metrics can take it without knowing the live pipeline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
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

// Every process one audit's /proc scan found, by identity: the live table
// ends a process it has alive, started before the scan, that the scan lacks
// (its exit event was lost: ProcessTable::exits_unseen_by).
struct ProcessesSeen {
    std::uint64_t scan_started_ns = 0;  // boot clock, before the listing began
    std::uint64_t tick_ns = 0;          // /proc's start precision
    std::vector<std::pair<std::uint32_t, std::uint64_t>> processes;  // (pid, /proc's start)
    std::vector<std::uint32_t> unread;  // listed but not read: present, start unknown
    bool complete = false;              // the listing ran to its end
};

struct AuditResult {
    std::map<std::string, std::uint64_t> at_risk_by_user;  // jobs a disconnect would kill
    std::vector<OrphanedJobSeen> orphans;
    ProcScanCounters scan;     // this audit's /proc scan
    std::int64_t wall_ns = 0;  // when it ran (CLOCK_REALTIME)
    ProcessesSeen seen;
};

}  // namespace hupwatch
