// The correlator on synthetic event streams: every verdict, and the traps
// (an operator's SIGHUP, PID reuse, processes known only from /proc).
#include "disconnect_correlator.h"

#include <gtest/gtest.h>

#include <csignal>

#include "correlator_story.h"
#include "process_table.h"

namespace hupwatch {
namespace {

using namespace test;

TEST(Correlator, DisconnectNamesSessionTerminalLeaderAndSshd) {
    Story s;
    Login login(s);
    login.hang_up(100 * kSec);
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].ktime_ns, 100 * kSec);
    EXPECT_EQ(d[0].sid, 900u);
    EXPECT_EQ(d[0].tty_dev, kPts3) << "the tty the session had before the kernel cleared it";
    EXPECT_EQ(d[0].leader.pid, 900u);
    EXPECT_EQ(d[0].leader.comm, "bash");
    EXPECT_EQ(d[0].hung_up_by_pid, 800u);
    EXPECT_EQ(d[0].hung_up_by_comm, "sshd");
    EXPECT_EQ(d[0].uid, 1000u);
    // A second SIGHUP to the same leader is not a second disconnect.
    login.hang_up(101 * kSec);
    EXPECT_EQ(s.disconnects().size(), 1u);
}

TEST(Correlator, JobKilledByTheShellForwardingTheHangup) {
    Story s;
    Login login(s);
    auto job = login.job(901, 10 * kSec, "migrate.sh");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 1000);
    s.sighup(job, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.at(100 * kSec + 2000);
    s.exit_signal(job, SIGHUP);

    auto v = s.verdicts_for(901);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].process.start_ns, 10 * kSec);
    EXPECT_EQ(v[0].signal, SIGHUP);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 900u);
    EXPECT_EQ(v[0].via->comm, "bash");
    EXPECT_EQ(v[0].argv, (std::vector<std::string>{"migrate.sh", "--job", "901"}));
    EXPECT_EQ(v[0].tty_dev, kPts3);
    EXPECT_EQ(v[0].sid, 900u);
    EXPECT_EQ(v[0].run_time_ns, 90 * kSec + 2000);
    ASSERT_EQ(v[0].lineage.size(), 1u) << "up to the session leader";
    EXPECT_EQ(v[0].lineage[0].pid, 900u);
    EXPECT_EQ(v[0].disconnect_ktime_ns, 100 * kSec);
    EXPECT_EQ(v[0].confidence, Confidence::Certain);
    ASSERT_EQ(v[0].evidence.size(), 3u);
    EXPECT_EQ(v[0].evidence[0].kind, "disconnect");
    EXPECT_EQ(v[0].evidence[1].kind, "signal");
    EXPECT_EQ(v[0].evidence[2].kind, "exit");
}

// The login shell was running a PROMPT_COMMAND hook when the line dropped:
// the hook's subshell, in the same session, forwards the hangup instead.
TEST(Correlator, ASubshellOfTheSessionForwardingTheHangupCounts) {
    Story s;
    Login login(s);
    auto job = login.job(920, 10 * kSec, "worker");
    auto hook = s.proc(921, 99 * kSec, 900, 900, kPts3, "bash");
    s.at(99 * kSec);
    s.fork(hook, login.bash.start_ns);
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(job, hook, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job, SIGHUP);
    auto v = s.verdicts_for(920);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 921u);
}

TEST(Correlator, AnOutsidersSighupAfterADisconnectIsNotTheDisconnects) {
    Story s;
    Login login(s);
    auto job = login.job(922, 10 * kSec, "worker");
    auto outsider = s.proc(1700, 5 * kSec, 1, 1700, 0, "reloader");
    s.at(5 * kSec);
    s.fork(outsider, kSec);
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(job, outsider, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job, SIGHUP);
    // Not the disconnect's: the outsider killed it (verdict killed).
    auto v = s.verdicts_for(922);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Killed);
    ASSERT_TRUE(v[0].kill && v[0].kill->killer);
    EXPECT_EQ(v[0].kill->cause, KillCause::Operator);
    EXPECT_EQ(v[0].kill->killer->process.pid, 1700u);
    EXPECT_FALSE(v[0].disconnect_sid);
}

