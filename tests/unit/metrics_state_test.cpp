// MetricsState: synthetic events and findings in, exact sample values out.
#include "metrics_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <optional>

#include "process_self_metrics.h"
#include "version.h"

namespace hupwatch {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;

// The value of one sample, nullopt when the family or the sample is missing.
std::optional<double> value_of(const MetricsSnapshot& snapshot, std::string_view name,
                               const MetricLabels& labels = {}) {
    for (const auto& family : snapshot.families) {
        if (family.name != name) continue;
        for (const auto& sample : family.samples)
            if (sample.labels == labels) return sample.value;
    }
    return std::nullopt;
}

const MetricFamily* family_of(const MetricsSnapshot& snapshot, std::string_view name) {
    for (const auto& family : snapshot.families)
        if (family.name == name) return &family;
    return nullptr;
}

Verdict verdict(VerdictKind kind, std::uint32_t pid, std::uint64_t start_ns,
                const std::string& comm, const std::string& user = "alice") {
    Verdict v;
    v.kind = kind;
    v.process = {pid, start_ns, comm};
    v.user = user;
    return v;
}

Verdict orphan(std::uint32_t pid, std::uint64_t start_ns, const std::string& comm,
               std::uint64_t when_ns = 0, const std::string& user = "alice") {
    Verdict v = verdict(VerdictKind::Orphaned, pid, start_ns, comm, user);
    v.ktime_ns = when_ns;
    v.cause = OrphanCause::Disconnect;
    v.reaper = ReaperKind::Init;
    return v;
}

Event exit_event(std::uint32_t pid, std::uint64_t start_ns, double cpu_seconds = 0) {
    ExitEvent e;
    e.proc.pid = e.proc.tid = pid;
    e.proc.start_ns = start_ns;
    auto ns = static_cast<std::uint64_t>(cpu_seconds * 1e9);
    e.utime_ns = ns / 2;
    e.stime_ns = ns - ns / 2;
    return Event{0, e};
}

// proc_root empty: no process_* metrics, so samples depend on the test only.
MetricsStateOptions test_options(std::size_t comm_label_limit = 50) {
    MetricsStateOptions options;
    options.comm_label_limit = comm_label_limit;
    options.proc_root = "";
    options.kernel_release = "6.1.0-test";
    return options;
}

class MetricsStateTest : public testing::Test {
   protected:
    MetricsState state{test_options()};
    MonitorCounters counters;

    std::shared_ptr<const MetricsSnapshot> publish(std::uint64_t now_ns = 0,
                                                   std::size_t tracked = 0) {
        state.publish(now_ns, counters, tracked);
        return state.snapshot();
    }
};

TEST_F(MetricsStateTest, SnapshotIsCompleteBeforeFirstPublish) {
    auto s = state.snapshot();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_killed_total", {{"cause", "logout"}}), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_events_lost_total", {{"type", "fork"}}), 0);
}

TEST_F(MetricsStateTest, LabelledCountersStartAtZero) {
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_disconnects_total"), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_killed_total", {{"cause", "disconnect"}}), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_killed_total", {{"cause", "logout"}}), 0);
    for (const char* cause : {"disconnect", "parent_exit"})
        for (const char* reaper : {"init", "subreaper"})
            EXPECT_EQ(
                value_of(*s, "hupwatch_orphans_total", {{"cause", cause}, {"reaper", reaper}}), 0);
    for (const char* type :
         {"fork", "exec", "exit", "signal", "reparent", "session", "output_lost"}) {
        EXPECT_EQ(value_of(*s, "hupwatch_events_total", {{"type", type}}), 0) << type;
        EXPECT_EQ(value_of(*s, "hupwatch_events_lost_total", {{"type", type}}), 0) << type;
    }
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_output_lost_writes_total"), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_build_info",
                       {{"version", HUPWATCH_VERSION}, {"kernel", "6.1.0-test"}}),
              1);
    EXPECT_TRUE(family_of(*s, "hupwatch_orphaned_jobs")->samples.empty());
    EXPECT_EQ(family_of(*s, "process_cpu_seconds_total"), nullptr);
}

