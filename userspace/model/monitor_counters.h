// The live path's own counts, read by the metrics and the stop summary. Plain
// data here so that exporters need not know the live pipeline that fills it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "events.h"
#include "findings.h"
#include "hupwatch_events.h"

namespace hupwatch {

// Sums of the per-CPU stats map, indexed by enum hw_stat.
using BpfStats = std::array<std::uint64_t, HW_STAT_MAX>;

struct MonitorCounters {
    std::uint64_t events = 0;                            // decoded and handled
    std::uint64_t events_by_type[kEventTypeCount] = {};  // indexed by EventType
    std::uint64_t findings = 0;
    std::uint64_t malformed = 0;       // records that failed decoding
    std::uint64_t argv_truncated = 0;  // exec events whose argv was cut at --argv-max
    std::uint64_t argv_redacted = 0;   // exec events and /proc seeds with a secret redacted
    BpfStats kernel{};                 // the BPF stats map (losses per type, ...)
    // Processes that were not jobs, killed by a signal, by KillCause: no verdict.
    std::array<std::uint64_t, kKillCauseCount> non_job_kills{};
    std::uint64_t lost_total() const;
    // "N events and M findings; K lost in the kernel: exec=2; 0 malformed"
    std::string summary() const;
};

}  // namespace hupwatch