TEST(Correlator, ForegroundJobKilledByTheKernelDirectly) {
    Story s;
    Login login(s);
    auto job = login.job(902, 10 * kSec, "vim");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 500);
    s.sighup(job, login.bash, SignalOrigin::Kernel, SignalResult::Delivered);  // disassociate_ctty
    s.exit_signal(job, SIGHUP);
    auto v = s.verdicts_for(902);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_FALSE(v[0].via) << "no shell forwarded it";
}

// `tmux new -d 'sleep 600'`, `ssh -t host top`: the command leads its own
// session on its terminal; the hangup kills the job itself.
TEST(Correlator, ACommandLeadingItsOwnSessionIsAJobTheHangupKills) {
    Story s;
    auto sshd = s.proc(800, 1 * kSec, 1, 800, 0, "sshd");
    auto top = s.proc(900, 2 * kSec, 800, 900, kPts3, "top");
    s.at(1 * kSec);
    s.fork(sshd, kSec / 2);
    s.at(2 * kSec);
    s.fork(top, sshd.start_ns);
    s.exec(top, {"top"});
    s.at(100 * kSec);
    top.tty_dev = 0;
    s.sighup(top, sshd, SignalOrigin::Kernel, SignalResult::Delivered);
    s.exit_signal(top, SIGHUP);
    ASSERT_EQ(s.disconnects().size(), 1u);
    auto v = s.verdicts_for(900);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].signal, SIGHUP);
    EXPECT_EQ(v[0].disconnect_sid, 900u);
}

// The login shell that leads the session is the session, not a job: its
// death by the hangup is the disconnect finding alone.
TEST(Correlator, ALoginShellKilledByTheHangupIsNoVerdict) {
    Story s;
    Login login(s);
    login.hang_up(100 * kSec);
    auto bash = login.bash;
    bash.tty_dev = 0;
    s.exit_signal(bash, SIGHUP);
    EXPECT_EQ(s.disconnects().size(), 1u);
    EXPECT_TRUE(s.verdicts_for(900).empty());
}

