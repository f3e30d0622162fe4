// ProcessTable driven by synthetic event streams: no kernel needed.
#include "process_table.h"

#include <gtest/gtest.h>

#include <csignal>

namespace hupwatch {
namespace {

constexpr std::uint64_t kSec = 1'000'000'000ULL;
constexpr std::uint64_t kTick = 10'000'000ULL;  // USER_HZ 100
constexpr std::uint32_t kPts3 = (136u << 20) | 3u;

ProcessInfo proc(std::uint32_t pid, std::uint64_t start_ns, std::uint32_t ppid,
                 std::string comm = "sh") {
    ProcessInfo p;
    p.pid = pid;
    p.tid = pid;
    p.ppid = ppid;
    p.pgid = ppid;
    p.sid = ppid;
    p.uid = 1000;
    p.loginuid = 1000;
    p.audit_session = 3;
    p.tty_dev = kPts3;
    p.start_ns = start_ns;
    p.cgroup_id = 77;
    p.comm = std::move(comm);
    return p;
}

Event fork_of(std::uint64_t at, ProcessInfo child, std::uint64_t parent_start) {
    return Event{at, ForkEvent{std::move(child), parent_start}};
}

Event exec_of(std::uint64_t at, ProcessInfo p, std::string filename, std::vector<std::string> argv,
              bool truncated = false) {
    ExecEvent e;
    e.proc = std::move(p);
    e.old_pid = e.proc.pid;
    e.filename = std::move(filename);
    e.argv = std::move(argv);
    e.argv_truncated = truncated;
    return Event{at, e};
}

Event exit_of(std::uint64_t at, ProcessInfo p, std::int32_t raw_status) {
    ExitEvent e;
    e.proc = std::move(p);
    e.raw_status = raw_status;
    return Event{at, e};
}

Event reparent_of(std::uint64_t at, ProcessInfo child, std::uint32_t new_ppid,
                  std::uint64_t new_parent_start) {
    ReparentEvent e;
    e.old_ppid = child.ppid;
    child.ppid = new_ppid;
    e.child = std::move(child);
    e.new_ppid = new_ppid;
    e.new_parent_start_ns = new_parent_start;
    return Event{at, e};
}

Event session_of(std::uint64_t at, ProcessInfo caller, SessionCall call, std::int64_t ret,
                 std::uint32_t arg_pid = 0, std::uint32_t arg_pgid = 0) {
    SessionEvent e;
    e.proc = std::move(caller);
    e.call = call;
    e.ret = ret;
    e.arg_pid = arg_pid;
    e.arg_pgid = arg_pgid;
    return Event{at, e};
}

Event signal_of(std::uint64_t at, ProcessInfo target, std::uint32_t sender_pid,
                std::uint64_t sender_start, int sig) {
    SignalEvent e;
    e.target = std::move(target);
    e.sender_pid = sender_pid;
    e.sender_start_ns = sender_start;
    e.sig = sig;
    return Event{at, e};
}

ProcSnapshot snapshot(std::uint32_t pid, std::uint64_t start_ns, std::uint32_t ppid,
                      std::string comm) {
    ProcSnapshot s;
    s.info = proc(pid, start_ns, ppid, std::move(comm));
    s.info.cgroup_id = 0;
    s.argv = {"/usr/bin/" + s.info.comm};
    s.exe = "/usr/bin/" + s.info.comm;
    s.start_tick_ns = kTick;
    return s;
}

TEST(ProcessTable, ForkRecordsChildWithEveryField) {
    ProcessTable table;
    ProcessInfo child = proc(200, 5 * kSec, 100, "bash");
    child.pgid = 150;
    child.sid = 140;
    child.uid = 1001;
    child.loginuid = 1002;
    child.audit_session = 9;
    table.apply(fork_of(5 * kSec, child, 1 * kSec));

    const ProcessEntry* e = table.find(200, 5 * kSec);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->info.pid, 200u);
    EXPECT_EQ(e->info.start_ns, 5 * kSec);
    EXPECT_EQ(e->info.ppid, 100u);
    EXPECT_EQ(e->parent_start_ns, std::optional<std::uint64_t>(1 * kSec));
    EXPECT_EQ(e->info.pgid, 150u);
    EXPECT_EQ(e->info.sid, 140u);
    EXPECT_EQ(e->info.uid, 1001u);
    EXPECT_EQ(e->info.loginuid, 1002u);
    EXPECT_EQ(e->info.audit_session, 9u);
    EXPECT_EQ(e->info.tty_dev, kPts3);
    EXPECT_EQ(e->info.cgroup_id, 77u);
    EXPECT_EQ(e->info.comm, "bash");
    EXPECT_TRUE(e->alive);
    EXPECT_EQ(e->exec_count, 0u);
    EXPECT_FALSE(e->seeded);
    EXPECT_FALSE(e->start_from_proc);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.alive_count(), 1u);
    EXPECT_EQ(table.find(200, 5 * kSec + 1), nullptr);  // identity is exact for precise starts
}

