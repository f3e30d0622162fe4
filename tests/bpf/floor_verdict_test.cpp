// Verdict facts with no syscall hook: output loss read from the kernel's
// own view of each fd (a hung-up terminal vs a live one of the same name),
// and the SIGHUP disposition of the process itself, not of its parent.
#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <vector>

#include "monitor_capture.h"
#include "pty_session.h"
#include "scenario_helpers.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

std::string fd_link(pid_t pid, int fd) {
    char buf[256];
    auto path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

// vhangup() of a line whose master stays open, as getty/login do before a
// new login: every file open on it is hung up, and a later open of the same
// /dev/pts/N is live. Two jobs of the hung-up session: one still on its
// dead fds, one that reopened the line onto fds 1 and 2. By name both
// write to /dev/pts/N; the kernel tells them apart.
TEST(FloorVerdicts, ADeadTerminalIsToldFromALiveOneWithTheSameName) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    const std::string slave = ptsname(master);
    int pids[2], go_reopen[2], reopened[2], go_exit[2];
    ASSERT_EQ(pipe(pids), 0);
    ASSERT_EQ(pipe(go_reopen), 0);
    ASSERT_EQ(pipe(reopened), 0);
    ASSERT_EQ(pipe(go_exit), 0);
    char c = 1;

    pid_t leader = spawn([&]() -> int {
        enter_session_on_pty(slave);
        signal(SIGHUP, SIG_IGN);  // the leader outlives the hangup until told
        pid_t jobs[2];
        jobs[0] = fork();  // stays on the dead terminal
        if (jobs[0] == 0)
            for (;;) pause();
        jobs[1] = fork();  // reopens the line after the hangup
        if (jobs[1] == 0) {
            char b;
            if (read(go_reopen[0], &b, 1) != 1) _exit(1);
            int fd = open(slave.c_str(), O_RDWR | O_NOCTTY);
            if (fd < 0 || dup2(fd, 1) != 1 || dup2(fd, 2) != 2) _exit(2);
            close(fd);
            if (write(reopened[1], &b, 1) != 1) _exit(3);
            for (;;) pause();
        }
        if (write(pids[1], jobs, sizeof(jobs)) != sizeof(jobs)) return 4;
        char b;
        return read(go_exit[0], &b, 1) == 1 ? 0 : 5;
    });
    ASSERT_GT(leader, 0);
    pid_t jobs[2] = {0, 0};
    ASSERT_EQ(read(pids[0], jobs, sizeof(jobs)), static_cast<ssize_t>(sizeof(jobs)));
    const pid_t dead_job = jobs[0], reopened_job = jobs[1];

    int line = open(slave.c_str(), O_RDWR | O_NOCTTY);
    ASSERT_GE(line, 0);
    ASSERT_EQ(ioctl(line, TIOCVHANGUP), 0) << "vhangup needs CAP_SYS_ADMIN";
    close(line);
    ASSERT_TRUE(monitor->wait_disconnect(static_cast<std::uint32_t>(leader)));

    ASSERT_EQ(write(go_reopen[1], &c, 1), 1);
    ASSERT_EQ(read(reopened[0], &c, 1), 1);
    EXPECT_EQ(fd_link(dead_job, 1), fd_link(reopened_job, 1)) << "the same name, by readlink";
    ASSERT_EQ(write(go_exit[1], &c, 1), 1);
    ASSERT_EQ(WEXITSTATUS(reap(leader)), 0);

    auto dead = monitor->wait_verdicts(static_cast<std::uint32_t>(dead_job), 1);
    auto live = monitor->wait_verdicts(static_cast<std::uint32_t>(reopened_job), 1);
    ASSERT_EQ(dead.size(), 1u);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(dead[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(dead[0].cause, OrphanCause::Disconnect);
    EXPECT_TRUE(dead[0].output_lost);
    EXPECT_EQ(dead[0].dead_fds, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(live[0].kind, VerdictKind::Orphaned);
    EXPECT_FALSE(live[0].output_lost) << "its stdout and stderr are the live reopened line";
    EXPECT_EQ(live[0].dead_fds, (std::vector<int>{0}));

    kill(dead_job, SIGKILL);
    kill(reopened_job, SIGKILL);
    close(master);
    for (int* p : {pids, go_reopen, reopened, go_exit}) {
        close(p[0]);
        close(p[1]);
    }
}

// Issue 15: a handler in the parent is not the exec'd child's. bash
// forwards the hangup to the job's group: the trapping shell handles it and
// lives on; its sleep (exec'd: SIG_DFL) dies of it.
TEST(FloorVerdicts, TheSighupDispositionIsTheProcessOwnNotItsParents) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    const std::string tag = std::to_string(getpid());
    auto trapper = shell.start_job("bash -c 'trap \"echo got-hup\" HUP; sleep 1040" + tag +
                                   "; sleep 1041" + tag + "' t" + tag);
    ASSERT_TRUE(trapper);
    auto sleeper = find_process("sleep 1040" + tag);
    ASSERT_TRUE(sleeper);

    shell.hang_up();
    shell.wait_leader();

    auto killed = monitor->wait_verdicts(static_cast<std::uint32_t>(*sleeper), 1);
    ASSERT_EQ(killed.size(), 1u);
    EXPECT_EQ(killed[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(killed[0].signal, SIGHUP);
    EXPECT_EQ(killed[0].sighup, SighupDisposition::Default) << "an exec'd sleep has no handler";

    auto survived = monitor->wait_verdicts(static_cast<std::uint32_t>(*trapper), 1);
    ASSERT_EQ(survived.size(), 1u);
    EXPECT_EQ(survived[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(survived[0].survived_because, SurvivalReason::SighupHandled);
    EXPECT_EQ(survived[0].sighup, SighupDisposition::Handled);

    kill(*trapper, SIGKILL);
    if (auto next = find_process("sleep 1041" + tag)) kill(*next, SIGKILL);
}

}  // namespace
}  // namespace hupwatch::test
