// Disconnects without a hangup of the job's own line: `ssh host CMD` (no
// pty) losing its sshd session process (sessions inside sessions are in
// nested_session_chain_test.cpp). Synthetic streams, no kernel.
#include <gtest/gtest.h>

#include <csignal>
#include <map>

#include "correlator_story.h"

namespace hupwatch {
namespace {

using namespace test;

// Answers hung_up_fds() from a table: the kernel's dead-end fds.
class DeadFdProbe : public HostProbe {
   public:
    std::map<std::uint32_t, std::vector<HungUpFd>> dead;
    std::optional<std::string> cgroup_path(std::uint32_t) override { return std::nullopt; }
    std::optional<SignalMasks> signal_masks(std::uint32_t) override { return std::nullopt; }
    std::optional<OutputTargets> output_targets(std::uint32_t) override { return std::nullopt; }
    std::string user_name(std::uint32_t uid) override { return std::to_string(uid); }
    std::optional<double> cpu_seconds(std::uint32_t) override { return std::nullopt; }
    std::optional<std::vector<HungUpFd>> hung_up_fds(std::uint32_t pid, std::uint64_t) override {
        auto it = dead.find(pid);
        if (it == dead.end()) return std::vector<HungUpFd>{};
        return it->second;
    }
};

// sshd listener 700 -> "sshd: user@notty" 800 (its own session) -> the
// command 900, which sshd's child made a session leader without a tty.
struct SshCommand {
    Story& s;
    ProcessInfo listener, sshd, cmd;
    SshCommand(Story& story, const std::string& comm) : s(story) {
        listener = s.proc(700, 1 * kSec, 1, 700, 0, "sshd");
        sshd = s.proc(800, 2 * kSec, 700, 800, 0, "sshd");
        cmd = s.proc(900, 3 * kSec, 800, 900, 0, comm);
        s.at(1 * kSec);
        s.fork(listener, kSec / 2);
        s.at(2 * kSec);
        s.fork(sshd, listener.start_ns);
        s.at(3 * kSec);
        s.fork(cmd, sshd.start_ns);
        s.exec(cmd, {comm, "job"});
    }
    // The client vanished: sshd exits, its command is reparented to init.
    void sshd_exits(std::uint64_t t) {
        s.at(t);
        s.exit_code(sshd, 255);
        s.reparent(cmd, sshd, 1, 0);
    }
};

TEST(SshCommand, TheSshdSessionVanishingIsTheCommandsDisconnect) {
    Story s;
    SshCommand ssh(s, "sh");
    ssh.sshd_exits(10 * kSec);
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].sid, 900u);
    EXPECT_EQ(d[0].leader.pid, 900u);
    EXPECT_EQ(d[0].tty_dev, 0u);
    EXPECT_EQ(d[0].hung_up_by_pid, 800u);
    EXPECT_EQ(d[0].hung_up_by_comm, "sshd");
    EXPECT_EQ(d[0].ktime_ns, 10 * kSec);
}

TEST(SshCommand, ACommandDyingOfSigpipeAfterItsSshdVanishedIsKilledByTheDisconnect) {
    Story s;
    SshCommand ssh(s, "sh");
    ssh.sshd_exits(10 * kSec);
    s.at(10 * kSec + kSec / 5);
    s.exit_signal(ssh.cmd, SIGPIPE);
    s.tick(12 * kSec);
    auto v = s.verdicts_for(900);
    ASSERT_EQ(v.size(), 1u) << "no orphan verdict besides its death";
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[0].signal, SIGPIPE);
    EXPECT_EQ(v[0].disconnect_sid, 900u);
    ASSERT_TRUE(v[0].via);
    EXPECT_EQ(v[0].via->pid, 800u);
    EXPECT_EQ(v[0].via->comm, "sshd");
    ASSERT_EQ(v[0].lineage.size(), 1u);
    EXPECT_EQ(v[0].lineage[0].pid, 800u);
    EXPECT_FALSE(v[0].kill) << "not a `killed` verdict";
}

TEST(SshCommand, ASurvivorIsOrphanedByTheDisconnectWithItsOutputLost) {
    DeadFdProbe probe;
    probe.dead[900] = {{1, 0, DeadFdKind::WidowedPipe}, {2, 0, DeadFdKind::WidowedPipe}};
    Story s({}, &probe);
    SshCommand ssh(s, "sleep");
    ssh.sshd_exits(10 * kSec);
    s.tick(11 * kSec);
    auto v = s.verdicts_for(900);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Orphaned);
    EXPECT_EQ(v[0].cause, OrphanCause::Disconnect);
    EXPECT_EQ(v[0].disconnect_sid, 900u);
    EXPECT_EQ(v[0].survived_because, SurvivalReason::NotSignalled);
    EXPECT_TRUE(v[0].output_lost);
    EXPECT_TRUE(v[0].dead_fds.empty()) << "dead_fds are hung-up terminals only";
}

TEST(SshCommand, ASurvivorWhoseOutputStillHasAReaderKeepsIt) {
    DeadFdProbe probe;  // no dead fds: its output goes to a file
    Story s({}, &probe);
    SshCommand ssh(s, "sleep");
    ssh.sshd_exits(10 * kSec);
    s.tick(11 * kSec);
    auto v = s.verdicts_for(900);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].cause, OrphanCause::Disconnect);
    EXPECT_FALSE(v[0].output_lost);
}

TEST(SshCommand, AnSshdKilledByASignalIsNoDisconnect) {
    Story s;
    SshCommand ssh(s, "sleep");
    s.at(10 * kSec);
    s.exit_signal(ssh.sshd, SIGTERM);  // systemd stopping the session's scope
    s.reparent(ssh.cmd, ssh.sshd, 1, 0);
    EXPECT_TRUE(s.disconnects().empty());
}