// A fork without exec (a subshell) runs its parent's command line: shown as
// ps shows it, not as "[bash]" with no argv (issue 15).
TEST(ProcessTable, ForkWithoutExecInheritsTheParentsCommandLine) {
    ProcessTable table;
    table.apply(fork_of(1 * kSec, proc(100, 1 * kSec, 1, "bash"), 0));
    table.apply(exec_of(1 * kSec, proc(100, 1 * kSec, 1, "bash"), "/bin/bash",
                        {"bash", "-c", "while :; do sleep 1; done"}));
    table.apply(fork_of(2 * kSec, proc(200, 2 * kSec, 100, "bash"), 1 * kSec));
    const ProcessEntry* child = table.find(200, 2 * kSec);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(child->argv, (std::vector<std::string>{"bash", "-c", "while :; do sleep 1; done"}));
    EXPECT_EQ(child->filename, "/bin/bash");
    EXPECT_EQ(child->exec_count, 0u);
    table.apply(exec_of(3 * kSec, proc(200, 2 * kSec, 100, "sleep"), "/bin/sleep", {"sleep", "1"}));
    EXPECT_EQ(table.find(200, 2 * kSec)->argv, (std::vector<std::string>{"sleep", "1"}));
}

TEST(ProcessTable, ExecReplacesCommArgvFilenameAndCounts) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100, "bash"), kSec));
    table.apply(
        exec_of(6 * kSec, proc(200, 5 * kSec, 100, "ssh"), "/usr/bin/ssh", {"ssh", "-t", "host"}));
    table.apply(exec_of(7 * kSec, proc(200, 5 * kSec, 100, "tmux"), "/usr/bin/tmux",
                        {"tmux", "new"}, true));

    const ProcessEntry* e = table.find(200, 5 * kSec);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->info.comm, "tmux");
    EXPECT_EQ(e->filename, "/usr/bin/tmux");
    EXPECT_EQ(e->argv, (std::vector<std::string>{"tmux", "new"}));
    EXPECT_TRUE(e->argv_truncated);
    EXPECT_EQ(e->exec_count, 2u);
    EXPECT_EQ(e->parent_start_ns, std::optional<std::uint64_t>(kSec));  // exec keeps the parent
}

TEST(ProcessTable, ExitMarksExitedWithTimeAndRawStatus) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100), kSec));
    table.apply(exit_of(9 * kSec, proc(200, 5 * kSec, 100), 0x0f00));

    const ProcessEntry* e = table.find(200, 5 * kSec);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->alive);
    EXPECT_EQ(e->exit_ns, 9 * kSec);
    EXPECT_EQ(e->raw_status, 0x0f00);
    EXPECT_FALSE(e->exit_lost);
    EXPECT_EQ(table.find_alive(200), nullptr);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.alive_count(), 0u);
}

TEST(ProcessTable, ReparentSetsNewParentIdentity) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100), kSec));
    table.apply(reparent_of(8 * kSec, proc(200, 5 * kSec, 100), 1, 2'000'000ULL));

    const ProcessEntry* e = table.find(200, 5 * kSec);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->info.ppid, 1u);
    EXPECT_EQ(e->parent_start_ns, std::optional<std::uint64_t>(2'000'000ULL));
}