TEST(Correlator, SurvivorsAreOrphansWithTheReasonTheySurvived) {
    Story s;
    Login login(s);
    auto nohup_job = login.job(903, 10 * kSec, "nohup-job");
    auto handler_job = login.job(904, 11 * kSec, "handler-job");
    auto disowned = login.job(905, 12 * kSec, "disowned");
    // A setsid'd child of the shell: its own session.
    auto own = s.proc(906, 13 * kSec, 900, 906, 0, "own-session");
    s.at(13 * kSec);
    s.fork(own, login.bash.start_ns);

    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(nohup_job, login.bash, SignalOrigin::User, SignalResult::Ignored);
    s.sighup(handler_job, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.at(100 * kSec + 200);
    for (const auto& child : {nohup_job, handler_job, disowned, own})
        s.reparent(child, login.bash, 1, kSec / 2);
    auto bash = login.bash;
    bash.tty_dev = 0;
    s.exit_signal(bash, SIGHUP);
    EXPECT_TRUE(s.verdicts_for(903).empty()) << "orphan verdicts wait for pending SIGHUPs to land";
    s.tick(101 * kSec);

    auto check = [&](std::uint32_t pid, SurvivalReason reason) {
        SCOPED_TRACE(pid);
        auto v = s.verdicts_for(pid);
        ASSERT_EQ(v.size(), 1u);
        EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
        EXPECT_EQ(v[0].cause, OrphanCause::Disconnect);
        EXPECT_EQ(v[0].survived_because, reason);
        ASSERT_TRUE(v[0].new_parent);
        EXPECT_EQ(v[0].new_parent->pid, 1u);
        EXPECT_EQ(v[0].reaper, ReaperKind::Init);
        EXPECT_EQ(v[0].ppid, 1u);
        EXPECT_EQ(v[0].disconnect_sid, 900u);
    };
    check(903, SurvivalReason::SighupIgnored);
    check(904, SurvivalReason::SighupHandled);
    check(905, SurvivalReason::NotSignalled);
    check(906, SurvivalReason::OwnSession);
    EXPECT_EQ(s.verdicts_for(903)[0].sighup, SighupDisposition::Ignored);
    EXPECT_EQ(s.verdicts_for(904)[0].sighup, SighupDisposition::Handled);
    EXPECT_EQ(s.verdicts_for(905)[0].sighup, SighupDisposition::Default);
    EXPECT_TRUE(s.session_ends().empty()) << "a hung-up session does not also end by logout";
}

TEST(Correlator, AJobDyingOfAPendingSighupAfterReparentingIsNotAnOrphan) {
    Story s;
    Login login(s);
    auto job = login.job(907, 10 * kSec, "slow-to-die");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(job, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.reparent(job, login.bash, 1, kSec / 2);
    s.at(100 * kSec + 300'000'000);
    s.exit_signal(job, SIGHUP);
    s.tick(102 * kSec);
    auto v = s.verdicts_for(907);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
}

// bash -> setsid -w -> sleep (own session). bash dies first, so setsid is
// reparented before it dies; the sleep's lineage must still reach bash.
TEST(Correlator, LineageFollowsOriginalParentsAtEveryStep) {
    Story s;
    Login login(s);
    auto wrapper = login.job(930, 10 * kSec, "setsid");
    auto inner = s.proc(931, 11 * kSec, 930, 931, 0, "sleep");
    s.at(11 * kSec);
    s.fork(inner, wrapper.start_ns);
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(wrapper, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.reparent(wrapper, login.bash, 1, kSec / 2);
    auto bash = login.bash;
    bash.tty_dev = 0;
    s.exit_signal(bash, SIGHUP);
    auto moved = wrapper;
    moved.ppid = 1;
    s.at(100 * kSec + 200);
    s.reparent(inner, moved, 1, kSec / 2);
    s.exit_signal(moved, SIGHUP);
    s.tick(102 * kSec);
    auto v = s.verdicts_for(931);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].survived_because, SurvivalReason::OwnSession);
    ASSERT_EQ(v[0].lineage.size(), 2u);
    EXPECT_EQ(v[0].lineage[0].pid, 930u);
    EXPECT_EQ(v[0].lineage[1].pid, 900u);
}

TEST(Correlator, AbnormalDeathSoonAfterADisconnectIsAnInference) {
    Story s;
    Login login(s);
    auto early = login.job(908, 10 * kSec, "pipe-writer");
    auto late = login.job(909, 11 * kSec, "late-failure");
    auto fine = login.job(910, 12 * kSec, "clean-exit");
    login.hang_up(100 * kSec);
    s.at(102 * kSec);
    s.exit_signal(early, SIGPIPE);
    s.exit_code(fine, 0);
    s.at(200 * kSec);
    s.exit_code(late, 1);
    auto v = s.verdicts_for(908);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::DiedAfterDisconnect);
    EXPECT_EQ(v[0].confidence, Confidence::Inferred);
    EXPECT_EQ(v[0].signal, SIGPIPE);
    EXPECT_TRUE(s.verdicts_for(909).empty()) << "outside the window";
    EXPECT_TRUE(s.verdicts_for(910).empty()) << "a clean exit is no story";
}