TEST_F(MetricsStateTest, CountsDisconnectsAndDeathVerdicts) {
    state.on_finding(DisconnectFinding{});
    state.on_finding(DisconnectFinding{});
    state.on_finding(SessionEndFinding{});
    state.on_finding(verdict(VerdictKind::KilledByDisconnect, 10, 1, "make"));
    state.on_finding(verdict(VerdictKind::KilledByDisconnect, 11, 1, "cc1"));
    state.on_finding(verdict(VerdictKind::KilledByLogout, 12, 1, "sleep"));
    state.on_finding(verdict(VerdictKind::DiedAfterDisconnect, 13, 1, "rsync"));
    state.on_finding(verdict(VerdictKind::Daemonized, 14, 1, "tmux: server"));
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_disconnects_total"), 2);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_killed_total", {{"cause", "disconnect"}}), 2);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_killed_total", {{"cause", "logout"}}), 1);
    EXPECT_EQ(value_of(*s, "hupwatch_deaths_after_disconnect_total"), 1);
    EXPECT_EQ(value_of(*s, "hupwatch_daemonized_total"), 1);
    // A daemon is never an orphaned job.
    EXPECT_TRUE(family_of(*s, "hupwatch_orphaned_jobs")->samples.empty());
}

TEST_F(MetricsStateTest, CountsOrphansByCauseAndReaper) {
    state.on_finding(orphan(10, 1, "a"));
    Verdict parent_exit = orphan(11, 1, "b");
    parent_exit.cause = OrphanCause::ParentExit;
    state.on_finding(parent_exit);
    Verdict subreaper = orphan(12, 1, "c");
    subreaper.reaper = ReaperKind::Subreaper;
    state.on_finding(subreaper);
    state.on_finding(orphan(13, 1, "d"));
    auto s = publish();
    auto orphans = [&](const char* cause, const char* reaper) {
        return value_of(*s, "hupwatch_orphans_total", {{"cause", cause}, {"reaper", reaper}});
    };
    EXPECT_EQ(orphans("disconnect", "init"), 2);
    EXPECT_EQ(orphans("disconnect", "subreaper"), 1);
    EXPECT_EQ(orphans("parent_exit", "init"), 1);
    EXPECT_EQ(orphans("parent_exit", "subreaper"), 0);
}

TEST_F(MetricsStateTest, OrphanedJobsGaugeRisesAndFallsOnExit) {
    state.on_finding(orphan(100, 7, "migrate.sh"));
    state.on_finding(orphan(101, 7, "migrate.sh"));
    state.on_finding(orphan(102, 7, "backup.sh", 0, "bob"));
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "migrate.sh"}}),
              2);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "bob"}, {"comm", "backup.sh"}}), 1);

    state.on_event(exit_event(100, 7));
    state.on_event(exit_event(102, 7));
    state.on_event(exit_event(555, 7));  // not an orphan: no effect
    s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "migrate.sh"}}),
              1);
    // The series stays, at 0, so "no orphans" is a value, not a gap.
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "bob"}, {"comm", "backup.sh"}}), 0);
}

TEST_F(MetricsStateTest, SupervisedOrphansAreCountedButNotInTheGauge) {
    Verdict tmux = orphan(20, 1, "vim");
    tmux.supervision = Supervision::Tmux;
    Verdict systemd = orphan(21, 1, "worker");
    systemd.supervision = Supervision::Systemd;
    Verdict nohup = orphan(22, 1, "long.sh");
    nohup.sighup = SighupDisposition::Ignored;  // nohup is not supervision
    state.on_finding(tmux);
    state.on_finding(systemd);
    state.on_finding(nohup);
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphans_total", {{"cause", "disconnect"}, {"reaper", "init"}}),
              3);
    const auto* gauge = family_of(*s, "hupwatch_orphaned_jobs");
    ASSERT_EQ(gauge->samples.size(), 1u);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "long.sh"}}), 1);
}