TEST(ProcessTable, PpidChangeWithoutReparentForgetsParentStart) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100), kSec));
    table.apply(signal_of(8 * kSec, proc(200, 5 * kSec, 1), 0, 0, 15));

    const ProcessEntry* e = table.find(200, 5 * kSec);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->info.ppid, 1u);
    EXPECT_EQ(e->parent_start_ns, std::nullopt);
}

TEST(ProcessTable, SessionCallsUpdateSidAndPgid) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100), kSec));
    table.apply(fork_of(6 * kSec, proc(300, 6 * kSec, 200), 5 * kSec));

    ProcessInfo after_setsid = proc(200, 5 * kSec, 100);
    after_setsid.sid = 200;
    after_setsid.pgid = 200;
    table.apply(session_of(7 * kSec, after_setsid, SessionCall::Setsid, 200));
    EXPECT_EQ(table.find(200, 5 * kSec)->info.sid, 200u);
    EXPECT_EQ(table.find(200, 5 * kSec)->info.pgid, 200u);

    // setpgid(300, 0) by the parent puts the child in a group of its own.
    table.apply(session_of(8 * kSec, after_setsid, SessionCall::Setpgid, 0, 300, 0));
    EXPECT_EQ(table.find(300, 6 * kSec)->info.pgid, 300u);
    // setpgid(300, 200): into the parent's group.
    table.apply(session_of(9 * kSec, after_setsid, SessionCall::Setpgid, 0, 300, 200));
    EXPECT_EQ(table.find(300, 6 * kSec)->info.pgid, 200u);
    // A failed call changes nothing.
    table.apply(session_of(10 * kSec, after_setsid, SessionCall::Setpgid, -1, 300, 999));
    EXPECT_EQ(table.find(300, 6 * kSec)->info.pgid, 200u);
}

TEST(ProcessTable, SignalRefreshesTargetAndRecordsUnknownOne) {
    ProcessTable table;
    table.apply(fork_of(5 * kSec, proc(200, 5 * kSec, 100), kSec));
    ProcessInfo target = proc(200, 5 * kSec, 100);
    target.uid = 0;  // setuid since
    table.apply(signal_of(8 * kSec, target, 1, 2'000'000ULL, 1));
    EXPECT_EQ(table.find(200, 5 * kSec)->info.uid, 0u);
    EXPECT_TRUE(table.find(200, 5 * kSec)->alive);
    EXPECT_EQ(table.find(1, 2'000'000ULL), nullptr);  // the sender is not created

    table.apply(signal_of(9 * kSec, proc(400, 3 * kSec, 1, "vim"), 200, 5 * kSec, 1));
    const ProcessEntry* unknown = table.find(400, 3 * kSec);
    ASSERT_NE(unknown, nullptr);
    EXPECT_EQ(unknown->info.comm, "vim");
    EXPECT_TRUE(unknown->alive);
    EXPECT_EQ(unknown->parent_start_ns, std::nullopt);
    EXPECT_EQ(table.size(), 2u);
}

TEST(ProcessTable, PidReuseKeepsSeparateStories) {
    ProcessTable table;
    table.apply(fork_of(1 * kSec, proc(300, 1 * kSec, 100, "old"), 0));
    table.apply(exec_of(1 * kSec, proc(300, 1 * kSec, 100, "old"), "/bin/old", {"old"}));
    table.apply(exit_of(2 * kSec, proc(300, 1 * kSec, 100, "old"), 0x0100));
    table.apply(fork_of(3 * kSec, proc(300, 3 * kSec, 101, "new"), 0));
    table.apply(exec_of(4 * kSec, proc(300, 3 * kSec, 101, "new"), "/bin/new", {"new", "-x"}));

    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.alive_count(), 1u);
    EXPECT_EQ(table.counters().lost_exits, 0u);

    const ProcessEntry* old_one = table.find(300, 1 * kSec);
    const ProcessEntry* new_one = table.find(300, 3 * kSec);
    ASSERT_NE(old_one, nullptr);
    ASSERT_NE(new_one, nullptr);
    EXPECT_NE(old_one, new_one);
    EXPECT_FALSE(old_one->alive);
    EXPECT_EQ(old_one->exit_ns, 2 * kSec);
    EXPECT_EQ(old_one->raw_status, 0x0100);
    EXPECT_EQ(old_one->info.comm, "old");
    EXPECT_EQ(old_one->info.ppid, 100u);
    EXPECT_EQ(old_one->argv, std::vector<std::string>{"old"});
    EXPECT_TRUE(new_one->alive);
    EXPECT_EQ(new_one->info.comm, "new");
    EXPECT_EQ(new_one->info.ppid, 101u);
    EXPECT_EQ(new_one->argv, (std::vector<std::string>{"new", "-x"}));
    EXPECT_EQ(table.find_alive(300), new_one);
}