TEST(Correlator, AnOperatorsSighupIsNeverADisconnect) {
    Story s;
    Login login(s);
    auto job = login.job(911, 10 * kSec, "reloadable");
    auto job2 = login.job(912, 11 * kSec, "killed-from-shell");
    auto operator_shell = s.proc(1500, 5 * kSec, 1, 1500, (136u << 20) | 7, "bash");
    s.at(50 * kSec);
    s.sighup(job, operator_shell, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job, SIGHUP);
    // `kill -HUP %2` typed in the job's own shell, which stays.
    s.sighup(job2, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job2, SIGHUP);
    s.tick(60 * kSec);
    // No disconnect: an operator in another session killed the first job.
    auto v = s.verdicts_for(911);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Killed);
    ASSERT_TRUE(v[0].kill && v[0].kill->killer);
    EXPECT_EQ(v[0].kill->cause, KillCause::Operator);
    EXPECT_EQ(v[0].kill->killer->process.pid, 1500u);
    EXPECT_TRUE(s.verdicts_for(912).empty());
    EXPECT_TRUE(s.disconnects().empty());
    EXPECT_EQ(s.correlator().pending(), 0u);
}

TEST(Correlator, HuponexitLogoutKillsJobsAndEndsTheSession) {
    Story s;
    Login login(s);
    auto job = login.job(913, 10 * kSec, "forgotten");
    s.at(50 * kSec);
    s.sighup(job, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job, SIGHUP);
    EXPECT_TRUE(s.verdicts_for(913).empty()) << "undecided until the shell exits";
    s.at(50 * kSec + 5'000'000);
    s.exit_code(login.bash, 0);
    auto ends = s.session_ends();
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(ends[0].sid, 900u);
    EXPECT_EQ(ends[0].tty_dev, kPts3);
    auto v = s.verdicts_for(913);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByLogout);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 900u);
    EXPECT_FALSE(v[0].disconnect_ktime_ns);
    EXPECT_TRUE(s.disconnects().empty());
}

TEST(Correlator, DoubleForkIsDaemonizedNotOrphaned) {
    Story s;
    Login login(s);
    auto first = login.job(914, 10 * kSec, "daemon");
    auto leader = first;
    leader.sid = 914;
    leader.pgid = 914;
    leader.tty_dev = 0;
    s.at(10 * kSec + 100);
    s.feed(SessionEvent{leader, SessionCall::Setsid, 914, 0, 0});
    auto second = s.proc(915, 10 * kSec + 200, 914, 914, 0, "daemon");
    s.fork(second, first.start_ns);
    s.at(10 * kSec + 300);
    s.reparent(second, leader, 1, kSec / 2);
    s.exit_code(leader, 0);
    s.tick(12 * kSec);
    auto v = s.verdicts_for(915);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Daemonized);
    EXPECT_FALSE(v[0].cause);
}

// bash's default: a plain `exit` sends no SIGHUP, and the job runs on in the
// session its dead shell led. Left behind, not a daemon: the double fork's
// session (above) has no terminal, a login session has one.
TEST(Correlator, AJobLeftBehindByALogoutIsOrphanedNotDaemonized) {
    Story s;
    Login login(s);
    auto job = login.job(918, 10 * kSec, "migrate.sh");
    s.at(20 * kSec);
    s.reparent(job, login.bash, 1, kSec / 2);
    s.exit_code(login.bash, 0);
    s.tick(21 * kSec);
    auto v = s.verdicts_for(918);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::ParentExit);
    EXPECT_EQ(v[0].new_parent->pid, 1u);
    EXPECT_EQ(v[0].reaper, ReaperKind::Init);
    ASSERT_EQ(s.session_ends().size(), 1u);
}

TEST(Correlator, ParentExitOrphanWithoutAnyDisconnect) {
    Story s;
    Login login(s);
    auto script = login.job(916, 10 * kSec, "runner");
    auto worker = s.proc(917, 11 * kSec, 916, 900, kPts3, "worker");
    s.at(11 * kSec);
    s.fork(worker, script.start_ns);
    s.at(20 * kSec);
    s.reparent(worker, script, 800, 1 * kSec, ReaperKind::Subreaper);
    s.exit_code(script, 0);
    s.tick(21 * kSec);
    auto v = s.verdicts_for(917);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::ParentExit);
    EXPECT_FALSE(v[0].survived_because);
    EXPECT_EQ(v[0].reaper, ReaperKind::Subreaper);
    EXPECT_EQ(v[0].new_parent->comm, "sshd");
}

