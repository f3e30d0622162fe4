#include "metrics_state.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>

namespace hupwatch {
namespace {

// Probes in a row that must find an orphan gone before it is dropped without
// its exit event (lost to a full ring buffer). Its exit is in the ring buffer
// before /proc forgets it, so a few publishes are plenty of grace.
constexpr unsigned kMissedProbesBeforeDrop = 3;

constexpr double kNsPerSecond = 1e9;

std::string uname_release() {
    utsname name{};
    if (uname(&name) != 0) return "unknown";
    return name.release;
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
            else if (verdict.kill)  // only OOM kills give a non-job a verdict
                ++non_job_verdict_kills_[static_cast<std::size_t>(verdict.kill->cause)];
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
    // Orphaned again (its reaper died), or seeded at start: the same job.
    if (find_orphan(id.first, id.second) != orphans_alive_.end()) return;
    OrphanJob job;
    job.labels = {orphan_users_.fold(verdict.user), orphan_comms_.fold(verdict.process.comm)};
    job.orphaned_ns = verdict.ktime_ns;
    add_orphan_job(id, std::move(job));
}

void MetricsState::add_orphan_job(Identity id, OrphanJob job) {
    // The baseline: CPU it used before it was orphaned is not the orphan's.
    job.cpu_ns = probe_cpu_ns(id.first);
    // Every label set shown so far stays, at 0 when none is alive.
    orphan_cpu_ns_.try_emplace(job.labels, 0);
    orphans_alive_.emplace(id, std::move(job));
}

std::map<MetricsState::Identity, MetricsState::OrphanJob>::iterator MetricsState::find_orphan(
    std::uint32_t pid, std::uint64_t start_ns) {
    if (auto it = orphans_alive_.find({pid, start_ns}); it != orphans_alive_.end()) return it;
    // A job seeded from /proc has its start floored to a tick: the entry
    // just below this start, if its tick covers it.
    auto it = orphans_alive_.upper_bound({pid, start_ns});
    if (it == orphans_alive_.begin()) return orphans_alive_.end();
    --it;
    const auto& [key, job] = *it;
    bool same =
        key.first == pid && job.start_tick_ns > 0 && start_ns - key.second < job.start_tick_ns;
    return same ? it : orphans_alive_.end();
}

std::optional<std::uint64_t> MetricsState::probe_cpu_ns(std::uint32_t pid) const {
    if (!cpu_probe_) return std::nullopt;
    auto seconds = cpu_probe_(pid);
    if (!seconds) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(*seconds * kNsPerSecond));
}

void MetricsState::on_exit(const ExitEvent& exit) {
    eio_seen_.erase({exit.proc.pid, exit.proc.start_ns});
    auto it = find_orphan(exit.proc.pid, exit.proc.start_ns);
    if (it == orphans_alive_.end()) return;
    add_orphan_cpu(it->second, exit.utime_ns + exit.stime_ns);
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

void MetricsState::add_orphan_cpu(OrphanJob& job, std::uint64_t now_ns) {
    // Without a baseline nothing can be attributed to its orphan time; a
    // lower reading than before is not this process (pid reused): skip it.
    if (job.cpu_ns && now_ns > *job.cpu_ns) orphan_cpu_ns_[job.labels] += now_ns - *job.cpu_ns;
    if (!job.cpu_ns || now_ns >= *job.cpu_ns) job.cpu_ns = now_ns;
}

void MetricsState::sample_orphan_cpu() {
    if (!cpu_probe_) return;
    for (auto it = orphans_alive_.begin(); it != orphans_alive_.end();) {
        OrphanJob& job = it->second;
        auto cpu_ns = probe_cpu_ns(it->first.first);
        bool gone = !cpu_ns || (job.cpu_ns && *cpu_ns < *job.cpu_ns);
        if (!gone) {
            job.missed_probes = 0;
            add_orphan_cpu(job, *cpu_ns);
        } else if (job.cpu_ns && ++job.missed_probes >= kMissedProbesBeforeDrop) {
            // Seen alive before, gone now, and no exit came: the exit event
            // was lost. Without this the gauge would stay up for good.
            it = orphans_alive_.erase(it);
            continue;
        }
        ++it;
    }
}

void MetricsState::set_audit(AuditResult audit) {
    std::lock_guard lock(audit_mutex_);
    pending_audit_ = std::move(audit);
}

void MetricsState::take_audit() {
    std::optional<AuditResult> audit;
    {
        std::lock_guard lock(audit_mutex_);
        audit.swap(pending_audit_);
    }
    if (!audit) return;
    at_risk_.clear();
    for (const auto& [user, jobs] : audit->at_risk_by_user)
        at_risk_[at_risk_users_.fold(user)] += jobs;
    for (const auto& [user, jobs] : at_risk_) at_risk_series_.insert(user);
    last_audit_wall_ns_ = audit->wall_ns;
    audit_scans_ += audit->scan;
    if (orphans_seeded_) return;
    // Jobs orphaned while no daemon ran: no verdict will come for them, and
    // their age counts from their start, the earliest they can have been
    // orphaned that is known.
    orphans_seeded_ = true;
    for (const auto& seen : audit->orphans) {
        // Known from a verdict: its precise start is within the tick.
        auto known = orphans_alive_.lower_bound({seen.pid, seen.start_ns});
        if (known != orphans_alive_.end() && known->first.first == seen.pid &&
            known->first.second - seen.start_ns < std::max<std::uint64_t>(seen.start_tick_ns, 1))
            continue;
        OrphanJob job;
        job.labels = {orphan_users_.fold(seen.user), orphan_comms_.fold(seen.comm)};
        job.orphaned_ns = seen.start_ns;
        job.start_tick_ns = seen.start_tick_ns;
        add_orphan_job({seen.pid, seen.start_ns}, std::move(job));
    }
}

void MetricsState::publish(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                           std::size_t tracked_processes) {
    take_audit();
    sample_orphan_cpu();
    auto next =
        std::make_shared<const MetricsSnapshot>(build(now_boot_ns, counters, tracked_processes));
    std::lock_guard lock(snapshot_mutex_);
    snapshot_.swap(next);
    // `next` now holds the old snapshot: it is freed after the unlock
    // (reverse declaration order), or by the last scrape still reading it.
}

std::shared_ptr<const MetricsSnapshot> MetricsState::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

}  // namespace hupwatch