TEST_F(MetricsStateTest, PidReuseMakesTwoJobs) {
    state.on_finding(orphan(300, 1 * kSecond, "job"));
    state.on_finding(orphan(300, 9 * kSecond, "job"));
    // The same job orphaned again (its subreaper died) is still one job.
    state.on_finding(orphan(300, 9 * kSecond, "job"));
    auto s = publish(10 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "job"}}), 2);
    EXPECT_EQ(value_of(*s, "hupwatch_orphans_total", {{"cause", "disconnect"}, {"reaper", "init"}}),
              3);
    state.on_event(exit_event(300, 1 * kSecond));
    s = publish(10 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "job"}}), 1);
}

TEST_F(MetricsStateTest, OldestOrphanAge) {
    state.on_finding(orphan(1, 1, "a", 100 * kSecond));
    state.on_finding(orphan(2, 1, "b", 40 * kSecond));
    state.on_finding(orphan(3, 1, "c", 70 * kSecond));
    auto s = publish(160 * kSecond + kSecond / 2);
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 120.5);
    state.on_event(exit_event(2, 1));
    s = publish(160 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 90);
    state.on_event(exit_event(1, 1));
    state.on_event(exit_event(3, 1));
    s = publish(160 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 0);
}

TEST_F(MetricsStateTest, OrphanCpuAccumulatesFromBaselineAndAtExit) {
    std::map<std::uint32_t, double> cpu{{50, 10.0}, {51, 3.0}};
    state.set_orphan_cpu_probe([&](std::uint32_t pid) -> std::optional<double> {
        auto it = cpu.find(pid);
        if (it == cpu.end()) return std::nullopt;
        return it->second;
    });
    const MetricLabels alice_py{{"user", "alice"}, {"comm", "python3"}};
    state.on_finding(orphan(50, 1, "python3"));  // baseline 10 s: not the orphan's
    state.on_finding(orphan(51, 1, "python3"));  // baseline 3 s
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total", alice_py), 0);

    cpu[50] = 12.5;
    cpu[51] = 4.0;
    s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total", alice_py), 3.5);

    // At exit, the final delta comes from the exit event's utime + stime.
    state.on_event(exit_event(50, 1, 14.0));
    cpu.erase(50);
    s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total", alice_py), 5.0);

    // Never decreases, and is kept after every job of the label set is gone.
    state.on_event(exit_event(51, 1, 4.0));
    cpu.erase(51);
    s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total", alice_py), 5.0);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", alice_py), 0);
}

TEST_F(MetricsStateTest, OrphanWhoseExitWasLostIsDroppedWhenProbesFindItGone) {
    std::optional<double> cpu = 1.0;
    state.set_orphan_cpu_probe([&](std::uint32_t) { return cpu; });
    state.on_finding(orphan(60, 1, "lost"));
    const MetricLabels labels{{"user", "alice"}, {"comm", "lost"}};
    cpu = std::nullopt;
    EXPECT_EQ(value_of(*publish(), "hupwatch_orphaned_jobs", labels), 1);
    EXPECT_EQ(value_of(*publish(), "hupwatch_orphaned_jobs", labels), 1);
    EXPECT_EQ(value_of(*publish(), "hupwatch_orphaned_jobs", labels), 0);
}

TEST_F(MetricsStateTest, OrphanNeverSeenByTheProbeWaitsForItsExit) {
    state.set_orphan_cpu_probe([](std::uint32_t) { return std::optional<double>(); });
    state.on_finding(orphan(61, 1, "elsewhere"));
    const MetricLabels labels{{"user", "alice"}, {"comm", "elsewhere"}};
    for (int i = 0; i < 5; ++i) publish();
    EXPECT_EQ(value_of(*publish(), "hupwatch_orphaned_jobs", labels), 1);
    state.on_event(exit_event(61, 1, 2.0));
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", labels), 0);
    // No baseline: nothing can be attributed to its time as an orphan.
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total", labels), 0);
}

