// MetricsState's snapshot: its state rendered as metric families, one group
// at a time (docs/metrics.md lists every family; a unit test holds the two
// equal).
#include "metrics_state.h"
#include "monitor_state_families.h"
#include "process_self_metrics.h"
#include "signal_names.h"
#include "version.h"

namespace hupwatch {
namespace {

constexpr double kNsPerSecond = 1e9;

static_assert(kRingEventTypeCount + HW_EV_FORK == HW_EV_TYPE_MAX,
              "events_total and events_lost_total must list the same types");

MetricFamily family(std::string name, MetricType type, std::string help) {
    return MetricFamily{std::move(name), type, std::move(help), {}};
}

void add(MetricFamily& f, MetricLabels labels, double value) {
    f.samples.push_back(MetricSample{std::move(labels), value});
}

double as_value(std::uint64_t n) {
    return static_cast<double>(n);
}

// Integer ns to seconds with one division: the shortest decimal that reads
// back (0.16), where sums of doubles drift (0.16000000000000003).
double as_seconds(std::uint64_t ns) {
    return static_cast<double>(ns) / kNsPerSecond;
}

// Processes that were not jobs, killed by a signal (no verdict), by cause;
// OOM kills of non-jobs do get a verdict and are counted there.
void append_other_kills(const MonitorCounters& c,
                        const std::array<std::uint64_t, kKillCauseCount>& non_job_verdicts,
                        std::vector<MetricFamily>& families) {
    auto others = family("hupwatch_other_processes_killed_total", MetricType::Counter,
                         "Processes that were not jobs (no login in their lineage) killed by a "
                         "signal, by cause; they get no verdict.");
    for (std::size_t i = 0; i < kKillCauseCount; ++i) {
        auto cause = static_cast<KillCause>(i);
        add(others, {{"cause", std::string(kill_cause_name(cause))}},
            as_value(c.non_job_kills[i] + non_job_verdicts[i]));
    }
    families.push_back(std::move(others));
}

}  // namespace

MetricsSnapshot MetricsState::build(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                                    std::size_t tracked_processes) {
    MetricsSnapshot out;
    add_job_families(out.families);
    add_orphan_gauges(out.families, now_boot_ns);
    add_audit_families(out.families);
    add_stream_families(out.families, counters);
    add_output_families(out.families);
    add_self_families(out.families, counters, tracked_processes);
    append_other_kills(counters, non_job_verdict_kills_, out.families);
    append_bound_metrics(counters, out.families);
    append_proc_connector_metrics(counters.proc_sid, out.families);
    if (!options_.proc_root.empty())
        append_process_self_metrics(read_process_self_stats(options_.proc_root), out.families);
    return out;
}

void MetricsState::add_job_families(std::vector<MetricFamily>& families) const {
    add_counter(families, "hupwatch_disconnects_total",
                "SSH or terminal sessions whose terminal was hung up.", disconnects_);

    auto killed = family("hupwatch_jobs_killed_total", MetricType::Counter,
                         "Jobs killed: by the SIGHUP of a disconnect or of a logout (huponexit), "
                         "or by another signal with its named cause (verdict killed; OOM kills of "
                         "any process).");
    add(killed, {{"cause", "disconnect"}}, as_value(killed_by_disconnect_));
    add(killed, {{"cause", "logout"}}, as_value(killed_by_logout_));
    for (std::size_t c = 0; c < kKillCauseCount; ++c)
        add(killed, {{"cause", std::string(kill_cause_name(static_cast<KillCause>(c)))}},
            as_value(killed_by_cause_[c]));
    families.push_back(std::move(killed));

    add_counter(families, "hupwatch_deaths_after_disconnect_total",
                "Jobs that died abnormally soon after their session's disconnect, "
                "without a fatal SIGHUP (inferred).",
                deaths_after_disconnect_);

    auto orphans = family("hupwatch_orphans_total", MetricType::Counter,
                          "Jobs orphaned: their parent died and they were reparented.");
    for (auto cause : {OrphanCause::Disconnect, OrphanCause::ParentExit})
        for (auto reaper : {ReaperKind::Init, ReaperKind::Subreaper})
            add(orphans,
                {{"cause", std::string(orphan_cause_name(cause))},
                 {"reaper", std::string(reaper_kind_name(reaper))}},
                as_value(orphans_[static_cast<int>(cause)][static_cast<int>(reaper)]));
    families.push_back(std::move(orphans));

    add_counter(families, "hupwatch_daemonized_total",
                "Processes that left their session (setsid) before their parent "
                "exited: intentional daemons, not orphaned jobs.",
                daemonized_);
}

void MetricsState::add_orphan_gauges(std::vector<MetricFamily>& families,
                                     std::uint64_t now_boot_ns) const {
    std::map<UserComm, std::uint64_t> alive;
    std::uint64_t oldest_ns = 0;
    for (const auto& [id, job] : orphans_alive_) {
        ++alive[job.labels];
        if (oldest_ns == 0 || job.orphaned_ns < oldest_ns) oldest_ns = job.orphaned_ns;
    }
    auto orphaned_jobs = family("hupwatch_orphaned_jobs", MetricType::Gauge,
                                "Orphaned jobs alive now, without tmux, screen or a systemd unit "
                                "looking after them.");
    for (const auto& series : orphan_cpu_ns_) {
        const UserComm& labels = series.first;
        auto it = alive.find(labels);
        add(orphaned_jobs, {{"user", labels.first}, {"comm", labels.second}},
            as_value(it == alive.end() ? 0 : it->second));
    }
    families.push_back(std::move(orphaned_jobs));

    auto orphan_cpu = family("hupwatch_orphaned_job_cpu_seconds_total", MetricType::Counter,
                             "CPU time (user and system) orphaned jobs used since they were "
                             "orphaned.");
    for (const auto& [labels, ns] : orphan_cpu_ns_)
        add(orphan_cpu, {{"user", labels.first}, {"comm", labels.second}}, as_seconds(ns));
    families.push_back(std::move(orphan_cpu));

    std::uint64_t oldest_age_ns = 0;
    if (!orphans_alive_.empty() && now_boot_ns > oldest_ns) oldest_age_ns = now_boot_ns - oldest_ns;
    add_single_sample(families, "hupwatch_oldest_orphaned_job_age_seconds", MetricType::Gauge,
                      "Time since the oldest orphaned job alive now was orphaned; 0 if none.",
                      as_seconds(oldest_age_ns));
}

void MetricsState::add_audit_families(std::vector<MetricFamily>& families) {
    auto at_risk = family("hupwatch_jobs_at_risk", MetricType::Gauge,
                          "Jobs that a disconnect would kill now (SIGHUP not ignored, not "
                          "supervised), by user.");
    for (const auto& user : at_risk_series_) {
        auto it = at_risk_.find(user);
        add(at_risk, {{"user", user}}, as_value(it == at_risk_.end() ? 0 : it->second));
    }
    families.push_back(std::move(at_risk));

    add_single_sample(families, "hupwatch_last_audit_timestamp_seconds", MetricType::Gauge,
                      "Unix time of the latest ps audit behind hupwatch_jobs_at_risk; 0 before "
                      "the first.",
                      static_cast<double>(last_audit_wall_ns_) / kNsPerSecond);
}

void MetricsState::add_stream_families(std::vector<MetricFamily>& families,
                                       const MonitorCounters& counters) const {
    add_counter(families, "hupwatch_output_lost_writes_total",
                "Writes that failed with EIO because the writer's terminal was hung up.",
                eio_writes_);

    auto signals = family("hupwatch_signals_total", MetricType::Counter,
                          "Monitored signals generated, by signal, origin and result.");
    for (const auto& [key, n] : signals_) {
        const auto& [sig, origin, result] = key;
        add(signals,
            {{"signal", signal_name(sig)},
             {"origin", std::string(signal_origin_name(origin))},
             {"result", std::string(signal_result_name(result))}},
            as_value(n));
    }
    families.push_back(std::move(signals));

    auto events = family("hupwatch_events_total", MetricType::Counter,
                         "Events read from the kernel and handled, by type.");
    auto lost = family("hupwatch_events_lost_total", MetricType::Counter,
                       "Events lost in the kernel because the ring buffer was full, by type.");
    // The ring's types: an unseen exit is counted as the table's lost exit
    // (hupwatch_process_table_lost_exits_total).
    for (std::size_t t = 0; t < kRingEventTypeCount; ++t) {
        std::string type(event_type_name(static_cast<EventType>(t)));
        add(events, {{"type", type}}, as_value(counters.events_by_type[t]));
        // Stats indexes are the BPF event type numbers, which start at 1.
        add(lost, {{"type", type}}, as_value(counters.kernel[t + HW_EV_FORK]));
    }
    families.push_back(std::move(events));
    families.push_back(std::move(lost));

    // What each BPF program costs: the kernel's own counts (bpf_stats).
    auto runs = family("hupwatch_bpf_program_runs_total", MetricType::Counter,
                       "Runs of each BPF program, counted by the kernel while BPF statistics "
                       "are on.");
    auto run_time = family("hupwatch_bpf_program_run_seconds_total", MetricType::Counter,
                           "Time spent in each BPF program, measured by the kernel while BPF "
                           "statistics are on.");
    for (const auto& program : counters.programs) {
        add(runs, {{"program", program.name}}, as_value(program.runs));
        add(run_time, {{"program", program.name}}, as_seconds(program.run_time_ns));
    }
    families.push_back(std::move(runs));
    families.push_back(std::move(run_time));
}

void MetricsState::add_output_families(std::vector<MetricFamily>& families) const {
    // The event store (hupwatch run --db); zeros when it is off.
    add_counter(families, "hupwatch_store_rows_written_total", "Rows written to the event store.",
                store_.rows_written);
    add_counter(families, "hupwatch_store_rows_pruned_total",
                "Rows removed from the event store by retention.", store_.rows_pruned);
    add_counter(families, "hupwatch_store_dropped_total",
                "Events and findings not stored because the store's queue was full.",
                store_.dropped);
    add_counter(families, "hupwatch_store_write_errors_total",
                "Store batches that failed to commit (a full or failing disk); other "
                "sinks go on.",
                store_.write_errors);
    // By addition: the rows behind hupwatch_store_write_errors_total's batches.
    auto rows_dropped = family("hupwatch_store_rows_dropped_total", MetricType::Counter,
                               "Rows the event store lost, by reason: write_error (the rows of "
                               "batches that failed to commit).");
    add(rows_dropped, {{"reason", "write_error"}}, as_value(store_.rows_lost_write_error));
    families.push_back(std::move(rows_dropped));

    // The other sinks (--events.json, --events.journald); zeros when off.
    add_counter(families, "hupwatch_events_json_lines_written_total",
                "JSON lines written by --events.json.", sinks_.json_lines_written);
    add_counter(families, "hupwatch_events_json_write_errors_total",
                "Failed writes of --events.json (its lines are lost).", sinks_.json_write_errors);
    add_counter(families, "hupwatch_events_json_rotations_total",
                "Rotations of the --events.json file.", sinks_.json_rotations);
    add_counter(families, "hupwatch_journald_sent_total",
                "Findings sent to journald (--events.journald).", sinks_.journald_sent);
    add_counter(families, "hupwatch_journald_errors_total",
                "Findings journald did not take (no journald socket, or it refused).",
                sinks_.journald_errors);

    // The query socket (hupwatch run --query.socket); zeros when off.
    auto queries = family("hupwatch_query_requests_total", MetricType::Counter,
                          "Requests on the query socket, by outcome: answered, bad_request, "
                          "refused (too many clients), failed (timeout, client gone).");
    add(queries, {{"result", "answered"}}, as_value(queries_.answered));
    add(queries, {{"result", "bad_request"}}, as_value(queries_.bad_requests));
    add(queries, {{"result", "refused"}}, as_value(queries_.refused));
    add(queries, {{"result", "failed"}}, as_value(queries_.failed));
    families.push_back(std::move(queries));
}

void MetricsState::add_self_families(std::vector<MetricFamily>& families,
                                     const MonitorCounters& counters,
                                     std::size_t tracked_processes) const {
    // Nothing is dropped silently: what the kernel side counted instead of
    // reporting, and what userspace could not decode or had to cut.
    add_counter(families, "hupwatch_orphans_unreported_total",
                "Children of an exiting process beyond the per-exit bound (512): "
                "reparented but not reported one by one.",
                counters.kernel[HW_STAT_ORPHANS_OVERFLOW]);
    add_counter(families, "hupwatch_reaper_search_overflow_total",
                "Reparentings where the search for a child subreaper hit its "
                "depth bound (32) and init was assumed.",
                counters.kernel[HW_STAT_REAPER_DEPTH_OVERFLOW]);
    add_counter(families, "hupwatch_events_hidden_by_pid_namespace_total",
                "Events about processes not visible from hupwatch's pid namespace (host "
                "processes, when it runs in a container's), dropped in the kernel.",
                counters.kernel[HW_STAT_PID_NS_HIDDEN]);
    add_counter(families, "hupwatch_bench_paused_hooks_total",
                "Hook runs that returned at once because bench/windowed_spawn had paused "
                "the programs (its bench_pause map): always 0 outside a benchmark.",
                counters.kernel[HW_STAT_BENCH_PAUSED]);
    add_counter(families, "hupwatch_threads_created_total",
                "Threads created (counted in the kernel, not reported as events).",
                counters.kernel[HW_STAT_THREADS_CREATED]);
    add_counter(families, "hupwatch_malformed_records_total",
                "Ring-buffer records that failed decoding and were skipped.", counters.malformed);
    add_counter(families, "hupwatch_argv_truncated_total",
                "exec events whose argv was longer than --argv-max and was cut.",
                counters.argv_truncated);
    add_counter(families, "hupwatch_argv_redacted_total",
                "exec events and /proc seeds whose argv had a secret redacted.",
                counters.argv_redacted);

    const ProcessTableCounters& table = counters.table;
    add_single_sample(families, "hupwatch_tracked_processes", MetricType::Gauge,
                      "Processes in hupwatch's process table.", as_value(tracked_processes));
    auto evicted = family("hupwatch_process_table_evictions_total", MetricType::Counter,
                          "Exited processes removed from the process table: after their grace "
                          "period (quiet: one nothing names, after a shorter one), or early "
                          "because the table was full.");
    add(evicted, {{"reason", "grace"}}, as_value(table.evicted_grace));
    add(evicted, {{"reason", "quiet"}}, as_value(table.evicted_quiet));
    add(evicted, {{"reason", "pressure"}}, as_value(table.evicted_pressure));
    families.push_back(std::move(evicted));
    add_counter(families, "hupwatch_process_table_refused_total",
                "New processes not recorded because the table was full of live ones.",
                table.refused_full);
    add_counter(families, "hupwatch_process_table_lost_exits_total",
                "Processes whose exit event never came (their pid was reused first).",
                table.lost_exits);
    add_counter(families, "hupwatch_process_table_starts_upgraded_total",
                "Processes seeded from /proc whose start time an event made precise.",
                table.starts_upgraded);

    ProcScanCounters scans = counters.seed_scan;
    scans += audit_scans_;
    add_counter(families, "hupwatch_proc_scans_total",
                "Scans of /proc: the seed at start and every audit.", scans.scans);
    auto skipped = family("hupwatch_proc_scan_skipped_total", MetricType::Counter,
                          "Processes a /proc scan skipped: gone before they were read "
                          "(vanished), unparsable (malformed), or unreadable.");
    add(skipped, {{"reason", "vanished"}}, as_value(scans.vanished));
    add(skipped, {{"reason", "malformed"}}, as_value(scans.malformed));
    add(skipped, {{"reason", "unreadable"}}, as_value(scans.unreadable));
    families.push_back(std::move(skipped));

    auto build_info = family("hupwatch_build_info", MetricType::Gauge,
                             "Always 1; labels name the hupwatch version and the running kernel.");
    add(build_info, {{"version", HUPWATCH_VERSION}, {"kernel", kernel_release_}}, 1);
    families.push_back(std::move(build_info));
}

}  // namespace hupwatch
