// The correlator at the floor (issue 10): the SIGHUP disposition as the
// kernel saw it at the signal, output loss from the kernel's own fd facts,
// one orphan per orphaning, and bounded state. Synthetic streams, no kernel.
#include <gtest/gtest.h>

#include <csignal>
#include <map>

#include "correlator_story.h"
#include "session_change.h"

namespace hupwatch {
namespace {

using namespace test;

// A host probe answering from fixed tables.
class FakeProbe : public HostProbe {
   public:
    std::map<std::uint32_t, std::vector<HungUpFd>> hung_up;
    std::map<std::uint32_t, OutputTargets> outputs;
    std::optional<std::string> cgroup_path(std::uint32_t) override { return std::nullopt; }
    std::optional<SignalMasks> signal_masks(std::uint32_t) override { return std::nullopt; }
    std::optional<OutputTargets> output_targets(std::uint32_t pid) override {
        auto it = outputs.find(pid);
        if (it == outputs.end()) return std::nullopt;
        return it->second;
    }
    std::string user_name(std::uint32_t uid) override { return std::to_string(uid); }
    std::optional<double> cpu_seconds(std::uint32_t) override { return std::nullopt; }
    std::optional<std::vector<HungUpFd>> hung_up_fds(std::uint32_t pid, std::uint64_t) override {
        auto it = hung_up.find(pid);
        if (it == hung_up.end()) return std::vector<HungUpFd>{};
        return it->second;
    }
};

// Issue 15: a handler in the parent is not the exec'd child's. The child
// died of the SIGHUP with SIG_DFL; the parent handled it and lives on.
TEST(CorrelatorFloor, TheSighupDispositionIsTheTargetsOwnAtTheSignal) {
    Story s;
    Login login(s);
    auto trapper = login.job(910, 10 * kSec, "bash");
    auto child = s.proc(911, 11 * kSec, 910, 900, kPts3, "sleep");
    s.at(11 * kSec);
    s.fork(child, trapper.start_ns);
    s.exec(child, {"sleep", "1000"});
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(trapper, login.bash, SignalOrigin::User, SignalResult::Delivered,
             SignalDisposition::Handled);
    s.sighup(child, login.bash, SignalOrigin::User, SignalResult::Delivered,
             SignalDisposition::Default);
    s.at(100 * kSec + 200);
    s.exit_signal(child, SIGHUP);
    auto v = s.verdicts_for(911);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].sighup, SighupDisposition::Default) << "an exec'd sleep has no handler";

    s.reparent(trapper, login.bash, 1, kSec / 2);
    auto bash = login.bash;
    bash.tty_dev = 0;
    s.exit_signal(bash, SIGHUP);
    s.tick(102 * kSec);
    auto t = s.verdicts_for(910);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].sighup, SighupDisposition::Handled);
    EXPECT_EQ(t[0].survived_because, SurvivalReason::SighupHandled);
}

// Without a recorded disposition (events read back), a delivered SIGHUP to a
// process that died of it is no evidence of a handler.
TEST(CorrelatorFloor, ADeliveredSighupThatKilledIsNotCalledHandled) {
    Story s;
    Login login(s);
    auto job = login.job(912, 10 * kSec, "sleep");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 100);
    s.sighup(job, login.bash, SignalOrigin::User, SignalResult::Delivered);
    s.exit_signal(job, SIGHUP);
    auto v = s.verdicts_for(912);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].sighup, SighupDisposition::Default);
}

// The kernel says which fds are hung-up terminals; a job that reopened the
// same line (vhangup, then a new open) writes to a live terminal of the same
// name, which a readlink cannot tell from the dead one.
TEST(CorrelatorFloor, OutputLostComesFromTheKernelsDeadFdsNotTheTerminalsName) {
    FakeProbe probe;
    Story s({}, &probe);
    Login login(s);
    auto dead = login.job(913, 10 * kSec, "dead-writer");
    auto reopened = login.job(914, 11 * kSec, "reopened");
    probe.hung_up[913] = {{0, kPts3}, {1, kPts3}, {2, kPts3}};
    probe.hung_up[914] = {{0, kPts3}};
    probe.outputs[913] = {"/dev/pts/3", "/dev/pts/3"};
    probe.outputs[914] = {"/dev/pts/3", "/dev/pts/3"};
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 200);
    s.reparent(dead, login.bash, 1, kSec / 2);
    s.reparent(reopened, login.bash, 1, kSec / 2);
    s.tick(102 * kSec);
    auto d = s.verdicts_for(913);
    auto r = s.verdicts_for(914);
    ASSERT_EQ(d.size(), 1u);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(d[0].output_lost);
    EXPECT_EQ(d[0].dead_fds, (std::vector<int>{0, 1, 2}));
    EXPECT_FALSE(r[0].output_lost) << "only its stdin is the dead terminal";
    EXPECT_EQ(r[0].dead_fds, (std::vector<int>{0}));
}

// Two exit walks of one dying group (before Linux 6.16) report the same
// orphaning twice: one verdict.
TEST(CorrelatorFloor, TheSameOrphaningReportedTwiceIsOneOrphan) {
    Story s;
    Login login(s);
    auto job = login.job(915, 10 * kSec, "job");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 200);
    s.reparent(job, login.bash, 1, kSec / 2);
    s.reparent(job, login.bash, 1, kSec / 2);
    s.tick(102 * kSec);
    EXPECT_EQ(s.verdicts_for(915).size(), 1u);
}