TEST_F(MetricsStateTest, FoldsCommsBeyondTheLimit) {
    MetricsState folded(test_options(3));
    const char* comms[] = {"a", "b", "c", "d", "e", "a"};
    std::uint32_t pid = 1;
    for (const char* comm : comms) folded.on_finding(orphan(pid++, 1, comm));
    folded.publish(0, counters, 0);
    auto s = folded.snapshot();
    auto jobs = [&](const char* comm) {
        return value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", comm}});
    };
    EXPECT_EQ(jobs("a"), 2);
    EXPECT_EQ(jobs("b"), 1);
    EXPECT_EQ(jobs("c"), 1);
    EXPECT_EQ(jobs("other"), 2);
    EXPECT_EQ(jobs("d"), std::nullopt);
    EXPECT_EQ(family_of(*s, "hupwatch_orphaned_jobs")->samples.size(), 4u);
    EXPECT_EQ(family_of(*s, "hupwatch_orphaned_job_cpu_seconds_total")->samples.size(), 4u);

    // Once folded, always folded; an admitted comm keeps its series.
    for (std::uint32_t p = 1; p < pid; ++p) folded.on_event(exit_event(p, 1));
    folded.on_finding(orphan(pid++, 1, "d"));
    folded.on_finding(orphan(pid++, 1, "b"));
    folded.publish(0, counters, 0);
    s = folded.snapshot();
    EXPECT_EQ(jobs("other"), 1);
    EXPECT_EQ(jobs("b"), 1);
    EXPECT_EQ(jobs("a"), 0);
}

TEST_F(MetricsStateTest, CountsLostWritesByDelta) {
    auto lost = [](std::uint32_t pid, std::uint64_t start_ns, std::uint64_t writes) {
        OutputLostEvent e;
        e.proc.pid = pid;
        e.proc.start_ns = start_ns;
        e.eio_writes = writes;
        return Event{0, e};
    };
    state.on_event(lost(70, 1, 1));
    state.on_event(lost(70, 1, 40));
    state.on_event(lost(70, 1, 40));  // a repeated report adds nothing
    state.on_event(lost(71, 1, 5));
    EXPECT_EQ(value_of(*publish(), "hupwatch_output_lost_writes_total"), 45);
    // After its exit the same pid is a new process, counting from 0.
    state.on_event(exit_event(70, 1));
    state.on_event(lost(70, 2, 3));
    EXPECT_EQ(value_of(*publish(), "hupwatch_output_lost_writes_total"), 48);
}

TEST_F(MetricsStateTest, CountsSignalsByNameOriginAndResult) {
    auto signal = [](int sig, SignalOrigin origin, SignalResult result) {
        SignalEvent e;
        e.sig = sig;
        e.origin = origin;
        e.result = result;
        return Event{0, e};
    };
    state.on_event(signal(1, SignalOrigin::Kernel, SignalResult::Delivered));
    state.on_event(signal(1, SignalOrigin::Kernel, SignalResult::Delivered));
    state.on_event(signal(1, SignalOrigin::User, SignalResult::Ignored));
    state.on_event(signal(9, SignalOrigin::User, SignalResult::Delivered));
    auto s = publish();
    auto count = [&](const char* sig, const char* origin, const char* result) {
        return value_of(*s, "hupwatch_signals_total",
                        {{"signal", sig}, {"origin", origin}, {"result", result}});
    };
    EXPECT_EQ(count("SIGHUP", "kernel", "delivered"), 2);
    EXPECT_EQ(count("SIGHUP", "user", "ignored"), 1);
    EXPECT_EQ(count("SIGKILL", "user", "delivered"), 1);
    EXPECT_EQ(family_of(*s, "hupwatch_signals_total")->samples.size(), 3u);
}

