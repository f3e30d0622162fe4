// The state behind hupwatch's Prometheus metrics (docs/metrics.md: the names
// are a public contract). Fed on the event thread like any sink, with plain
// counters and no locks; publish() folds the state into an immutable
// snapshot that scrapes read. A scrape never blocks the event path and the
// event path never waits on a scrape: the only shared step is swapping a
// shared_ptr under a mutex held for a pointer copy.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "audit_result.h"
#include "event_sink.h"
#include "monitor_counters.h"
#include "prometheus_text.h"

namespace hupwatch {

struct MetricsStateOptions {
    // Distinct comm label values per family; later ones fold into "other".
    std::size_t comm_label_limit = 50;
    // Users are bounded by the host, but a runaway uid range must not be
    // able to grow the exposition without limit either.
    std::size_t user_label_limit = 500;
    // Where process_* metrics are read (proc_root + "/self"); empty: left out.
    std::string proc_root = "/proc";
    // hupwatch_build_info's kernel label; empty: uname's release.
    std::string kernel_release;
};

// Admits the first `limit` distinct values as themselves and every later new
// value as "other", for good: an admitted value keeps its series.
class LabelFolder {
   public:
    explicit LabelFolder(std::size_t limit) : limit_(limit) {}
    const std::string& fold(const std::string& value);

   private:
    std::size_t limit_;
    std::set<std::string> admitted_;
    std::string other_ = "other";
};

class MetricsState : public EventSink {
   public:
    using CpuProbe = std::function<std::optional<double>(std::uint32_t pid)>;

    explicit MetricsState(MetricsStateOptions options = {});

    // Event thread.
    void on_event(const Event& event) override;
    void on_finding(const Finding& finding) override;
    // Event thread, every ~250 ms: probes the live orphans' CPU, then builds
    // and swaps in a new snapshot.
    void publish(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                 std::size_t tracked_processes);
    // utime+stime seconds of a live pid, nullopt when it is gone. Without
    // one, orphans' CPU is counted only at their exit.
    void set_orphan_cpu_probe(CpuProbe probe) { cpu_probe_ = std::move(probe); }

    // Any thread (the periodic audit): jobs that would die on a disconnect
    // now, by user, and the orphaned jobs /proc shows. Shown from the next
    // publish. The first audit also seeds the orphan gauges with the jobs
    // orphaned before the daemon started (no verdict will come for them).
    void set_audit(AuditResult audit);

    // Event thread: the event store's counters, shown from the next publish.
    struct StoreCounters {
        std::uint64_t rows_written = 0;
        std::uint64_t rows_pruned = 0;
        std::uint64_t dropped = 0;                // queue full: not stored
        std::uint64_t write_errors = 0;           // failed batches (full or failing disk)
        std::uint64_t rows_lost_write_error = 0;  // the rows of those batches
    };
    void set_store_counters(const StoreCounters& counters) { store_ = counters; }

    // Event thread: the JSON-lines and journald sinks' counters; zeros when off.
    struct SinkCounters {
        std::uint64_t json_lines_written = 0;
        std::uint64_t json_write_errors = 0;
        std::uint64_t json_rotations = 0;
        std::uint64_t journald_sent = 0;
        std::uint64_t journald_errors = 0;
    };
    void set_sink_counters(const SinkCounters& counters) { sinks_ = counters; }

    // Event thread: the query socket's requests by outcome; zeros when off.
    struct QueryCounters {
        std::uint64_t answered = 0;
        std::uint64_t bad_requests = 0;
        std::uint64_t refused = 0;  // too many clients waiting
        std::uint64_t failed = 0;   // timed out, or the client went away
    };
    void set_query_counters(const QueryCounters& counters) { queries_ = counters; }

    // Any thread (the HTTP server). Never null: all zeros before the first
    // publish.
    std::shared_ptr<const MetricsSnapshot> snapshot() const;

   private:
    using Identity = std::pair<std::uint32_t, std::uint64_t>;  // pid, start_ns
    using UserComm = std::pair<std::string, std::string>;      // folded labels