TEST(ProcessTable, ForkOverLiveHolderInfersLostExit) {
    ProcessTable table;
    table.apply(fork_of(1 * kSec, proc(300, 1 * kSec, 100, "old"), 0));
    table.apply(fork_of(3 * kSec, proc(300, 3 * kSec, 100, "new"), 0));

    const ProcessEntry* old_one = table.find(300, 1 * kSec);
    ASSERT_NE(old_one, nullptr);
    EXPECT_FALSE(old_one->alive);
    EXPECT_TRUE(old_one->exit_lost);
    EXPECT_EQ(old_one->exit_ns, 3 * kSec);  // upper bound: before the new holder started
    EXPECT_EQ(table.counters().lost_exits, 1u);
    EXPECT_EQ(table.find_alive(300)->info.comm, "new");
    EXPECT_EQ(table.alive_count(), 1u);
}

// The audit's scan lacks a process whose exit event was lost: it ends,
// unseen, by the scan. One the scan has (by its /proc start, within a tick),
// one started after the scan began, and one whose /proc entry could not be
// read stay alive; an incomplete listing ends nothing.
TEST(ProcessTable, AScanThatLacksALiveProcessEndsItUnseen) {
    ProcessTable table;
    table.seed({snapshot(100, 50 * kTick, 1, "sshd")});
    table.apply(fork_of(2 * kSec, proc(300, 2 * kSec + 7, 100, "lost"), 50 * kTick));
    table.apply(fork_of(3 * kSec, proc(301, 3 * kSec + 7, 100, "kept"), 50 * kTick));
    table.apply(fork_of(4 * kSec, proc(302, 4 * kSec + 7, 100, "unread"), 50 * kTick));
    table.apply(fork_of(9 * kSec, proc(303, 9 * kSec, 100, "late"), 50 * kTick));
    table.apply(fork_of(5 * kSec, proc(304, 5 * kSec, 100, "done"), 50 * kTick));
    table.apply(exit_of(6 * kSec, proc(304, 5 * kSec, 100, "done"), 0));

    ProcessesSeen scan;
    scan.scan_started_ns = 8 * kSec;
    scan.tick_ns = kTick;
    scan.processes = {{100, 50 * kTick}, {300, 2 * kSec + kTick}, {301, 3 * kSec}};
    scan.unread = {302};
    scan.complete = false;
    EXPECT_TRUE(table.exits_unseen_by(scan).empty()) << "an incomplete listing proves nothing";
    EXPECT_TRUE(table.find(300, 2 * kSec + 7)->alive);

    scan.complete = true;
    const auto gone = table.exits_unseen_by(scan);
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0].ktime_ns, 8 * kSec);  // gone by the scan's start
    ASSERT_EQ(gone[0].type(), EventType::ExitUnseen);
    EXPECT_EQ(gone[0].subject().pid, 300u);
    EXPECT_EQ(gone[0].subject().start_ns, 2 * kSec + 7);
    EXPECT_EQ(gone[0].subject().comm, "lost");
    EXPECT_TRUE(table.find(300, 2 * kSec + 7)->alive) << "asking ends nothing";
    table.apply(gone[0]);
    const ProcessEntry* lost = table.find(300, 2 * kSec + 7);
    ASSERT_NE(lost, nullptr);
    EXPECT_FALSE(lost->alive) << "pid 300 in the scan started a tick later: another process";
    EXPECT_TRUE(lost->exit_lost);
    EXPECT_EQ(lost->exit_ns, 8 * kSec);  // gone by the scan
    EXPECT_EQ(table.counters().lost_exits, 1u);
    for (std::uint32_t pid : {100u, 301u, 302u, 303u})
        EXPECT_NE(table.find_alive(pid), nullptr) << pid;
    EXPECT_EQ(table.find(304, 5 * kSec)->exit_lost, false);

    // Its exit event, had it been only late, still tells how it died.
    table.apply(exit_of(8 * kSec + 1, proc(300, 2 * kSec + 7, 100, "lost"), 9));
    EXPECT_FALSE(lost->exit_lost);
    EXPECT_EQ(lost->raw_status, 9);
    EXPECT_EQ(table.alive_count(), 4u);
}

