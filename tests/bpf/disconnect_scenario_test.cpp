// Real terminals, real bash, real hangups: each kind of job started by hand
// in an interactive shell, then the line hung up as sshd does when a
// connection drops. Asserts each job's verdict field by field.
#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "monitor_capture.h"
#include "pty_session.h"
#include "scenario_helpers.h"
#include "test_process.h"
#include "tty_names.h"

namespace hupwatch::test {
namespace {

std::string pts_name(const std::string& slave_path) {
    return slave_path.substr(5);
}  // "pts/N"

TEST(DisconnectScenario, EveryKindOfJobGetsTheRightVerdictWhenThePtyHangsUp) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    const std::string tmux_socket = "hw" + tag;
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";

    auto plain = shell.start_job("sleep 1000" + tag);
    auto nohup = shell.start_job("nohup sleep 1001" + tag + " >/dev/null 2>&1");
    auto disowned = shell.start_job("sleep 1002" + tag, "disown");
    auto setsid_w = shell.start_job("setsid -w sleep 1003" + tag);
    auto handler =
        shell.start_job("bash -c 'trap \"echo got-hup\" HUP; while :; do sleep 0.1; done' x" + tag);
    auto writer =
        shell.start_job("bash -c 'trap \"\" HUP; while :; do echo tick; sleep 0.2; done' y" + tag);
    ASSERT_TRUE(plain && nohup && disowned && setsid_w && handler && writer);
    ASSERT_TRUE(
        shell.run("tmux -L " + tmux_socket + " new -d 'sleep 1005" + tag + "'; echo TMUX_$((2+2))",
                  "TMUX_4"));
    auto own_session = find_process("sleep 1003" + tag);
    auto in_tmux = find_process("sleep 1005" + tag);
    ASSERT_TRUE(own_session && in_tmux);
    ASSERT_TRUE(shell.type("sleep 1004" + tag));  // the foreground job
    auto foreground = find_process("sleep 1004" + tag);
    ASSERT_TRUE(foreground);

    const auto sid = static_cast<std::uint32_t>(shell.leader());
    const std::string tty = pts_name(shell.slave_path());
    shell.hang_up();
    int status = shell.wait_leader();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP);

