// The live path's own counts, read by the metrics and the stop summary. Plain
// data here so that exporters need not know the live pipeline that fills it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "events.h"
#include "findings.h"
#include "hupwatch_events.h"

namespace hupwatch {

// Sums of the per-CPU stats map, indexed by enum hw_stat.
using BpfStats = std::array<std::uint64_t, HW_STAT_MAX>;

// Events the BPF side could not record (ring buffer full), all types.
std::uint64_t events_lost(const BpfStats& stats);

// The process table's bounds and repairs (ProcessTable::Counters).
struct ProcessTableCounters {
    std::uint64_t evicted_grace = 0;
    std::uint64_t evicted_quiet = 0;  // quiet exits, after their shorter grace
    std::uint64_t evicted_pressure = 0;
    std::uint64_t refused_full = 0;  // new processes not recorded: table full of live ones
    std::uint64_t lost_exits =
        0;  // no exit seen: a newer process took the pid, or a scan lacked it
    std::uint64_t starts_upgraded = 0;  // seeded starts made precise by an event
};

// Scans of /proc (the seed, the audits) and the processes they skipped
// (ProcScanner::Counters).
struct ProcScanCounters {
    std::uint64_t scans = 0;
    std::uint64_t vanished = 0;    // exited between readdir and read: a race, not an error
    std::uint64_t malformed = 0;   // stat or status that did not parse
    std::uint64_t unreadable = 0;  // stat that failed to open for another reason
    ProcScanCounters& operator+=(const ProcScanCounters& other);
};

// setsid() moments from the kernel's process events connector
// (ingest/proc_sid_listener.h): the listener's counts, then what the live
// path made of its messages.
struct ProcSidCounters {
    bool active = false;         // subscribed, and the event filter proved to work
    std::uint64_t messages = 0;  // PROC_EVENT_SID messages received
    std::uint64_t overflows =
        0;  // receive buffer overflowed (ENOBUFS): messages lost, how many unknown
    std::uint64_t malformed =
        0;  // datagrams or messages that did not decode, or not from the kernel
    std::uint64_t other_events = 0;  // messages of a type the filter did not ask for
    std::uint64_t exact = 0;         // setsid events given the call's moment
    std::uint64_t already_seen = 0;  // an event had already shown the new session (derived first)
    std::uint64_t unmatched = 0;     // no live process held the pid since before the call
    // Adds a listener's own counts (messages, overflows, malformed, other_events).
    void add_received(const ProcSidCounters& listener);
};

// One BPF program's runs and time in it, as the kernel counts them while
// BPF statistics are enabled (BPF_ENABLE_STATS; bpf_prog_info run_cnt,
// run_time_ns).
struct BpfProgramStats {
    std::string name;
    std::uint64_t runs = 0;
    std::uint64_t run_time_ns = 0;
};

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

    // Exactly one exit per process: a second exit of one (pid, start_ns),
    // dropped (the pre-6.16 exit test can fire twice for a SIGKILLed group).
    std::uint64_t duplicate_exits = 0;
    // setsid/setpgid derived from a process's new sid/pgid (no syscall hook).
    std::uint64_t session_changes_derived = 0;
    ProcSidCounters proc_sid;
    // Heap trims after the table shrank from a storm's peak (malloc_trim).
    std::uint64_t heap_trims = 0;
    // The heap now: bytes in live allocations, and the pages the allocator
    // holds for them (jemalloc's stats.resident; glibc: its heaps' size).
    std::uint64_t heap_allocated_bytes = 0;
    std::uint64_t heap_resident_bytes = 0;
    // Hung-up terminal scans (iter/task_file) run, and those that failed.
    std::uint64_t hung_up_scans = 0;
    std::uint64_t hung_up_scan_failures = 0;

    // Sizes now, and what a bound dropped: the process table...
    std::uint64_t table_processes = 0;  // entries, live and recently exited
    std::uint64_t table_alive = 0;
    std::uint64_t table_evicted_pressure = 0;  // exited entries evicted early to make room
    // ...and the correlator.
    std::uint64_t correlator_sessions = 0;
    std::uint64_t correlator_process_notes = 0;
    std::uint64_t correlator_pending_orphans = 0;
    std::uint64_t correlator_original_parents = 0;
    std::uint64_t correlator_sessions_dropped = 0;
    std::uint64_t correlator_orphans_dropped = 0;
    ProcessTableCounters table;
    ProcScanCounters seed_scan;             // the /proc scan at start
    std::vector<BpfProgramStats> programs;  // every loaded program, by name
    std::uint64_t lost_total() const;
    // "N events and M findings; K lost in the kernel: exec=2; 0 malformed"
    std::string summary() const;
};

}  // namespace hupwatch
