#include "metrics_state.h"

#include <sys/utsname.h>

#include <type_traits>
#include <variant>

#include "process_self_metrics.h"
#include "signal_names.h"
#include "version.h"

namespace hupwatch {
namespace {

// Probes in a row that must find an orphan gone before it is dropped without
// its exit event (lost to a full ring buffer). Its exit is in the ring buffer
// before /proc forgets it, so a few publishes are plenty of grace.
constexpr unsigned kMissedProbesBeforeDrop = 3;

constexpr double kNsPerSecond = 1e9;

static_assert(kEventTypeCount + HW_EV_FORK == HW_EV_TYPE_MAX,
              "events_total and events_lost_total must list the same types");

std::string uname_release() {
    utsname name{};
    if (uname(&name) != 0) return "unknown";
    return name.release;
}

MetricFamily family(std::string name, MetricType type, std::string help) {
    return MetricFamily{std::move(name), type, std::move(help), {}};
}

void add(MetricFamily& f, MetricLabels labels, double value) {
    f.samples.push_back(MetricSample{std::move(labels), value});
}

double as_value(std::uint64_t n) {
    return static_cast<double>(n);
}

}  // namespace

const std::string& LabelFolder::fold(const std::string& value) {
    auto it = admitted_.find(value);
    if (it != admitted_.end()) return *it;
    if (admitted_.size() >= limit_) return other_;
    return *admitted_.insert(value).first;
}

MetricsState::MetricsState(MetricsStateOptions options)
    : options_(std::move(options)),
      kernel_release_(options_.kernel_release.empty() ? uname_release() : options_.kernel_release),
      orphan_users_(options_.user_label_limit),
      orphan_comms_(options_.comm_label_limit),
      at_risk_users_(options_.user_label_limit) {
    // Every family at zero until the first publish: a scrape that comes
    // early sees a complete exposition, never an empty one.
    snapshot_ = std::make_shared<const MetricsSnapshot>(build(0, MonitorCounters{}, 0));
}

void MetricsState::on_event(const Event& event) {
    if (const auto* exit = std::get_if<ExitEvent>(&event.body)) {
        on_exit(*exit);
    } else if (const auto* lost = std::get_if<OutputLostEvent>(&event.body)) {
        on_output_lost(*lost);
    } else if (const auto* signal = std::get_if<SignalEvent>(&event.body)) {
        ++signals_[{signal->sig, signal->origin, signal->result}];
    }
}

void MetricsState::on_finding(const Finding& finding) {
    if (std::holds_alternative<DisconnectFinding>(finding)) {
        ++disconnects_;
    } else if (const auto* verdict = std::get_if<Verdict>(&finding)) {
        on_verdict(*verdict);
    }
}

void MetricsState::on_verdict(const Verdict& verdict) {
    switch (verdict.kind) {
        case VerdictKind::KilledByDisconnect:
            ++killed_by_disconnect_;
            break;
        case VerdictKind::KilledByLogout:
            ++killed_by_logout_;
            break;
        case VerdictKind::DiedAfterDisconnect:
            ++deaths_after_disconnect_;
            break;
        case VerdictKind::Daemonized:
            ++daemonized_;
            break;
        case VerdictKind::Orphaned:
            on_orphaned(verdict);
            break;
        case VerdictKind::Killed:
            if (verdict.kill && verdict.kill->job)
                ++killed_by_cause_[static_cast<std::size_t>(verdict.kill->cause)];
            else if (verdict.kill)
                ++non_job_oom_kills_;  // only OOM kills give a non-job a verdict
            break;
    }
}

void MetricsState::on_orphaned(const Verdict& verdict) {
    // An orphan verdict always has a cause; without one, claim no disconnect.
    auto cause = verdict.cause.value_or(OrphanCause::ParentExit);
    auto reaper = verdict.reaper.value_or(ReaperKind::Init);
    ++orphans_[static_cast<int>(cause)][static_cast<int>(reaper)];

    // A job under tmux, screen or a systemd unit is looked after; nohup is
    // not supervision (docs/events.md), so a nohup'd orphan counts.
    if (verdict.supervision != Supervision::None) return;
    Identity id{verdict.process.pid, verdict.process.start_ns};
    if (orphans_alive_.contains(id)) return;  // orphaned again (its reaper died): same job
    OrphanJob job;
    job.labels = {orphan_users_.fold(verdict.user), orphan_comms_.fold(verdict.process.comm)};
    job.orphaned_ns = verdict.ktime_ns;
    // The baseline: CPU it used before it was orphaned is not the orphan's.
    if (cpu_probe_) job.cpu_seconds = cpu_probe_(verdict.process.pid);
    // Every label set shown so far stays, at 0 when none is alive.
    orphan_cpu_seconds_.try_emplace(job.labels, 0.0);
    orphans_alive_.emplace(id, std::move(job));
}

void MetricsState::on_exit(const ExitEvent& exit) {
    Identity id{exit.proc.pid, exit.proc.start_ns};
    eio_seen_.erase(id);
    auto it = orphans_alive_.find(id);
    if (it == orphans_alive_.end()) return;
    double total = static_cast<double>(exit.utime_ns + exit.stime_ns) / kNsPerSecond;
    add_orphan_cpu(it->second, total);
    orphans_alive_.erase(it);
}

void MetricsState::on_output_lost(const OutputLostEvent& lost) {
    // eio_writes is the process's running count: add what is new since the
    // last report, so repeated reports never count a write twice.
    std::uint64_t& seen = eio_seen_[{lost.proc.pid, lost.proc.start_ns}];
    if (lost.eio_writes > seen) {
        eio_writes_ += lost.eio_writes - seen;
        seen = lost.eio_writes;
    }
}

void MetricsState::add_orphan_cpu(OrphanJob& job, double now_seconds) {
    // Without a baseline nothing can be attributed to its orphan time; a
    // lower reading than before is not this process (pid reused): skip it.
    if (job.cpu_seconds && now_seconds > *job.cpu_seconds)
        orphan_cpu_seconds_[job.labels] += now_seconds - *job.cpu_seconds;
    if (!job.cpu_seconds || now_seconds >= *job.cpu_seconds) job.cpu_seconds = now_seconds;
}

void MetricsState::sample_orphan_cpu() {
    if (!cpu_probe_) return;
    for (auto it = orphans_alive_.begin(); it != orphans_alive_.end();) {
        OrphanJob& job = it->second;
        auto seconds = cpu_probe_(it->first.first);
        bool gone = !seconds || (job.cpu_seconds && *seconds < *job.cpu_seconds);
        if (!gone) {
            job.missed_probes = 0;
            add_orphan_cpu(job, *seconds);
        } else if (job.cpu_seconds && ++job.missed_probes >= kMissedProbesBeforeDrop) {
            // Seen alive before, gone now, and no exit came: the exit event
            // was lost. Without this the gauge would stay up for good.
            it = orphans_alive_.erase(it);
            continue;
        }
        ++it;
    }
}

void MetricsState::set_jobs_at_risk(std::map<std::string, std::uint64_t> by_user) {
    std::lock_guard lock(at_risk_mutex_);
    at_risk_ = std::move(by_user);
}

void MetricsState::publish(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                           std::size_t tracked_processes) {
    sample_orphan_cpu();
    auto next =
        std::make_shared<const MetricsSnapshot>(build(now_boot_ns, counters, tracked_processes));
    std::lock_guard lock(snapshot_mutex_);
    snapshot_.swap(next);
    // `next` now holds the old snapshot: it is freed after the unlock
    // (reverse declaration order), or by the last scrape still reading it.
}

// The live path's bounds (docs/metrics.md, "Bounded state"): sizes now and
// what each bound dropped, so flat memory can be watched, not assumed.
static void append_bound_metrics(const MonitorCounters& c, std::vector<MetricFamily>& families) {
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
        {"hupwatch_process_table_refused_total", counter,
         "New processes not recorded: the process table was full of live ones.",
         c.table_refused_full},
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
        {"hupwatch_hung_up_scans_total", counter,
         "Scans of a process's fds for hung-up terminals (BPF iterator).", c.hung_up_scans},
        {"hupwatch_hung_up_scan_failures_total", counter,
         "Hung-up terminal scans that failed; output loss then fell back to fd names.",
         c.hung_up_scan_failures},
    };
    for (const auto& row : rows)
        add_single_sample(families, row.name, row.type, row.help, as_value(row.value));
}