    auto disconnect = monitor->wait_disconnect(sid);
    ASSERT_TRUE(disconnect);
    EXPECT_EQ(tty_name(disconnect->tty_dev), tty);
    EXPECT_EQ(disconnect->leader.pid, sid);
    EXPECT_EQ(disconnect->leader.comm, "bash");
    EXPECT_EQ(disconnect->hung_up_by_pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_EQ(disconnect->user, "root");

    auto one_verdict = [&](pid_t pid) -> std::optional<Verdict> {
        auto v = monitor->wait_verdicts(static_cast<std::uint32_t>(pid), 1);
        if (v.size() != 1) return std::nullopt;
        return v[0];
    };
    auto expect_killed = [&](pid_t pid, bool via_shell) {
        SCOPED_TRACE("killed job " + std::to_string(pid));
        auto v = one_verdict(pid);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::KilledByDisconnect);
        EXPECT_EQ(v->signal, SIGHUP);
        EXPECT_EQ(v->sid, sid);
        EXPECT_EQ(tty_name(v->tty_dev), tty);
        EXPECT_EQ(v->disconnect_sid, sid);
        EXPECT_EQ(v->user, "root");
        ASSERT_FALSE(v->lineage.empty());
        EXPECT_EQ(v->lineage.back().pid, sid) << "lineage ends at the session leader";
        if (via_shell) {
            ASSERT_TRUE(v->via);
            EXPECT_EQ(v->via->pid, sid);
            EXPECT_EQ(v->via->comm, "bash");
        }
    };
    auto expect_orphan = [&](pid_t pid, SurvivalReason reason, bool output_lost) {
        // Its lineage is the one it had in the session, not its new reaper's.
        SCOPED_TRACE("orphaned job " + std::to_string(pid));
        auto v = one_verdict(pid);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::Orphaned);
        EXPECT_EQ(v->cause, OrphanCause::Disconnect);
        EXPECT_EQ(v->survived_because, reason);
        ASSERT_TRUE(v->new_parent);
        EXPECT_EQ(v->new_parent->pid, static_cast<std::uint32_t>(getpid()));
        EXPECT_EQ(v->reaper, ReaperKind::Subreaper);
        EXPECT_EQ(v->output_lost, output_lost);
        EXPECT_EQ(v->supervision, Supervision::None);
        ASSERT_FALSE(v->lineage.empty());
        EXPECT_EQ(v->lineage.back().pid, sid);
        EXPECT_TRUE(alive(pid));
    };

    expect_killed(*plain, true);
    expect_killed(*setsid_w, true);
    // bash forwards the hangup to every job, the foreground one included,
    // before the kernel's own SIGHUP to the foreground group as bash dies.
    expect_killed(*foreground, true);
    // Output is lost for every survivor still writing to the terminal; only
    // the nohup'd job had its output redirected.
    expect_orphan(*nohup, SurvivalReason::SighupIgnored, false);
    expect_orphan(*disowned, SurvivalReason::NotSignalled, true);
    expect_orphan(*own_session, SurvivalReason::OwnSession, true);
    expect_orphan(*handler, SurvivalReason::SighupHandled, true);
    expect_orphan(*writer, SurvivalReason::SighupIgnored, true);
    EXPECT_EQ(one_verdict(*nohup).value_or(Verdict{}).sighup, SighupDisposition::Ignored);
    EXPECT_EQ(one_verdict(*handler).value_or(Verdict{}).sighup, SighupDisposition::Handled);
    EXPECT_EQ(one_verdict(*disowned).value_or(Verdict{}).sighup, SighupDisposition::Default);

    // The job inside tmux is untouched: alive, and no verdict about it.
    EXPECT_TRUE(alive(*in_tmux));
    EXPECT_TRUE(
        monitor
            ->wait_verdicts(static_cast<std::uint32_t>(*in_tmux), 1, std::chrono::milliseconds(300))
            .empty());

    [[maybe_unused]] int rc =
        std::system(("tmux -L " + tmux_socket + " kill-server 2>/dev/null").c_str());
    for (pid_t pid : {*nohup, *disowned, *own_session, *handler, *writer}) kill(pid, SIGKILL);
}

// A login shell (as an SSH login's is) with one job `sleep <seconds><tag>`,
// logged out with `exit` once the job runs its program: a SIGHUP landing
// between bash's fork and exec runs bash's own handler in the child and is
// lost (bash's race, not ours; it failed a test here 1 run in 20).
struct LoggedOut {
    std::uint32_t sid = 0;
    pid_t job = 0;
};

void log_out_with_a_job(const std::string& bash_setup, const std::string& job_command,
                        LoggedOut& out) {
    PtySession shell(bash_setup, /*login=*/true);
    ASSERT_TRUE(shell.ok());
    auto job = shell.start_job(job_command);
    ASSERT_TRUE(job);
    ASSERT_EQ(find_process(job_command), job);
    out.sid = static_cast<std::uint32_t>(shell.leader());
    out.job = *job;
    ASSERT_TRUE(shell.type("exit"));
    int status = shell.wait_leader();
    EXPECT_TRUE(WIFEXITED(status));
}

TEST(DisconnectScenario, HuponexitLogoutKillsTheJobAndEndsTheSession) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    LoggedOut session;
    ASSERT_NO_FATAL_FAILURE(
        log_out_with_a_job("shopt -s huponexit", "sleep 1010" + std::to_string(getpid()), session));
    const auto sid = session.sid;

    auto end = monitor->wait_session_end(sid);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->leader.comm, "bash");
    auto v = monitor->wait_verdicts(static_cast<std::uint32_t>(session.job), 1);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByLogout);
    EXPECT_EQ(v[0].signal, SIGHUP);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, sid);
    EXPECT_FALSE(monitor->wait_disconnect(sid, std::chrono::milliseconds(200)));
}