TEST_F(MetricsStateTest, SelfMonitoringFromMonitorCounters) {
    counters.events_by_type[static_cast<int>(EventType::Fork)] = 100;
    counters.events_by_type[static_cast<int>(EventType::OutputLost)] = 2;
    counters.kernel[HW_EV_EXEC] = 7;
    counters.kernel[HW_EV_OUTPUT_LOST] = 1;
    counters.kernel[HW_STAT_THREADS_CREATED] = 999;  // not a loss
    auto s = publish(0, 4321);
    EXPECT_EQ(value_of(*s, "hupwatch_events_total", {{"type", "fork"}}), 100);
    EXPECT_EQ(value_of(*s, "hupwatch_events_total", {{"type", "output_lost"}}), 2);
    EXPECT_EQ(value_of(*s, "hupwatch_events_total", {{"type", "exec"}}), 0);
    EXPECT_EQ(value_of(*s, "hupwatch_events_lost_total", {{"type", "exec"}}), 7);
    EXPECT_EQ(value_of(*s, "hupwatch_events_lost_total", {{"type", "output_lost"}}), 1);
    EXPECT_EQ(value_of(*s, "hupwatch_events_lost_total", {{"type", "fork"}}), 0);
    EXPECT_EQ(family_of(*s, "hupwatch_events_lost_total")->samples.size(), kRingEventTypeCount);
    EXPECT_EQ(value_of(*s, "hupwatch_tracked_processes"), 4321);
}

TEST_F(MetricsStateTest, JobsAtRiskReplacedAndKeptAtZero) {
    state.set_audit({{{"alice", 3}, {"bob", 1}}, {}, {}, 0, {}});
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_at_risk", {{"user", "alice"}}), 3);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_at_risk", {{"user", "bob"}}), 1);
    state.set_audit({{{"alice", 1}}, {}, {}, 0, {}});
    s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_at_risk", {{"user", "alice"}}), 1);
    EXPECT_EQ(value_of(*s, "hupwatch_jobs_at_risk", {{"user", "bob"}}), 0);
}

// Jobs orphaned while no daemon ran: the first audit seeds the gauges, their
// age from their start; an exit names them with a precise start, /proc a
// tick-floored one; later audits seed nothing (issue 15).
TEST_F(MetricsStateTest, FirstAuditSeedsOrphansFromProc) {
    constexpr std::uint64_t kTick = 10'000'000ULL;
    state.on_finding(orphan(300, 40 * kSecond, "known", 45 * kSecond, "carol"));
    AuditResult audit;
    audit.orphans = {{100, 10 * kSecond, kTick, "alice", "migrate.sh"},
                     {101, 20 * kSecond, kTick, "alice", "migrate.sh"},
                     {300, 40 * kSecond - kTick / 2, kTick, "carol", "known"}};  // has a verdict
    audit.wall_ns = 1'700'000'000 * static_cast<std::int64_t>(kSecond);
    state.set_audit(audit);
    auto s = publish(100 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "migrate.sh"}}),
              2);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "carol"}, {"comm", "known"}}), 1);
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 90);
    EXPECT_EQ(value_of(*s, "hupwatch_last_audit_timestamp_seconds"), 1'700'000'000);

    state.on_event(exit_event(100, 10 * kSecond + kTick / 3));  // precise start, same job
    audit.orphans.push_back({555, 60 * kSecond, kTick, "dave", "late"});
    state.set_audit(audit);  // a later audit: not a seed
    s = publish(100 * kSecond);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "alice"}, {"comm", "migrate.sh"}}),
              1);
    EXPECT_EQ(value_of(*s, "hupwatch_orphaned_jobs", {{"user", "dave"}, {"comm", "late"}}),
              std::nullopt);
    EXPECT_EQ(value_of(*s, "hupwatch_oldest_orphaned_job_age_seconds"), 80);
}

// CPU seconds are summed as integer ns: 0.1 + 0.06 prints as 0.16, not as
// 0.16000000000000003 (issue 15).
TEST_F(MetricsStateTest, CpuSumsPrintShortest) {
    std::optional<double> cpu = 1.0;
    state.set_orphan_cpu_probe([&](std::uint32_t) { return cpu; });
    state.on_finding(orphan(7, 1, "job", 0, "alice"));
    cpu = 1.1;
    publish();
    cpu = 1.16;
    auto s = publish();
    auto v = value_of(*s, "hupwatch_orphaned_job_cpu_seconds_total",
                      {{"user", "alice"}, {"comm", "job"}});
    ASSERT_TRUE(v);
    EXPECT_EQ(format_sample_value(*v), "0.16");
}

