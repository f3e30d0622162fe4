// Sessions inside sessions: `script` and `sudo -i` (use_pty) run in a login
// make a new session on a new pty; when the outer login hangs up, the inner
// session ends (or is hung up in turn) because of it, and its jobs trace
// back to the outer disconnect. Synthetic streams, no kernel.
#include <gtest/gtest.h>

#include <csignal>

#include "correlator_story.h"

namespace hupwatch {
namespace {

using namespace test;

// Outer login: sshd 800 -> bash 900 (pts/3). `script` 910 in it runs an
// inner bash 920 leading session 920 on pts/4, whose job 930 survives.
struct NestedScript {
    Story& s;
    Login login;
    ProcessInfo script, inner, job;
    explicit NestedScript(Story& story) : s(story), login(story) {
        script = login.job(910, 5 * kSec, "script");
        inner = s.proc(920, 6 * kSec, 910, 920, kPts4, "bash");
        s.at(6 * kSec);
        s.fork(inner, script.start_ns);
        job = s.proc(930, 7 * kSec, 920, 920, kPts4, "sleep");
        s.at(7 * kSec);
        s.fork(job, inner.start_ns);
        s.exec(job, {"sleep", "1000"});
    }
    // The outer line hangs up; bash and script die of it; the inner bash
    // dies at `inner_dies` and its job is reparented.
    void outer_hangup_then_inner_end(std::uint64_t inner_dies) {
        login.hang_up(100 * kSec);
        s.at(100 * kSec + 100);
        s.sighup(script, login.bash, SignalOrigin::User, SignalResult::Delivered);
        s.exit_signal(login.bash, SIGHUP);
        s.at(100 * kSec + 200);
        s.exit_signal(script, SIGHUP);
        s.at(inner_dies);
        s.exit_signal(inner, SIGTERM);
        s.reparent(job, inner, 1, 0);
        s.tick(inner_dies + 2 * kSec);
    }
};

TEST(NestedSessions, AnInnerJobTracesBackToTheOuterDisconnect) {
    Story s;
    NestedScript n(s);
    n.outer_hangup_then_inner_end(100 * kSec + 300);
    auto v = s.verdicts_for(930);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::Disconnect);
    EXPECT_EQ(v[0].disconnect_sid, 900u) << "the outer session's";
    EXPECT_EQ(v[0].sid, 920u);
    std::vector<std::uint32_t> chain;
    for (const auto& p : v[0].lineage) chain.push_back(p.pid);
    EXPECT_EQ(chain, (std::vector<std::uint32_t>{920, 910, 900}));
}

TEST(NestedSessions, AnInnerSessionEndingLongAfterTheOuterDisconnectIsItsOwnStory) {
    Story s;
    NestedScript n(s);
    n.outer_hangup_then_inner_end(200 * kSec);
    auto v = s.verdicts_for(930);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::ParentExit);
    EXPECT_FALSE(v[0].disconnect_sid);
    ASSERT_EQ(v[0].lineage.size(), 1u) << "up to its own session's leader";
}

TEST(NestedSessions, ADaemonsDoubleForkAfterADisconnectStaysDaemonized) {
    Story s;
    Login login(s);
    auto starter = login.job(910, 5 * kSec, "start-daemon");
    auto leader = s.proc(920, 6 * kSec, 910, 920, 0, "daemon");
    s.at(6 * kSec);
    s.fork(leader, starter.start_ns);
    auto worker = s.proc(930, 7 * kSec, 920, 920, 0, "daemon");
    s.at(7 * kSec);
    s.fork(worker, leader.start_ns);
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 200);
    s.exit_code(leader, 0);
    s.reparent(worker, leader, 1, 0);
    s.tick(102 * kSec);
    auto v = s.verdicts_for(930);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Daemonized);
}

// Outer login: sshd 800 -> bash 900 (pts/3). `sudo -i` 910 in it (use_pty)
// forks its monitor 920, which leads session 920 on pts/4 and runs the
// inner login shell 930 (its own process group); jobs 940 (plain) and 941
// (nohup) in it.
struct NestedSudo {
    Story& s;
    Login login;
    ProcessInfo sudo, monitor, inner, plain, nohup;
    explicit NestedSudo(Story& story) : s(story), login(story) {
        sudo = login.job(910, 5 * kSec, "sudo");
        monitor = s.proc(920, 6 * kSec, 910, 920, kPts4, "sudo");
        s.at(6 * kSec);
        s.fork(monitor, sudo.start_ns);
        inner = s.proc(930, 7 * kSec, 920, 920, kPts4, "bash");
        s.at(7 * kSec);
        s.fork(inner, monitor.start_ns);
        plain = inner_job(940, 8 * kSec);
        nohup = inner_job(941, 9 * kSec);
    }
    ProcessInfo inner_job(std::uint32_t pid, std::uint64_t start) {
        auto p = s.proc(pid, start, inner.pid, inner.sid, kPts4, "sleep");
        s.at(start);
        s.fork(p, inner.start_ns);
        s.exec(p, {"sleep", std::to_string(pid)});
        return p;
    }
    // The outer line hangs up; sudo, seeing its terminal gone, hangs up the
    // inner pty at `inner_hangup` (the kernel's SIGHUP to the monitor, the
    // inner session's leader, on sudo's behalf).
    void outer_hangup(std::uint64_t inner_hangup) {
        login.hang_up(100 * kSec);
        s.at(100 * kSec + 50);
        s.sighup(sudo, login.bash, SignalOrigin::User, SignalResult::Delivered);
        s.exit_signal(login.bash, SIGHUP);
        s.reparent(sudo, login.bash, 1, 0);
        s.at(inner_hangup);
        auto leader = monitor;
        leader.tty_dev = 0;
        s.sighup(leader, sudo, SignalOrigin::Kernel, SignalResult::Delivered);
    }
    // The inner shell reads EOF and exits: its jobs are orphaned.
    void inner_shell_exits(std::uint64_t t) {
        s.at(t);
        s.exit_code(inner, 0);
        s.reparent(plain, inner, 1, 0);
        s.reparent(nohup, inner, 1, 0);
        s.tick(t + 2 * kSec);
    }
    // sudo relays its SIGHUP to the inner shell, which passes it on to its
    // jobs: the plain one dies of it, the nohup one ignores it.
    void inner_shell_forwards_sighup(std::uint64_t t) {
        s.at(t);
        s.sighup(inner, monitor, SignalOrigin::User, SignalResult::Delivered);
        s.sighup(plain, inner, SignalOrigin::User, SignalResult::Delivered);
        s.sighup(nohup, inner, SignalOrigin::User, SignalResult::Ignored);
        s.exit_signal(plain, SIGHUP);
        s.exit_signal(inner, SIGHUP);
        s.reparent(nohup, inner, 1, 0);
        s.tick(t + 2 * kSec);
    }
};