TEST(Correlator, PidReuseNeverMixesTwoProcessesStories) {
    Story s;
    Login login(s);
    auto old_holder = login.job(918, 10 * kSec, "old");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(old_holder, login.bash, SignalOrigin::User, SignalResult::Ignored);
    s.exit_code(old_holder, 0);
    // Pid 918 comes back as another process in another session, later
    // killed by an operator's SIGHUP: nothing of the first story carries over.
    auto other_sshd = s.proc(1800, 150 * kSec, 1, 1800, 0, "sshd");
    auto other_bash = s.proc(1801, 151 * kSec, 1800, 1801, (136u << 20) | 9, "bash");
    s.fork(other_bash, other_sshd.start_ns);
    auto reused = s.proc(918, 160 * kSec, 1801, 1801, (136u << 20) | 9, "new");
    s.at(160 * kSec);
    s.fork(reused, other_bash.start_ns);
    s.at(170 * kSec);
    s.sighup(reused, other_sshd, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(reused, SIGHUP);
    s.tick(180 * kSec);
    // Only the new holder's own story: an operator's kill, no disconnect.
    auto v = s.verdicts_for(918);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Killed);
    EXPECT_EQ(v[0].process.start_ns, 160 * kSec);
    ASSERT_TRUE(v[0].kill);
    EXPECT_EQ(v[0].kill->cause, KillCause::Operator);
    EXPECT_FALSE(v[0].disconnect_sid);
}

// Session 900 hangs up; later a new login's shell gets pid 900 and so the
// same session id. Its jobs must not inherit the old disconnect.
TEST(Correlator, ASessionIdReusedByANewLoginStartsClean) {
    Story s;
    Login login(s);
    login.hang_up(100 * kSec);
    auto old_bash = login.bash;
    old_bash.tty_dev = 0;
    s.exit_signal(old_bash, SIGHUP);
    auto new_bash = s.proc(900, 200 * kSec, 800, 900, (136u << 20) | 5, "bash");
    s.at(200 * kSec);
    s.fork(new_bash, login.sshd.start_ns);
    auto job = s.proc(950, 210 * kSec, 900, 900, (136u << 20) | 5, "job");
    s.at(210 * kSec);
    s.fork(job, new_bash.start_ns);
    s.at(220 * kSec);
    s.sighup(job, new_bash, SignalOrigin::User, SignalResult::Delivered);  // `kill -HUP %1`
    s.exit_signal(job, SIGHUP);
    s.tick(230 * kSec);
    EXPECT_TRUE(s.verdicts_for(950).empty()) << "the old session's disconnect leaked";
    EXPECT_EQ(s.disconnects().size(), 1u);
}

TEST(Correlator, ProcessesKnownOnlyFromProcGetFullVerdicts) {
    Story s;
    // Seeded: a login on pts/3 that began before hupwatch started.
    ProcSnapshot bash, job;
    bash.info = s.proc(900, 2 * kSec, 800, 900, kPts3, "bash");
    job.info = s.proc(901, 10 * kSec, 900, 900, kPts3, "migrate.sh");
    job.argv = {"./migrate.sh", "--all"};
    s.table().seed({bash, job});
    s.correlator().seed({bash, job});
    auto sshd = s.proc(800, 1 * kSec, 1, 800, 0, "sshd");
    auto leader = bash.info;
    leader.tty_dev = 0;
    s.at(100 * kSec);
    s.sighup(leader, sshd, SignalOrigin::Kernel, SignalResult::Delivered);
    s.sighup(job.info, bash.info, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job.info, SIGHUP);
    ASSERT_EQ(s.disconnects().size(), 1u);
    EXPECT_EQ(s.disconnects()[0].tty_dev, kPts3) << "learned from /proc";
    auto v = s.verdicts_for(901);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].argv, (std::vector<std::string>{"./migrate.sh", "--all"}));
    ASSERT_EQ(v[0].lineage.size(), 1u);
    EXPECT_EQ(v[0].lineage[0].comm, "bash");
}

}  // namespace
}  // namespace hupwatch
