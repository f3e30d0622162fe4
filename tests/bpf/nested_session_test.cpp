// A session inside a session: an interactive bash on a pty (the outer login)
// runs `script` or `sudo -i`, which makes a new session on a new pty with an
// inner shell, and jobs are started there. Then the outer line hangs up. The
// inner session ends because the outer one did: the inner jobs must trace
// back to the outer disconnect, with the whole chain in their lineage. `su -`
// (no new session) runs an inner login shell in the outer session itself.
#include <gtest/gtest.h>

#include "finding_format.h"
#include "monitor_capture.h"
#include "pty_session.h"
#include "scenario_helpers.h"
#include "skip_or_fail.h"
#include "sshd_fixture.h"

namespace hupwatch::test {
namespace {

bool comm_is(pid_t pid, const std::string& comm) {
    auto s = read_proc_stat(pid);
    return s && s->comm == comm;
}

// The inner shell's pid: it prints it on the inner pty (its output comes
// back through script or sudo). The marker is computed: the inner pty
// echoes the typed line before stty runs.
std::optional<pid_t> inner_shell_pid(PtySession& shell) {
    if (!shell.run("stty -echo; unset HISTFILE; echo HW_INNER_$((2+3))=$$", "HW_INNER_5="))
        return std::nullopt;
    auto line = shell.wait_for("\n", std::chrono::seconds(5));
    if (!line) return std::nullopt;
    return static_cast<pid_t>(std::stol(*line));
}

// The parent of `pid`, checked to have this comm and session.
pid_t parent_checked(pid_t pid, const std::string& comm, pid_t sid) {
    auto s = read_proc_stat(pid);
    EXPECT_TRUE(s);
    if (!s) return -1;
    auto parent = read_proc_stat(s->ppid);
    EXPECT_TRUE(parent);
    if (!parent) return -1;
    EXPECT_EQ(parent->comm, comm) << "parent of " << pid;
    EXPECT_EQ(parent->sid, sid) << "session of " << s->ppid;
    return s->ppid;
}

// Kills the jobs, whatever the test's outcome.
struct Jobs {
    pid_t plain = -1, nohup = -1;
    ~Jobs() {
        if (plain > 0) kill(plain, SIGKILL);
        if (nohup > 0) kill(nohup, SIGKILL);
    }
};

// A plain `sleep &` and a `nohup sleep &` started in the inner shell.
void start_jobs(PtySession& shell, pid_t inner, const std::string& tag, Jobs& jobs) {
    auto plain = shell.start_job("sleep 1000" + tag);
    auto nohup = shell.start_job("nohup sleep 1001" + tag + " >/dev/null 2>&1");
    ASSERT_TRUE(plain && nohup);
    jobs.plain = *plain;
    jobs.nohup = *nohup;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(comm_is(*plain, "sleep") && comm_is(*nohup, "sleep")) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(comm_is(*plain, "sleep") && comm_is(*nohup, "sleep"));
    auto inner_stat = read_proc_stat(inner);
    ASSERT_TRUE(inner_stat);
    for (pid_t job : {*plain, *nohup}) {
        auto s = read_proc_stat(job);
        ASSERT_TRUE(s);
        ASSERT_EQ(s->ppid, inner);
        ASSERT_EQ(s->sid, inner_stat->sid);
    }
}

// Hangs the outer line up; each job's one verdict traces back to the outer
// disconnect through `chain` (the job's ancestors up to the outer shell).
// A job still running is orphaned; one that died did so of a SIGHUP its
// inner shell passed on, and is killed by the disconnect.
void expect_traced_to_outer(MonitorCapture& monitor, PtySession& shell, const Jobs& jobs,
                            const std::vector<std::uint32_t>& chain) {
    const auto outer_sid = static_cast<std::uint32_t>(shell.leader());
    const std::uint32_t inner_sid = read_proc_stat(jobs.plain)->sid;
    shell.hang_up();
    shell.wait_leader();
    auto disconnect = monitor.wait_disconnect(outer_sid);
    ASSERT_TRUE(disconnect);
    EXPECT_EQ(disconnect->leader.pid, outer_sid);

    BootClock clock;
    for (pid_t job : {jobs.plain, jobs.nohup}) {
        SCOPED_TRACE("inner job " + std::to_string(job));
        auto first = monitor.wait_verdicts(static_cast<std::uint32_t>(job), 1);
        auto all = first.empty() ? first
                                 : monitor.wait_verdicts(static_cast<std::uint32_t>(job), 2,
                                                         std::chrono::milliseconds(800));
        std::string text;
        for (const auto& v : all) text += "\n  " + to_json_line(Finding{v}, clock);
        ASSERT_EQ(all.size(), 1u) << text;
        const Verdict& v = all[0];
        if (alive(job)) {
            EXPECT_EQ(v.kind, VerdictKind::Orphaned) << text;
            EXPECT_EQ(v.cause, OrphanCause::Disconnect) << text;
        } else {
            EXPECT_EQ(job, jobs.plain) << "the nohup job ignores SIGHUP" << text;
            EXPECT_EQ(v.kind, VerdictKind::KilledByDisconnect) << text;
            EXPECT_EQ(v.signal, SIGHUP) << text;
        }
        EXPECT_EQ(v.disconnect_sid, outer_sid) << text;
        EXPECT_EQ(v.sid, inner_sid);
        std::vector<std::uint32_t> lineage;
        for (const auto& p : v.lineage) lineage.push_back(p.pid);
        EXPECT_EQ(lineage, chain) << text;
    }
    EXPECT_TRUE(alive(jobs.nohup)) << "the nohup job survived";
}

TEST(NestedSession, JobsOfAScriptSessionTraceBackToTheOuterDisconnect) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";