TEST(ProcessTable, LateEventForOlderHolderDoesNotTakeThePid) {
    ProcessTable table;
    table.apply(fork_of(3 * kSec, proc(300, 3 * kSec, 100, "new"), 0));
    table.apply(signal_of(4 * kSec, proc(300, 1 * kSec, 100, "old"), 0, 0, 9));
    table.apply(exit_of(4 * kSec, proc(301, 1 * kSec, 100, "x"), 0));
    table.apply(fork_of(4 * kSec, proc(301, 3 * kSec, 100, "y"), 0));
    table.apply(exit_of(5 * kSec, proc(301, 1 * kSec, 100, "x"), 0x8b));  // late duplicate

    const ProcessEntry* old_one = table.find(300, 1 * kSec);
    ASSERT_NE(old_one, nullptr);
    EXPECT_FALSE(old_one->alive);
    EXPECT_TRUE(old_one->exit_lost);
    EXPECT_EQ(old_one->exit_ns, 3 * kSec);
    EXPECT_EQ(table.find_alive(300)->info.comm, "new");

    const ProcessEntry* x = table.find(301, 1 * kSec);
    ASSERT_NE(x, nullptr);
    EXPECT_FALSE(x->alive);
    EXPECT_FALSE(x->exit_lost);
    EXPECT_EQ(x->raw_status, 0x8b);
    EXPECT_EQ(x->exit_ns, 5 * kSec);
    EXPECT_EQ(table.find_alive(301)->info.comm, "y");
    EXPECT_EQ(table.counters().lost_exits, 1u);
}

TEST(ProcessTable, LineageFollowsParentIdentityNotPid) {
    ProcessTable table;
    table.apply(fork_of(1, proc(1, 1, 0, "init"), 0));
    table.apply(fork_of(1 * kSec, proc(100, 1 * kSec, 1, "sshd"), 1));
    table.apply(fork_of(2 * kSec, proc(200, 2 * kSec, 100, "bash"), 1 * kSec));
    table.apply(fork_of(3 * kSec, proc(300, 3 * kSec, 200, "sleep"), 2 * kSec));
    // pid 100 reused after its holder died: must not become 200's parent.
    table.apply(exit_of(4 * kSec, proc(100, 1 * kSec, 1, "sshd"), 0));
    table.apply(fork_of(5 * kSec, proc(100, 5 * kSec, 1, "imposter"), 1));

    auto chain = table.lineage(300, 3 * kSec, 10);
    ASSERT_EQ(chain.size(), 3u);
    EXPECT_EQ(chain[0]->info.comm, "bash");
    EXPECT_EQ(chain[1]->info.comm, "sshd");
    EXPECT_EQ(chain[1]->info.start_ns, 1 * kSec);
    EXPECT_EQ(chain[2]->info.comm, "init");

    auto short_chain = table.lineage(300, 3 * kSec, 2);
    ASSERT_EQ(short_chain.size(), 2u);
    EXPECT_EQ(short_chain[1]->info.comm, "sshd");

    EXPECT_TRUE(table.lineage(300, 9 * kSec, 10).empty());  // unknown identity

    // Once the real parent is evicted the chain stops there rather than guess.
    table.evict(4 * kSec + 60 * kSec);
    auto cut = table.lineage(300, 3 * kSec, 10);
    ASSERT_EQ(cut.size(), 1u);
    EXPECT_EQ(cut[0]->info.comm, "bash");
}

