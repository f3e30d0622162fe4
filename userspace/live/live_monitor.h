// The live event path: BPF collector -> ring reader -> process table ->
// correlator -> the sink. One thread owns it; nothing here is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "argv_redactor.h"
#include "bpf_collector.h"
#include "disconnect_correlator.h"
#include "event_sink.h"
#include "events.h"
#include "hung_up_terminal_scan.h"
#include "monitor_counters.h"
#include "proc_host_probe.h"
#include "proc_sid_listener.h"
#include "process_table.h"
#include "ring_reader.h"

namespace hupwatch {

struct MonitorOptions {
    CollectorOptions collector;
    CorrelatorOptions correlator;
    RedactionOptions redaction;
    std::string proc_root = "/proc";
    // Without --syscall-results: setsid events at the moment of the call from
    // the proc connector when the kernel offers it (ingest/proc_sid_listener.h).
    // Opt-in (--setsid-moments): a listener makes the kernel build a message
    // for every fork and exit, filtered only at the socket (~7 % on a spawn storm).
    bool setsid_from_proc_connector = false;
};

// How long a main loop's poll() waits: events wait at most this long in the
// ring buffer (the BPF side never wakes the reader: bpf/common.bpf.h).
inline constexpr int kMonitorPollMs = 100;

class LiveMonitor {
   public:
    // Attaches, then seeds the process table from /proc, so that no process
    // falls in a gap between the scan and the first event. `sink` must
    // outlive the monitor.
    static std::unique_ptr<LiveMonitor> start(const MonitorOptions& options, EventSink& sink,
                                              CollectorError& error);

    // Handles every ready event, waiting up to timeout_ms, then lets the
    // correlator settle what is due. -EINTR on a signal.
    int poll(int timeout_ms);
    // A whole /proc scan made before this call (the risk audit's): the next
    // poll, once its drain has every event made before the scan, ends the
    // live processes the scan lacks: their exit events were lost.
    void check_against(ProcessesSeen scan) { pending_scan_ = std::move(scan); }
    MonitorCounters counters() const;
    // The kernel's count of events it could not record (the stats map).
    std::uint64_t lost_in_kernel() const { return events_lost(collector_->read_stats()); }
    const ProcessTable& table() const { return table_; }
    std::size_t seeded() const { return seeded_; }
    // The namespace whose pids the events carry (BpfCollector's).
    const PidNamespace& pid_namespace() const { return collector_->pid_namespace(); }
    // The /proc seed, argv redacted, once (for the store); empty after.
    std::vector<ProcSnapshot> take_seed() { return std::move(seed_); }
    // Why setsid events are derived although the proc connector was wanted
    // (one line); empty when it is in use or was not wanted.
    const std::string& proc_connector_unused() const { return proc_connector_unused_; }

   private:
    LiveMonitor(std::unique_ptr<BpfCollector> collector, const MonitorOptions& options,
                EventSink& sink);
    void on_event(const Event& event);
    void accept(const Event& event);
    void trim_heap_after_storm();
    void handle(const Event& event);
    void emit(std::vector<Finding> findings);
    void read_setsid_moments();
    std::optional<std::uint64_t> take_setsid_moment(const SessionEvent& change,
                                                    std::uint64_t sighted_ns);
    void apply_setsid_moments();
    void apply_setsid_moment(const SetsidMoment& moment);

    std::unique_ptr<BpfCollector> collector_;
    EventSink& sink_;
    HungUpTerminalScan hung_up_scan_;
    ProcHostProbe probe_;
    ProcessTable table_;
    DisconnectCorrelator correlator_;
    std::unique_ptr<RingReader> reader_;
    MonitorCounters counters_;
    std::size_t seeded_ = 0;
    std::vector<ProcSnapshot> seed_;
    std::unique_ptr<ArgvRedactor> redactor_;
    ProcScanCounters seed_scan_;
    std::uint64_t last_eviction_ns_ = 0;
    std::size_t table_peak_ = 0;   // the table's largest size since the heap was last trimmed
    bool derive_sessions_ = true;  // no syscall hook reports them
    // The exact moments of setsid() (null: derived only), those read this
    // poll and not yet applied, and what became of them.
    std::unique_ptr<ProcSidListener> sid_listener_;
    std::string proc_connector_unused_;
    std::vector<SetsidMoment> setsid_moments_;
    ProcSidCounters setsid_counts_;
    std::optional<ProcessesSeen> pending_scan_;
};

}  // namespace hupwatch
