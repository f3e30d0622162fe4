#include "monitor_state_families.h"

#include <cstdint>

namespace hupwatch {

// The live path's bounds (docs/metrics.md, "Bounded state"): sizes now and
// what each bound dropped, so flat memory can be watched, not assumed.
void append_bound_metrics(const MonitorCounters& c, std::vector<MetricFamily>& families) {
    struct Row {
        const char* name;
        MetricType type;
        const char* help;
        std::uint64_t value;
    };
    const auto gauge = MetricType::Gauge;
    const auto counter = MetricType::Counter;
    const Row rows[] = {
        {"hupwatch_tracked_processes_alive", gauge, "Live processes in the process table.",
         c.table_alive},
        {"hupwatch_process_table_evicted_early_total", counter,
         "Exited processes evicted before their grace period to make room.",
         c.table_evicted_pressure},
        {"hupwatch_correlator_sessions", gauge, "Sessions the correlator remembers.",
         c.correlator_sessions},
        {"hupwatch_correlator_process_notes", gauge,
         "Processes with SIGHUP notes kept by the correlator.", c.correlator_process_notes},
        {"hupwatch_correlator_pending_orphans", gauge, "Reparented processes waiting to settle.",
         c.correlator_pending_orphans},
        {"hupwatch_correlator_original_parents", gauge,
         "Reparented processes whose first parent is remembered for their lineage.",
         c.correlator_original_parents},
        {"hupwatch_correlator_sessions_dropped_total", counter,
         "Sessions forgotten at the session bound while still relevant.",
         c.correlator_sessions_dropped},
        {"hupwatch_correlator_orphans_dropped_total", counter,
         "Reparents not settled into verdicts: the pending-orphan bound was hit.",
         c.correlator_orphans_dropped},
        {"hupwatch_duplicate_exits_total", counter,
         "Second exit events of one process, dropped (kernels before 6.16).", c.duplicate_exits},
        {"hupwatch_session_changes_derived_total", counter,
         "setsid/setpgid events derived from a process's new sid or pgid.",
         c.session_changes_derived},
        {"hupwatch_heap_trims_total", counter,
         "Freed memory returned to the system after the process table shrank from a peak.",
         c.heap_trims},
        {"hupwatch_heap_allocated_bytes", gauge,
         "Bytes in the daemon's live heap allocations (its allocator's count).",
         c.heap_allocated_bytes},
        {"hupwatch_heap_resident_bytes", gauge,
         "Bytes of memory pages the daemon's heap allocator holds (jemalloc stats.resident).",
         c.heap_resident_bytes},
        {"hupwatch_hung_up_scans_total", counter,
         "Scans of a process's fds for hung-up terminals (BPF iterator).", c.hung_up_scans},
        {"hupwatch_hung_up_scan_failures_total", counter,
         "Hung-up terminal scans that failed; output loss then fell back to fd names.",
         c.hung_up_scan_failures},
    };
    for (const auto& row : rows)
        add_single_sample(families, row.name, row.type, row.help, static_cast<double>(row.value));
}

// setsid moments from the kernel's process events connector, and what became
// of its messages (ingest/proc_sid_listener.h).
void append_proc_connector_metrics(const ProcSidCounters& c, std::vector<MetricFamily>& families) {
    add_single_sample(families, "hupwatch_proc_connector_sid_active", MetricType::Gauge,
                      "1 while setsid moments come from the proc connector, 0: derived only.",
                      c.active ? 1.0 : 0.0);
    struct Row {
        const char* name;
        const char* help;
        std::uint64_t value;
    };
    const Row rows[] = {
        {"hupwatch_session_changes_exact_total",
         "setsid events given the moment of the call by the proc connector.", c.exact},
        {"hupwatch_proc_connector_sid_messages_total", "PROC_EVENT_SID messages received.",
         c.messages},
        {"hupwatch_proc_connector_overflows_total",
         "Receive buffer overflows of the proc connector socket: setsid messages lost.",
         c.overflows},
        {"hupwatch_proc_connector_malformed_total",
         "Proc connector messages that did not decode or were not the kernel's, skipped.",
         c.malformed},
        {"hupwatch_proc_connector_other_events_total",
         "Proc connector messages of a type the event filter did not ask for, skipped.",
         c.other_events},
        {"hupwatch_proc_connector_sid_already_seen_total",
         "setsid messages for a process an event had already shown in its new session.",
         c.already_seen},
        {"hupwatch_proc_connector_sid_unmatched_total",
         "setsid messages for no live process known since before the call.", c.unmatched},
    };
    for (const auto& row : rows) add_counter(families, row.name, row.help, row.value);
}

}  // namespace hupwatch