TEST(ProcessTable, EvictByGraceRemovesOnlyOldExited) {
    ProcessTable table(ProcessTable::Options{
        .exit_grace_ns = 60 * kSec, .quiet_exit_grace_ns = 60 * kSec, .max_entries = 100});
    table.apply(fork_of(1 * kSec, proc(200, 1 * kSec, 1), 1));
    table.apply(fork_of(1 * kSec, proc(201, 1 * kSec, 1), 1));
    table.apply(fork_of(1 * kSec, proc(202, 1 * kSec, 1), 1));
    table.apply(exit_of(10 * kSec, proc(200, 1 * kSec, 1), 0));
    table.apply(exit_of(20 * kSec, proc(201, 1 * kSec, 1), 0));

    table.evict(70 * kSec - 1);
    EXPECT_EQ(table.size(), 3u);
    table.evict(70 * kSec);
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.find(200, 1 * kSec), nullptr);
    EXPECT_NE(table.find(201, 1 * kSec), nullptr);
    EXPECT_EQ(table.counters().evicted_quiet, 1u);  // no children, no signal sent

    table.evict(1000 * kSec);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_NE(table.find_alive(202), nullptr);  // live ones never age out
    EXPECT_EQ(table.counters().evicted_quiet, 2u);
    EXPECT_EQ(table.counters().evicted_pressure, 0u);
}

TEST(ProcessTable, QuietExitsGoAfterTheShortGraceWhatIsNamedStaysTheLongOne) {
    ProcessTable table;  // the defaults: 60 s, quiet 1 s
    const auto shell = proc(300, 1 * kSec, 1);
    const auto killer = proc(310, 2 * kSec, 300);
    const auto leaf = proc(320, 2 * kSec, 300);
    auto leader = proc(330, 2 * kSec, 300);
    leader.sid = 330;
    const auto orphan = proc(340, 2 * kSec, 300);
    for (const auto& p : {shell, killer, leaf, leader, orphan})
        table.apply(fork_of(p.start_ns, p, p.ppid == 1 ? 0 : 1 * kSec));
    table.apply(signal_of(3 * kSec, leaf, killer.pid, killer.start_ns, SIGTERM));
    table.apply(reparent_of(4 * kSec, orphan, 1, 0));
    for (const auto& p : {shell, killer, leaf, leader, orphan})
        table.apply(exit_of(5 * kSec, p, 0));

    table.evict(6 * kSec - 1);
    EXPECT_EQ(table.size(), 5u);
    table.evict(6 * kSec);
    // The leaf's exit verdict is out and nothing names it again.
    EXPECT_EQ(table.find(leaf.pid, leaf.start_ns), nullptr);
    EXPECT_EQ(table.counters().evicted_quiet, 1u);
    // The parent of children, the sender of a signal, a session leader and
    // a reparented process may be asked for by a later verdict.
    for (const auto& p : {shell, killer, leader, orphan})
        EXPECT_NE(table.find(p.pid, p.start_ns), nullptr) << p.pid;
    table.evict(65 * kSec);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.counters().evicted_grace, 4u);
}

TEST(ProcessTable, AQuietExitNamedLaterWaitsTheLongGrace) {
    ProcessTable table;
    const auto sender = proc(400, 1 * kSec, 1);
    const auto target = proc(401, 1 * kSec, 1);
    table.apply(fork_of(1 * kSec, sender, 0));
    table.apply(fork_of(1 * kSec, target, 0));
    table.apply(exit_of(2 * kSec, sender, 0));
    // Its signal read after its exit (the event's order across CPUs).
    table.apply(signal_of(2 * kSec, target, sender.pid, sender.start_ns, SIGTERM));
    table.evict(10 * kSec);
    EXPECT_NE(table.find(sender.pid, sender.start_ns), nullptr);
    EXPECT_EQ(table.counters().evicted_quiet, 0u);
}

TEST(ProcessTable, ASignalToAForgottenZombieDoesNotBringItBack) {
    ProcessTable table;
    const auto zombie = proc(600, 1 * kSec, 1);
    table.apply(fork_of(1 * kSec, zombie, 0));
    table.apply(exit_of(2 * kSec, zombie, 0));
    table.evict(4 * kSec);
    ASSERT_EQ(table.find(zombie.pid, zombie.start_ns), nullptr);
    // Not reaped yet; kill -TERM -PGID reaches it: the kernel drops it.
    auto late = signal_of(5 * kSec, zombie, 1, 0, SIGTERM);
    std::get<SignalEvent>(late.body).result = SignalResult::Ignored;
    table.apply(late);
    EXPECT_EQ(table.find(zombie.pid, zombie.start_ns), nullptr);
    EXPECT_EQ(table.find_alive(zombie.pid), nullptr);
    // Delivered: a live process we had not seen is recorded.
    const auto stranger = proc(601, 1 * kSec, 1);
    table.apply(signal_of(5 * kSec, stranger, 1, 0, SIGTERM));
    EXPECT_NE(table.find_alive(stranger.pid), nullptr);
}