// bash's default, no huponexit: `exit` leaves the job running in the session
// its shell led. That is an orphaned job (parent_exit), not a daemon.
TEST(DisconnectScenario, APlainLogoutLeavesTheJobOrphaned) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    LoggedOut session;
    ASSERT_NO_FATAL_FAILURE(
        log_out_with_a_job("", "sleep 1011" + std::to_string(getpid()), session));
    const auto sid = session.sid;
    auto job = std::optional<pid_t>(session.job);

    ASSERT_TRUE(monitor->wait_session_end(sid));
    auto v = monitor->wait_verdicts(static_cast<std::uint32_t>(*job), 1);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::ParentExit);
    EXPECT_EQ(v[0].sid, sid);
    ASSERT_TRUE(v[0].new_parent);
    EXPECT_EQ(v[0].new_parent->pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_EQ(v[0].reaper, ReaperKind::Subreaper);
    EXPECT_FALSE(monitor->wait_disconnect(sid, std::chrono::milliseconds(200)));
    EXPECT_TRUE(alive(*job));
    kill(*job, SIGKILL);
}

TEST(DisconnectScenario, AnOperatorsKillHupInALiveSessionIsNoDisconnect) {
    HUPWATCH_START_MONITOR(monitor);
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    const std::string tag = std::to_string(getpid());
    auto from_outside = shell.start_job("sleep 1020" + tag);
    auto from_shell = shell.start_job("sleep 1021" + tag);
    ASSERT_TRUE(from_outside && from_shell);
    ASSERT_TRUE(wait_for_exec(*from_outside, "sleep 1020" + tag));
    ASSERT_TRUE(wait_for_exec(*from_shell, "sleep 1021" + tag));
    ASSERT_EQ(kill(*from_outside, SIGHUP), 0);  // the operator, from another terminal
    ASSERT_TRUE(shell.run("kill -HUP " + std::to_string(*from_shell) + "; echo K_$((3+3))", "K_6"));
    ASSERT_TRUE(shell.run("wait; echo W_$((4+4))", "W_8"));
    const auto sid = static_cast<std::uint32_t>(shell.leader());
    // Longer than the logout window: the shell stayed, so no logout either.
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // the window is a fixed time
    // The outsider's SIGHUP is no disconnect but a `killed` verdict (issue 11):
    // an operator's, though this test process forked the session's bash, as
    // sshd would have: kinship counts within the victim's session only.
    // A positive wait: bounded by the default timeout, not the 100 ms of the
    // negative waits below, so a loaded machine is not a failure.
    auto outside = monitor->wait_verdicts(static_cast<std::uint32_t>(*from_outside), 1);
    ASSERT_EQ(outside.size(), 1u);
    EXPECT_EQ(outside[0].kind, VerdictKind::Killed);
    ASSERT_TRUE(outside[0].kill && outside[0].kill->killer);
    EXPECT_EQ(outside[0].kill->cause, KillCause::Operator);
    EXPECT_EQ(outside[0].kill->killer->process.pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_TRUE(monitor
                    ->wait_verdicts(static_cast<std::uint32_t>(*from_shell), 1,
                                    std::chrono::milliseconds(100))
                    .empty());
    EXPECT_FALSE(monitor->wait_disconnect(sid, std::chrono::milliseconds(100)));
}

TEST(DisconnectScenario, ADoubleForkingDaemonIsDaemonizedNotOrphaned) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    const std::string tag = std::to_string(getpid());
    // setsid(1) forks when it is a group leader (a job is): the forked child
    // calls setsid() and its parent exits at once.
    ASSERT_TRUE(shell.run(
        "setsid sleep 1030" + tag + " </dev/null >/dev/null 2>&1 & echo D_$((5+5))", "D_10"));
    auto daemon = find_process("sleep 1030" + tag);
    ASSERT_TRUE(daemon);
    auto v = monitor->wait_verdicts(static_cast<std::uint32_t>(*daemon), 1);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Daemonized);
    EXPECT_FALSE(v[0].cause);
    EXPECT_EQ(v[0].new_parent->pid, static_cast<std::uint32_t>(getpid()));
    kill(*daemon, SIGKILL);
}

}  // namespace
}  // namespace hupwatch::test