TEST(SshCommand, ACommandThatEndsBeforeItsSshdIsNoDisconnect) {
    Story s;
    SshCommand ssh(s, "sh");
    s.at(10 * kSec);
    s.exit_code(ssh.cmd, 0);
    s.exit_code(ssh.sshd, 0);
    s.tick(12 * kSec);
    EXPECT_TRUE(s.disconnects().empty());
    EXPECT_TRUE(s.verdicts_for(900).empty());
}

TEST(SshCommand, ASigpipeWithoutAVanishedSshdIsABrokenPipe) {
    Story s;
    SshCommand ssh(s, "sh");
    s.at(10 * kSec);
    s.exit_signal(ssh.cmd, SIGPIPE);
    auto v = s.verdicts_for(900);
    for (const auto& verdict : v) EXPECT_NE(verdict.kind, VerdictKind::KilledByDisconnect);
}

// `ssh host 'nohup job &'`: the remote shell 900 forks job 901 into its
// session and exits at once (the job is orphaned); sshd 800 stays while the
// job holds its pipes, and exits, with no child left, when the client goes.
struct SshBackgroundJob : SshCommand {
    ProcessInfo job;
    SshBackgroundJob(Story& story, std::uint64_t shell_exit_ns) : SshCommand(story, "bash") {
        job = s.proc(901, 3 * kSec + 1000, 900, 900, 0, "writer");
        s.at(job.start_ns);
        s.fork(job, cmd.start_ns);
        s.exec(job, {"writer"});
        s.at(shell_exit_ns);
        s.exit_code(cmd, 0);
        s.reparent(job, cmd, 1, 0);
    }
    void sshd_exits(std::uint64_t t) {
        s.at(t);
        s.exit_code(sshd, 0);  // OpenSSH 9.2's child exits 0 on a dropped client too
    }
};

TEST(SshCommand, AJobStillWritingToItsGoneSshdWasDisconnected) {
    DeadFdProbe probe;
    probe.dead[901] = {{1, 0, DeadFdKind::WidowedPipe}, {2, 0, DeadFdKind::WidowedPipe}};
    Story s({}, &probe);
    SshBackgroundJob ssh(s, 3 * kSec + 5000);
    s.tick(5 * kSec);
    ASSERT_EQ(s.verdicts_for(901).size(), 1u);
    EXPECT_EQ(s.verdicts_for(901)[0].kind, VerdictKind::Orphaned)
        << "by its shell's exit: sshd made the session, not a daemon's double fork";
    EXPECT_EQ(s.verdicts_for(901)[0].cause, OrphanCause::ParentExit);
    ssh.sshd_exits(3 * kSec + kSec / 2);  // soon after the shell: only the pipes tell
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].sid, 900u);
    EXPECT_EQ(d[0].leader.pid, 900u);
    EXPECT_EQ(d[0].hung_up_by_pid, 800u);
    EXPECT_EQ(d[0].hung_up_by_comm, "sshd");
    EXPECT_EQ(d[0].ktime_ns, 3 * kSec + kSec / 2);
    s.at(4 * kSec);
    s.exit_signal(ssh.job, SIGPIPE);
    auto v = s.verdicts_for(901);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v[1].signal, SIGPIPE);
    EXPECT_EQ(v[1].disconnect_sid, 900u);
    ASSERT_TRUE(v[1].via);
    EXPECT_EQ(v[1].via->pid, 800u);
    EXPECT_FALSE(v[1].kill);
    EXPECT_EQ(s.disconnects().size(), 1u);
}

TEST(SshCommand, AJobDeadOfSigpipeAfterItsSshdLingeredAndLeftWasDisconnected) {
    Story s;  // no probe (replay), or the job died before anyone looked
    SshBackgroundJob ssh(s, 3 * kSec + 5000);
    ssh.sshd_exits(60 * kSec);
    EXPECT_TRUE(s.disconnects().empty()) << "nothing certain yet";
    s.at(60 * kSec + kSec / 10);
    s.exit_signal(ssh.job, SIGPIPE);
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].sid, 900u);
    EXPECT_EQ(d[0].ktime_ns, 60 * kSec) << "stamped when sshd left";
    EXPECT_EQ(d[0].hung_up_by_pid, 800u);
    auto v = s.verdicts_for(901);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v.back().disconnect_ktime_ns, 60 * kSec);
}

TEST(SshCommand, ASessionThatEndedNormallyLeavesItsRedirectedJobAlone) {
    DeadFdProbe probe;  // `nohup job > log 2>&1 &`: no pipe to sshd
    Story s({}, &probe);
    SshBackgroundJob ssh(s, 3 * kSec + 5000);
    ssh.sshd_exits(3 * kSec + kSec / 20);  // right after its shell: the session's end
    EXPECT_TRUE(s.disconnects().empty());
    s.at(30 * kSec);
    s.exit_signal(ssh.job, SIGPIPE);  // a pipe of its own (yes | head)
    EXPECT_TRUE(s.disconnects().empty());
    auto v = s.verdicts_for(901);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().kind, VerdictKind::Killed) << "no disconnect explains it";
    EXPECT_EQ(v.back().signal, SIGPIPE);
}

TEST(SshCommand, APtyLoginsShellReparentedAfterItsHangupIsNotASecondDisconnect) {
    Story s;
    Login login(s);
    login.hang_up(10 * kSec);
    s.at(10 * kSec + 1000);
    s.exit_code(login.sshd, 255);
    auto shell = login.bash;
    shell.tty_dev = 0;  // cleared by the hangup
    s.reparent(shell, login.sshd, 1, 0);
    EXPECT_EQ(s.disconnects().size(), 1u);
}

}  // namespace
}  // namespace hupwatch