TEST(ProcessTable, PressureEvictsQuietExitsFirst) {
    ProcessTable table(ProcessTable::Options{.max_entries = 3});
    const auto parent = proc(500, 1 * kSec, 1);
    const auto child = proc(501, 1 * kSec, 500);
    table.apply(fork_of(1 * kSec, parent, 0));
    table.apply(fork_of(1 * kSec, child, 1 * kSec));
    table.apply(exit_of(2 * kSec, parent, 0));  // exited first, but named
    table.apply(exit_of(3 * kSec, child, 0));
    table.apply(fork_of(4 * kSec, proc(502, 4 * kSec, 1), 0));
    table.apply(fork_of(4 * kSec, proc(503, 4 * kSec, 1), 0));
    EXPECT_EQ(table.find(child.pid, child.start_ns), nullptr);
    EXPECT_NE(table.find(parent.pid, parent.start_ns), nullptr);
    EXPECT_EQ(table.counters().evicted_pressure, 1u);
}

TEST(ProcessTable, PressureEvictsOldestExitedThenRefuses) {
    ProcessTable table(ProcessTable::Options{.exit_grace_ns = 60 * kSec, .max_entries = 3});
    table.apply(fork_of(1 * kSec, proc(200, 1 * kSec, 1), 1));
    table.apply(fork_of(1 * kSec, proc(201, 1 * kSec, 1), 1));
    table.apply(fork_of(1 * kSec, proc(202, 1 * kSec, 1), 1));
    table.apply(exit_of(5 * kSec, proc(200, 1 * kSec, 1), 0));
    table.apply(exit_of(4 * kSec, proc(201, 1 * kSec, 1), 0));  // exited first, evicted first

    table.apply(fork_of(6 * kSec, proc(203, 6 * kSec, 1), 1));
    EXPECT_EQ(table.size(), 3u);
    EXPECT_EQ(table.find(201, 1 * kSec), nullptr);
    EXPECT_NE(table.find(200, 1 * kSec), nullptr);
    EXPECT_EQ(table.counters().evicted_pressure, 1u);

    table.apply(fork_of(7 * kSec, proc(204, 7 * kSec, 1), 1));
    EXPECT_EQ(table.find(200, 1 * kSec), nullptr);
    EXPECT_EQ(table.counters().evicted_pressure, 2u);
    EXPECT_EQ(table.alive_count(), 3u);

    // Full of live processes: the newcomer is refused, no live one is dropped.
    table.apply(fork_of(8 * kSec, proc(205, 8 * kSec, 1), 1));
    EXPECT_EQ(table.find(205, 8 * kSec), nullptr);
    EXPECT_EQ(table.size(), 3u);
    EXPECT_EQ(table.counters().refused_full, 1u);
    EXPECT_NE(table.find_alive(202), nullptr);
    EXPECT_NE(table.find_alive(203), nullptr);
    EXPECT_NE(table.find_alive(204), nullptr);
}