MetricsSnapshot MetricsState::build(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                                    std::size_t tracked_processes) {
    MetricsSnapshot out;
    auto& families = out.families;

    add_single_sample(families, "hupwatch_disconnects_total", MetricType::Counter,
                      "SSH or terminal sessions whose terminal was hung up.",
                      as_value(disconnects_));

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

    auto others = family("hupwatch_other_processes_killed_total", MetricType::Counter,
                         "Processes that were not jobs (no login in their lineage) killed by a "
                         "signal, by cause; they get no verdict.");
    for (std::size_t c = 0; c < kKillCauseCount; ++c)
        add(others, {{"cause", std::string(kill_cause_name(static_cast<KillCause>(c)))}},
            as_value(counters.non_job_kills[c] +
                     (static_cast<KillCause>(c) == KillCause::OomKernel ? non_job_oom_kills_ : 0)));
    families.push_back(std::move(others));

    add_single_sample(families, "hupwatch_deaths_after_disconnect_total", MetricType::Counter,
                      "Jobs that died abnormally soon after their session's disconnect, "
                      "without a fatal SIGHUP (inferred).",
                      as_value(deaths_after_disconnect_));

    auto orphans = family("hupwatch_orphans_total", MetricType::Counter,
                          "Jobs orphaned: their parent died and they were reparented.");
    for (auto cause : {OrphanCause::Disconnect, OrphanCause::ParentExit})
        for (auto reaper : {ReaperKind::Init, ReaperKind::Subreaper})
            add(orphans,
                {{"cause", std::string(orphan_cause_name(cause))},
                 {"reaper", std::string(reaper_kind_name(reaper))}},
                as_value(orphans_[static_cast<int>(cause)][static_cast<int>(reaper)]));
    families.push_back(std::move(orphans));

    add_single_sample(families, "hupwatch_daemonized_total", MetricType::Counter,
                      "Processes that left their session (setsid) before their parent "
                      "exited: intentional daemons, not orphaned jobs.",
                      as_value(daemonized_));

    std::map<UserComm, std::uint64_t> alive;
    std::uint64_t oldest_ns = 0;
    for (const auto& [id, job] : orphans_alive_) {
        ++alive[job.labels];
        if (oldest_ns == 0 || job.orphaned_ns < oldest_ns) oldest_ns = job.orphaned_ns;
    }
    auto orphaned_jobs = family("hupwatch_orphaned_jobs", MetricType::Gauge,
                                "Orphaned jobs alive now, without tmux, screen or a systemd unit "
                                "looking after them.");
    for (const auto& series : orphan_cpu_seconds_) {
        const UserComm& labels = series.first;
        auto it = alive.find(labels);
        add(orphaned_jobs, {{"user", labels.first}, {"comm", labels.second}},
            as_value(it == alive.end() ? 0 : it->second));
    }
    families.push_back(std::move(orphaned_jobs));

    auto orphan_cpu = family("hupwatch_orphaned_job_cpu_seconds_total", MetricType::Counter,
                             "CPU time (user and system) orphaned jobs used since they were "
                             "orphaned.");
    for (const auto& [labels, seconds] : orphan_cpu_seconds_)
        add(orphan_cpu, {{"user", labels.first}, {"comm", labels.second}}, seconds);
    families.push_back(std::move(orphan_cpu));

    double oldest_age = 0;
    if (!orphans_alive_.empty() && now_boot_ns > oldest_ns)
        oldest_age = static_cast<double>(now_boot_ns - oldest_ns) / kNsPerSecond;
    add_single_sample(families, "hupwatch_oldest_orphaned_job_age_seconds", MetricType::Gauge,
                      "Time since the oldest orphaned job alive now was orphaned; 0 if none.",
                      oldest_age);

    std::map<std::string, std::uint64_t> at_risk_by_user;
    {
        std::lock_guard lock(at_risk_mutex_);
        for (const auto& [user, jobs] : at_risk_)
            at_risk_by_user[at_risk_users_.fold(user)] += jobs;
    }
    auto at_risk = family("hupwatch_jobs_at_risk", MetricType::Gauge,
                          "Jobs that a disconnect would kill now (SIGHUP not ignored, not "
                          "supervised), by user.");
    for (const auto& [user, jobs] : at_risk_by_user) at_risk_series_.insert(user);
    for (const auto& user : at_risk_series_) {
        auto it = at_risk_by_user.find(user);
        add(at_risk, {{"user", user}}, as_value(it == at_risk_by_user.end() ? 0 : it->second));
    }
    families.push_back(std::move(at_risk));

    add_single_sample(families, "hupwatch_output_lost_writes_total", MetricType::Counter,
                      "Writes that failed with EIO because the writer's terminal was hung up.",
                      as_value(eio_writes_));

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
    for (std::size_t t = 0; t < kEventTypeCount; ++t) {
        std::string type(event_type_name(static_cast<EventType>(t)));
        add(events, {{"type", type}}, as_value(counters.events_by_type[t]));
        // Stats indexes are the BPF event type numbers, which start at 1.
        add(lost, {{"type", type}}, as_value(counters.kernel[t + HW_EV_FORK]));
    }
    families.push_back(std::move(events));
    families.push_back(std::move(lost));

    // Nothing is dropped silently: what the kernel side counted instead of
    // reporting, and what userspace could not decode or had to cut.
    const auto counter = MetricType::Counter;
    add_single_sample(families, "hupwatch_orphans_unreported_total", counter,
                      "Children of an exiting process beyond the per-exit bound (512): "
                      "reparented but not reported one by one.",
                      as_value(counters.kernel[HW_STAT_ORPHANS_OVERFLOW]));
    add_single_sample(families, "hupwatch_reaper_search_overflow_total", counter,
                      "Reparentings where the search for a child subreaper hit its "
                      "depth bound (32) and init was assumed.",
                      as_value(counters.kernel[HW_STAT_REAPER_DEPTH_OVERFLOW]));
    add_single_sample(families, "hupwatch_threads_created_total", counter,
                      "Threads created (counted in the kernel, not reported as events).",
                      as_value(counters.kernel[HW_STAT_THREADS_CREATED]));
    add_single_sample(families, "hupwatch_malformed_records_total", counter,
                      "Ring-buffer records that failed decoding and were skipped.",
                      as_value(counters.malformed));
    add_single_sample(families, "hupwatch_argv_truncated_total", counter,
                      "exec events whose argv was longer than --argv-max and was cut.",
                      as_value(counters.argv_truncated));
    add_single_sample(families, "hupwatch_argv_redacted_total", counter,
                      "exec events and /proc seeds whose argv had a secret redacted.",
                      as_value(counters.argv_redacted));

    // The event store (hupwatch run --db); zeros when it is off.
    add_single_sample(families, "hupwatch_store_rows_written_total", counter,
                      "Rows written to the event store.", as_value(store_.rows_written));
    add_single_sample(families, "hupwatch_store_rows_pruned_total", counter,
                      "Rows removed from the event store by retention.",
                      as_value(store_.rows_pruned));
    add_single_sample(families, "hupwatch_store_dropped_total", counter,
                      "Events and findings not stored because the store's queue was full.",
                      as_value(store_.dropped));
    add_single_sample(families, "hupwatch_store_write_errors_total", counter,
                      "Store batches that failed to commit (a full or failing disk); other "
                      "sinks go on.",
                      as_value(store_.write_errors));

    add_single_sample(families, "hupwatch_tracked_processes", MetricType::Gauge,
                      "Processes in hupwatch's process table.", as_value(tracked_processes));
    append_bound_metrics(counters, families);

    auto build_info = family("hupwatch_build_info", MetricType::Gauge,
                             "Always 1; labels name the hupwatch version and the running kernel.");
    add(build_info, {{"version", HUPWATCH_VERSION}, {"kernel", kernel_release_}}, 1);
    families.push_back(std::move(build_info));

    if (!options_.proc_root.empty())
        append_process_self_metrics(read_process_self_stats(options_.proc_root), families);
    return out;
}

std::shared_ptr<const MetricsSnapshot> MetricsState::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

}  // namespace hupwatch