std::vector<std::uint32_t> chain_of(const Verdict& v) {
    std::vector<std::uint32_t> chain;
    for (const auto& p : v.lineage) chain.push_back(p.pid);
    return chain;
}

TEST(NestedSudo, TheInnerHangupTracesBackToTheOuterDisconnect) {
    Story s;
    NestedSudo n(s);
    n.outer_hangup(100 * kSec + 100);
    n.inner_shell_exits(100 * kSec + 200);
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 2u) << "the outer hangup and the inner one, each reported";
    EXPECT_EQ(d[0].sid, 900u);
    EXPECT_EQ(d[1].sid, 920u);
    EXPECT_EQ(d[1].hung_up_by_pid, 910u);
    for (std::uint32_t job : {940u, 941u}) {
        SCOPED_TRACE(job);
        auto v = s.verdicts_for(job);
        ASSERT_EQ(v.size(), 1u);
        EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
        EXPECT_EQ(v[0].cause, OrphanCause::Disconnect);
        EXPECT_EQ(v[0].disconnect_sid, 900u) << "the outer session's";
        EXPECT_EQ(v[0].disconnect_ktime_ns, 100 * kSec);
        EXPECT_EQ(v[0].sid, 920u);
        EXPECT_EQ(v[0].survived_because, SurvivalReason::NotSignalled)
            << "in the hung-up inner session, never signalled";
        EXPECT_EQ(chain_of(v[0]), (std::vector<std::uint32_t>{930, 920, 910, 900}));
    }
}

TEST(NestedSudo, AJobKilledByTheRelayedSighupIsKilledByTheOuterDisconnect) {
    Story s;
    NestedSudo n(s);
    n.outer_hangup(100 * kSec + 100);
    n.inner_shell_forwards_sighup(100 * kSec + 200);
    auto v = s.verdicts_for(940);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].signal, SIGHUP);
    EXPECT_EQ(v[0].disconnect_sid, 900u);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 930u) << "the inner shell passed it on";
    EXPECT_FALSE(v[0].kill) << "not a `killed` verdict";
    EXPECT_EQ(chain_of(v[0]), (std::vector<std::uint32_t>{930, 920, 910, 900}));
    auto o = s.verdicts_for(941);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(o[0].disconnect_sid, 900u);
    EXPECT_EQ(o[0].survived_because, SurvivalReason::SighupIgnored);
}

TEST(NestedSudo, ARelayedSighupWithoutAnInnerHangupIsKilledByTheOuterDisconnect) {
    Story s;
    NestedSudo n(s);
    n.login.hang_up(100 * kSec);
    s.at(100 * kSec + 50);
    s.sighup(n.sudo, n.login.bash, SignalOrigin::User, SignalResult::Delivered);
    n.inner_shell_forwards_sighup(100 * kSec + 100);
    auto v = s.verdicts_for(940);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].disconnect_sid, 900u);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 930u);
    EXPECT_EQ(chain_of(v[0]), (std::vector<std::uint32_t>{930, 920, 910, 900}));
}

TEST(NestedSudo, AnInnerHangupLongAfterTheOuterDisconnectIsItsOwn) {
    Story s;
    NestedSudo n(s);
    n.outer_hangup(200 * kSec);
    n.inner_shell_exits(200 * kSec + 100);
    auto v = s.verdicts_for(940);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].disconnect_sid, 920u) << "beyond nested_window_ns: not the outer's doing";
    EXPECT_EQ(chain_of(v[0]), (std::vector<std::uint32_t>{930, 920}));
}

TEST(NestedSudo, AShellsSighupInAnInnerSessionWithNoOuterDisconnectIsNoDisconnect) {
    Story s;
    NestedSudo n(s);
    n.inner_shell_forwards_sighup(100 * kSec);
    auto v = s.verdicts_for(940);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_NE(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_FALSE(v[0].disconnect_sid);
}

}  // namespace
}  // namespace hupwatch