// Every counter kept is exported (issue 9): the table's, the scans', the
// sinks', and each BPF program's runs and time.
TEST_F(MetricsStateTest, KeptCountersAreExported) {
    counters.table.refused_full = 3;
    counters.table.evicted_pressure = 4;
    counters.table.evicted_quiet = 6;
    counters.seed_scan.scans = 1;
    counters.seed_scan.vanished = 2;
    counters.programs.push_back({"handle_exit", 10, 2'500'000'000ULL});
    AuditResult audit;
    audit.scan.scans = 1;
    audit.scan.vanished = 5;
    state.set_audit(audit);
    state.set_sink_counters({7, 1, 2, 3, 4});
    auto s = publish();
    EXPECT_EQ(value_of(*s, "hupwatch_process_table_refused_total"), 3);
    EXPECT_EQ(value_of(*s, "hupwatch_process_table_evictions_total", {{"reason", "pressure"}}), 4);
    EXPECT_EQ(value_of(*s, "hupwatch_process_table_evictions_total", {{"reason", "quiet"}}), 6);
    EXPECT_EQ(value_of(*s, "hupwatch_proc_scans_total"), 2);
    EXPECT_EQ(value_of(*s, "hupwatch_proc_scan_skipped_total", {{"reason", "vanished"}}), 7);
    EXPECT_EQ(value_of(*s, "hupwatch_bpf_program_runs_total", {{"program", "handle_exit"}}), 10);
    EXPECT_EQ(value_of(*s, "hupwatch_bpf_program_run_seconds_total", {{"program", "handle_exit"}}),
              2.5);
    EXPECT_EQ(value_of(*s, "hupwatch_events_json_lines_written_total"), 7);
    EXPECT_EQ(value_of(*s, "hupwatch_journald_errors_total"), 4);
}

TEST_F(MetricsStateTest, OldSnapshotStaysValidWhileHeld) {
    state.on_finding(DisconnectFinding{});
    auto held = publish();
    state.on_finding(DisconnectFinding{});
    auto fresh = publish();
    EXPECT_EQ(value_of(*held, "hupwatch_disconnects_total"), 1);
    EXPECT_EQ(value_of(*fresh, "hupwatch_disconnects_total"), 2);
}

TEST(ProcessSelfMetrics, ReadsThisProcess) {
    auto stats = read_process_self_stats();
    ASSERT_TRUE(stats.cpu_seconds && stats.resident_bytes && stats.start_time_seconds &&
                stats.open_fds && stats.virtual_bytes);
    EXPECT_GE(*stats.cpu_seconds, 0);
    EXPECT_GT(*stats.resident_bytes, 0);
    EXPECT_GE(*stats.virtual_bytes, *stats.resident_bytes);
    EXPECT_GE(*stats.open_fds, 3);  // stdin, stdout, stderr at least
    // Started within the last day, and not in the future (with slack for
    // the tick granularity).
    double now = static_cast<double>(std::time(nullptr));
    EXPECT_LE(*stats.start_time_seconds, now + 2);
    EXPECT_GT(*stats.start_time_seconds, now - 86400);

    std::vector<MetricFamily> families;
    append_process_self_metrics(stats, families);
    std::vector<std::string> names;
    for (const auto& f : families) names.push_back(f.name);
    for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_start_time_seconds", "process_open_fds"})
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(ProcessSelfMetrics, MissingProcLeavesFamiliesOut) {
    auto stats = read_process_self_stats("/nonexistent-proc");
    EXPECT_FALSE(stats.cpu_seconds || stats.resident_bytes || stats.start_time_seconds ||
                 stats.open_fds);
    std::vector<MetricFamily> families;
    append_process_self_metrics(stats, families);
    for (const auto& f : families) EXPECT_EQ(f.name, "process_max_fds");
}

}  // namespace
}  // namespace hupwatch