    // script runs its command with `$SHELL -c`; `exec` makes the inner bash
    // script's child whatever $SHELL is (dash, as under CI, keeps itself as
    // the session leader and forks the bash: the next test).
    ASSERT_TRUE(shell.type("script -qfc 'exec bash --norc --noprofile --noediting -i' /dev/null"));
    auto inner = inner_shell_pid(shell);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(comm_is(*inner, "bash"));
    ASSERT_EQ(read_proc_stat(*inner)->sid, *inner) << "script's child leads a session of its own";
    const pid_t script = parent_checked(*inner, "script", shell.leader());
    Jobs jobs;
    start_jobs(shell, *inner, tag, jobs);
    if (HasFatalFailure()) return;
    // The chain: the inner bash, script, the outer bash.
    expect_traced_to_outer(*monitor, shell, jobs,
                           {static_cast<std::uint32_t>(*inner), static_cast<std::uint32_t>(script),
                            static_cast<std::uint32_t>(shell.leader())});
}

TEST(NestedSession, JobsOfAScriptRunThroughShTraceBackToTheOuterDisconnect) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";

    // With SHELL=/bin/sh (dash), script's `sh -c` stays the inner session's
    // leader and forks the bash: one more link in the chain.
    ASSERT_TRUE(
        shell.type("SHELL=/bin/sh script -qfc 'bash --norc --noprofile --noediting -i' /dev/null"));
    auto inner = inner_shell_pid(shell);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(comm_is(*inner, "bash"));
    auto inner_stat = read_proc_stat(*inner);
    ASSERT_TRUE(inner_stat);
    const pid_t sh = inner_stat->ppid;
    ASSERT_TRUE(comm_is(sh, "sh"));
    ASSERT_EQ(inner_stat->sid, sh) << "sh leads the inner session";
    const pid_t script = parent_checked(sh, "script", shell.leader());
    Jobs jobs;
    start_jobs(shell, *inner, tag, jobs);
    if (HasFatalFailure()) return;
    expect_traced_to_outer(
        *monitor, shell, jobs,
        {static_cast<std::uint32_t>(*inner), static_cast<std::uint32_t>(sh),
         static_cast<std::uint32_t>(script), static_cast<std::uint32_t>(shell.leader())});
}

TEST(NestedSession, JobsOfASudoLoginTraceBackToTheOuterDisconnect) {
    if (access("/usr/bin/sudo", X_OK) != 0)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("sudo is not installed (scripts/install-deps.sh)");
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";

    // sudo (Debian's sudoers has use_pty) forks a monitor that leads a new
    // session on a new pty, and runs root's login shell in it.
    ASSERT_TRUE(shell.type("sudo -i"));
    auto inner = inner_shell_pid(shell);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(comm_is(*inner, "bash"));
    auto inner_stat = read_proc_stat(*inner);
    ASSERT_TRUE(inner_stat);
    const pid_t monitor_pid = inner_stat->ppid;
    ASSERT_TRUE(comm_is(monitor_pid, "sudo"));
    ASSERT_EQ(inner_stat->sid, monitor_pid) << "sudo's monitor leads the inner session (use_pty)";
    const pid_t sudo = parent_checked(monitor_pid, "sudo", shell.leader());
    Jobs jobs;
    start_jobs(shell, *inner, tag, jobs);
    if (HasFatalFailure()) return;
    // The chain: the inner bash, sudo's monitor, sudo, the outer bash.
    expect_traced_to_outer(
        *monitor, shell, jobs,
        {static_cast<std::uint32_t>(*inner), static_cast<std::uint32_t>(monitor_pid),
         static_cast<std::uint32_t>(sudo), static_cast<std::uint32_t>(shell.leader())});
}

TEST(NestedSession, JobsOfASuLoginTraceBackToTheOuterDisconnect) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";

    // util-linux su without --pty makes no new session: root's login shell
    // runs in the outer session, on the outer terminal.
    ASSERT_TRUE(shell.type("su -"));
    auto inner = inner_shell_pid(shell);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(comm_is(*inner, "bash"));
    const pid_t su = parent_checked(*inner, "su", shell.leader());
    ASSERT_EQ(read_proc_stat(*inner)->sid, shell.leader());
    Jobs jobs;
    start_jobs(shell, *inner, tag, jobs);
    if (HasFatalFailure()) return;
    expect_traced_to_outer(*monitor, shell, jobs,
                           {static_cast<std::uint32_t>(*inner), static_cast<std::uint32_t>(su),
                            static_cast<std::uint32_t>(shell.leader())});
}

}  // namespace
}  // namespace hupwatch::test