// A job orphaned to a subreaper that dies soon after, handing it to init:
// one process, one orphan verdict, about its first orphaning (QA: two
// verdicts, and hupwatch_orphans_total counted it twice).
TEST(CorrelatorFloor, AJobOrphanedTwiceIsOneOrphan) {
    Story s;
    Login login(s);
    auto job = login.job(916, 10 * kSec, "job");
    auto reaper = s.proc(700, kSec / 4, 1, 700, 0, "supervisor");
    login.hang_up(100 * kSec);
    s.at(100 * kSec + 200);
    s.reparent(job, login.bash, 700, reaper.start_ns);
    s.at(100 * kSec + 130'000'000);
    auto orphan = job;
    orphan.ppid = 700;
    s.reparent(orphan, reaper, 1, kSec / 2);
    s.tick(105 * kSec);
    auto v = s.verdicts_for(916);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    ASSERT_FALSE(v[0].lineage.empty());
    EXPECT_EQ(v[0].lineage[0].pid, 900u) << "its lineage before any reparenting";
}

// Thousands of short logins leave nothing behind once their processes are
// gone from the table and the sessions have aged out.
TEST(CorrelatorFloor, SessionsAndNotesArePrunedAfterTheirProcessesAreGone) {
    CorrelatorOptions options;
    options.session_keep_ns = 5 * kSec;
    Story s(options);
    auto sshd = s.proc(800, 1 * kSec, 1, 800, 0, "sshd");
    s.at(1 * kSec);
    s.fork(sshd, kSec / 2);
    std::uint64_t t = 2 * kSec;
    for (std::uint32_t i = 0; i < 3000; ++i, t += 1'000'000) {
        auto shell = s.proc(10'000 + i, t, 800, 10'000 + i, kPts3, "bash");
        s.at(t);
        s.fork(shell, sshd.start_ns);
        s.sighup(shell, sshd, SignalOrigin::User, SignalResult::Delivered);
        s.exit_code(shell, 0);
    }
    EXPECT_GE(s.correlator().sizes().sessions, 3000u);
    // The table forgets exited processes after its grace; the correlator
    // follows on its next prune.
    std::uint64_t later = t + 120 * kSec;
    s.table().evict(later);
    s.tick(later);
    auto sizes = s.correlator().sizes();
    EXPECT_LE(sizes.sessions, 1u) << "only sshd's own session is left";
    EXPECT_EQ(sizes.process_notes, 0u);
    EXPECT_EQ(sizes.pending_orphans, 0u);
    EXPECT_EQ(sizes.sessions_dropped, 0u);
}

TEST(CorrelatorFloor, PendingOrphansAreBoundedAndTheDropsCounted) {
    CorrelatorOptions options;
    options.max_pending_orphans = 2;
    Story s(options);
    Login login(s);
    std::vector<ProcessInfo> jobs;
    for (std::uint32_t i = 0; i < 3; ++i) jobs.push_back(login.job(920 + i, (10 + i) * kSec, "j"));
    s.at(100 * kSec);
    for (const auto& j : jobs) s.reparent(j, login.bash, 1, kSec / 2);
    auto sizes = s.correlator().sizes();
    EXPECT_EQ(sizes.pending_orphans, 2u);
    EXPECT_EQ(sizes.orphans_dropped, 1u);
}

TEST(SessionChange, ANewSidIsASetsidAndANewPgidASetpgid) {
    ProcessInfo before;
    before.pid = 50;
    before.sid = 10;
    before.pgid = 20;
    ProcessInfo now = before;
    EXPECT_FALSE(derive_session_change(before, now));

    now.pgid = 50;
    auto pg = derive_session_change(before, now);
    ASSERT_TRUE(pg);
    EXPECT_EQ(pg->call, SessionCall::Setpgid);
    EXPECT_EQ(pg->ret, 0);
    EXPECT_EQ(pg->arg_pid, 50u);
    EXPECT_EQ(pg->arg_pgid, 50u);

    now.sid = 50;
    auto sid = derive_session_change(before, now);
    ASSERT_TRUE(sid);
    EXPECT_EQ(sid->call, SessionCall::Setsid);
    EXPECT_EQ(sid->ret, 50);
    EXPECT_EQ(sid->proc.sid, 50u);

    ProcessInfo unread = before;
    unread.sid = 0;
    unread.pgid = 0;
    EXPECT_FALSE(derive_session_change(before, unread)) << "0: the ids were not read";

    // Session 0 is init's, and real where PID 1 never called setsid(): a
    // child of it that calls setsid() leads its own session.
    ProcessInfo in_init_session = before;
    in_init_session.pid = 77;
    in_init_session.sid = 0;
    in_init_session.pgid = 0;
    ProcessInfo leader = in_init_session;
    leader.sid = 77;
    leader.pgid = 77;
    auto left = derive_session_change(in_init_session, leader);
    ASSERT_TRUE(left) << "setsid() out of init's session 0";
    EXPECT_EQ(left->call, SessionCall::Setsid);
    EXPECT_EQ(left->ret, 77);
    ProcessInfo other = in_init_session;
    other.sid = 5;
    EXPECT_FALSE(derive_session_change(in_init_session, other))
        << "from 0 to somebody else's session is no setsid() of this process";
}

}  // namespace
}  // namespace hupwatch