TEST(ProcessTable, SeededEntryMatchesPreciseStartWithinTickAndIsUpgraded) {
    ProcessTable table;
    const std::uint64_t seeded_start = 1230 * kTick;  // 12.30 s, floored by /proc
    const std::uint64_t precise = seeded_start + kTick - 1;
    table.seed({snapshot(500, seeded_start, 1, "sshd")});

    const ProcessEntry* e = table.find(500, seeded_start);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->seeded);
    EXPECT_TRUE(e->start_from_proc);
    EXPECT_EQ(e->filename, "/usr/bin/sshd");
    EXPECT_EQ(e->parent_start_ns, std::nullopt);
    EXPECT_EQ(table.find(500, precise), e);                     // within the tick
    EXPECT_EQ(table.find(500, seeded_start + kTick), nullptr);  // one tick later: another process
    EXPECT_EQ(table.find(500, seeded_start - 1), nullptr);      // /proc floors: never earlier

    table.apply(
        exec_of(20 * kSec, proc(500, precise, 1, "sshd"), "/usr/sbin/sshd", {"sshd", "-D"}));
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.counters().starts_upgraded, 1u);
    const ProcessEntry* up = table.find(500, precise);
    ASSERT_EQ(up, e);  // same entry, re-keyed in place
    EXPECT_EQ(up->info.start_ns, precise);
    EXPECT_FALSE(up->start_from_proc);
    EXPECT_TRUE(up->seeded);
    EXPECT_EQ(up->exec_count, 1u);
    EXPECT_EQ(up->argv, (std::vector<std::string>{"sshd", "-D"}));
    EXPECT_EQ(table.find(500, seeded_start), nullptr);  // now precise: exact only
    EXPECT_EQ(table.counters().lost_exits, 0u);
}

TEST(ProcessTable, ForkFromSeededParentUpgradesTheParent) {
    ProcessTable table;
    table.seed({snapshot(1, 0, 0, "init"), snapshot(100, 50 * kTick, 1, "sshd")});
    table.apply(fork_of(9 * kSec, proc(200, 9 * kSec, 100, "bash"), 50 * kTick + 1234));

    const ProcessEntry* parent = table.find(100, 50 * kTick + 1234);
    ASSERT_NE(parent, nullptr);
    EXPECT_FALSE(parent->start_from_proc);
    auto chain = table.lineage(200, 9 * kSec, 10);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0], parent);
    EXPECT_EQ(chain[1]->info.comm, "init");  // seeded parent link: by pid and start order
}

TEST(ProcessTable, SeedSkipsKnownAndStaleAndRetiresReusedPids) {
    ProcessTable table;
    table.apply(fork_of(2 * kSec, proc(600, 2 * kSec + 5, 1, "evented"), 1));
    table.apply(fork_of(5 * kSec, proc(601, 5 * kSec, 1, "newer"), 1));
    table.seed({snapshot(602, 100 * kTick, 1, "first")});
    table.seed({
        snapshot(600, 2 * kSec, 1, "from-proc"),  // same process, seen by events already
        snapshot(601, 1 * kSec, 1, "stale"),      // scan older than the fork we saw
        snapshot(602, 300 * kTick, 1, "second"),  // pid reused between two scans
    });

    EXPECT_EQ(table.find(600, 2 * kSec + 5)->info.comm, "evented");
    EXPECT_EQ(table.find(601, 1 * kSec), nullptr);
    EXPECT_EQ(table.find_alive(601)->info.comm, "newer");
    const ProcessEntry* first = table.find(602, 100 * kTick);
    ASSERT_NE(first, nullptr);
    EXPECT_FALSE(first->alive);
    EXPECT_TRUE(first->exit_lost);
    EXPECT_EQ(table.find_alive(602)->info.comm, "second");
    EXPECT_EQ(table.size(), 4u);
    EXPECT_EQ(table.counters().lost_exits, 1u);
}

TEST(ProcessTable, UpgradingAnExitedSeededEntryKeepsEvictionConsistent) {
    ProcessTable table;
    table.seed({snapshot(700, 100 * kTick, 1, "first")});
    table.seed({snapshot(700, 300 * kTick, 1, "second")});  // first: exited, exit lost
    // A late event about the first holder makes its start precise.
    table.apply(signal_of(4 * kSec, proc(700, 100 * kTick + 7, 1, "first"), 0, 0, 1));

    const ProcessEntry* first = table.find(700, 100 * kTick + 7);
    ASSERT_NE(first, nullptr);
    EXPECT_FALSE(first->alive);
    EXPECT_EQ(table.size(), 2u);
    table.evict(300 * kTick + 60 * kSec);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.find(700, 100 * kTick + 7), nullptr);
    EXPECT_EQ(table.counters().evicted_grace, 1u);
    EXPECT_EQ(table.find_alive(700)->info.comm, "second");
}

}  // namespace
}  // namespace hupwatch