    struct OrphanJob {
        UserComm labels;
        std::uint64_t orphaned_ns = 0;  // seeded from /proc: its start
        // Seeded from /proc: start_ns is floored to this tick, and an event
        // names the same process with a start up to a tick later.
        std::uint64_t start_tick_ns = 0;
        // Integer ns, so that sums print as short decimals (0.16, not
        // 0.16000000000000003). At the last sample; the baseline first.
        std::optional<std::uint64_t> cpu_ns;
        unsigned missed_probes = 0;  // consecutive probes that found it gone
    };

    void on_verdict(const Verdict& verdict);
    void on_orphaned(const Verdict& verdict);
    void on_exit(const ExitEvent& exit);
    void on_output_lost(const OutputLostEvent& lost);
    void add_orphan_job(Identity id, OrphanJob job);
    std::map<Identity, OrphanJob>::iterator find_orphan(std::uint32_t pid, std::uint64_t start_ns);
    void take_audit();
    void sample_orphan_cpu();
    std::optional<std::uint64_t> probe_cpu_ns(std::uint32_t pid) const;
    void add_orphan_cpu(OrphanJob& job, std::uint64_t now_ns);

    // The snapshot, one group of families at a time (metrics_families.cpp).
    MetricsSnapshot build(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                          std::size_t tracked_processes);
    void add_job_families(std::vector<MetricFamily>& out) const;
    void add_orphan_gauges(std::vector<MetricFamily>& out, std::uint64_t now_boot_ns) const;
    void add_audit_families(std::vector<MetricFamily>& out);
    void add_stream_families(std::vector<MetricFamily>& out, const MonitorCounters& counters) const;
    void add_output_families(std::vector<MetricFamily>& out) const;
    void add_self_families(std::vector<MetricFamily>& out, const MonitorCounters& counters,
                           std::size_t tracked_processes) const;

    StoreCounters store_;
    SinkCounters sinks_;
    QueryCounters queries_;
    MetricsStateOptions options_;
    std::string kernel_release_;
    CpuProbe cpu_probe_;

    // Event-thread state.
    std::uint64_t disconnects_ = 0;
    std::uint64_t killed_by_disconnect_ = 0;
    std::uint64_t killed_by_logout_ = 0;
    std::array<std::uint64_t, kKillCauseCount> killed_by_cause_{};  // `killed` verdicts of jobs
    // `killed` verdicts of processes that are not jobs (OOM kills), by cause
    std::array<std::uint64_t, kKillCauseCount> non_job_verdict_kills_{};
    std::uint64_t deaths_after_disconnect_ = 0;
    std::uint64_t daemonized_ = 0;
    std::uint64_t orphans_[2][2] = {};  // [OrphanCause][ReaperKind]
    std::map<Identity, OrphanJob> orphans_alive_;
    // Keys: every label set shown so far (hupwatch_orphaned_jobs keeps them at 0).
    std::map<UserComm, std::uint64_t> orphan_cpu_ns_;
    LabelFolder orphan_users_;
    LabelFolder orphan_comms_;
    std::map<Identity, std::uint64_t> eio_seen_;
    std::uint64_t eio_writes_ = 0;
    std::map<std::tuple<int, SignalOrigin, SignalResult>, std::uint64_t> signals_;

    mutable std::mutex audit_mutex_;
    std::optional<AuditResult> pending_audit_;  // guarded: the latest, not yet taken
    // Event thread, from the audits taken.
    bool orphans_seeded_ = false;
    std::map<std::string, std::uint64_t> at_risk_;
    std::set<std::string> at_risk_series_;
    LabelFolder at_risk_users_;
    std::int64_t last_audit_wall_ns_ = 0;
    ProcScanCounters audit_scans_;

    mutable std::mutex snapshot_mutex_;
    std::shared_ptr<const MetricsSnapshot> snapshot_;  // guarded
};

}  // namespace hupwatch
