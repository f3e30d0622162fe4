// signal_generate as the kernel reports it: sender, target, origin, result.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "event_capture.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

auto signal_to(pid_t pid, int sig) {
    return [=](const Event& e) {
        return e.type() == EventType::Signal && e.subject().pid == static_cast<uint32_t>(pid) &&
               std::get<SignalEvent>(e.body).sig == sig;
    };
}

auto exit_of(pid_t pid) {
    return [=](const Event& e) {
        return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(pid);
    };
}

TEST(Signals, ProcessKilledBySighupFromAProcess) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    ReadyPipe ready;
    pid_t child = spawn([&]() -> int {
        ready.signal_ready();
        for (;;) pause();
    });
    ASSERT_TRUE(ready.wait_ready());
    ASSERT_EQ(kill(child, SIGHUP), 0);
    int status = reap(child);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGHUP);

    auto sig = capture->wait_for(signal_to(child, SIGHUP));
    ASSERT_TRUE(sig);
    const auto& s = std::get<SignalEvent>(sig->body);
    EXPECT_EQ(s.sender_pid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(ns_to_ticks(s.sender_start_ns), proc_start_ticks(getpid()));
    EXPECT_EQ(s.origin, SignalOrigin::User);
    EXPECT_EQ(s.si_code, 0);  // SI_USER
    EXPECT_EQ(s.result, SignalResult::Delivered);
    EXPECT_TRUE(s.group);
    EXPECT_EQ(s.target.ppid, static_cast<uint32_t>(getpid()));

    auto exit = capture->wait_for(exit_of(child));
    ASSERT_TRUE(exit);
    const auto& x = std::get<ExitEvent>(exit->body);
    EXPECT_EQ(x.term_signal(), SIGHUP);
    EXPECT_EQ(x.exit_code(), std::nullopt);
    EXPECT_EQ(x.proc.start_ns, s.target.start_ns);
}

TEST(Signals, SighupToAProcessThatIgnoresItIsReportedIgnored) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    ReadyPipe ready;
    pid_t child = spawn([&]() -> int {
        signal(SIGHUP, SIG_IGN);  // what nohup does
        ready.signal_ready();
        for (;;) pause();
    });
    ASSERT_TRUE(ready.wait_ready());
    ASSERT_EQ(kill(child, SIGHUP), 0);
    auto sig = capture->wait_for(signal_to(child, SIGHUP));
    ASSERT_TRUE(sig);
    EXPECT_EQ(std::get<SignalEvent>(sig->body).result, SignalResult::Ignored);

    ASSERT_EQ(kill(child, SIGKILL), 0);
    ASSERT_EQ(WTERMSIG(reap(child)), SIGKILL);
    auto killed = capture->wait_for(signal_to(child, SIGKILL));
    ASSERT_TRUE(killed);
    EXPECT_EQ(std::get<SignalEvent>(killed->body).result, SignalResult::Delivered);
    auto exit = capture->wait_for(exit_of(child));
    ASSERT_TRUE(exit);
    EXPECT_EQ(std::get<ExitEvent>(exit->body).term_signal(), SIGKILL);
}

// A session whose controlling terminal is a pty we opened; closing the master
// makes the kernel hang the line up (pty_close -> tty_vhangup), exactly what
// sshd's close does when a connection drops. The leader gets SIGHUP from
// __tty_hangup(); when it dies, disassociate_ctty() sends SIGHUP to its
// foreground process group, where our job waits.
TEST(Signals, TtyHangupSendsKernelSighupsToTheLeaderThenItsForegroundJob) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    prctl(PR_SET_CHILD_SUBREAPER, 1);  // the orphaned job comes to us to be reaped
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master, 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    std::string slave = ptsname(master);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t leader = spawn([&]() -> int {
        close(master);
        close(fds[0]);
        if (setsid() < 0) return 1;
        int fd = open(slave.c_str(), O_RDWR);  // a session leader's first tty becomes its ctty
        if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) != 0) return 2;
        pid_t job = fork();  // stays in the leader's (foreground) process group
        if (job == 0) {
            for (;;) pause();
        }
        [[maybe_unused]] auto n = write(fds[1], &job, sizeof(job));
        for (;;) pause();
    });
    close(fds[1]);
    pid_t job = 0;
    ASSERT_EQ(read(fds[0], &job, sizeof(job)), static_cast<ssize_t>(sizeof(job)));
    close(fds[0]);
    close(master);
    int status = reap(leader);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_EQ(WTERMSIG(status), SIGHUP);
    int job_status = reap(job);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    ASSERT_TRUE(WIFSIGNALED(job_status));
    ASSERT_EQ(WTERMSIG(job_status), SIGHUP);

    unsigned pts = 0;
    ASSERT_EQ(sscanf(slave.c_str(), "/dev/pts/%u", &pts), 1);
    const std::uint32_t tty_dev = ((136u + pts / 256) << 20) | (pts % 256);

    auto fork = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Fork && e.subject().pid == static_cast<uint32_t>(job);
    });
    ASSERT_TRUE(fork);
    EXPECT_EQ(fork->subject().tty_dev, tty_dev) << slave;
    EXPECT_EQ(fork->subject().sid, static_cast<uint32_t>(leader));
    EXPECT_EQ(fork->subject().pgid, static_cast<uint32_t>(leader));

    auto sig = capture->wait_for(signal_to(leader, SIGHUP));
    ASSERT_TRUE(sig);
    const auto& s = std::get<SignalEvent>(sig->body);
    EXPECT_EQ(s.origin, SignalOrigin::Kernel);
    EXPECT_EQ(s.si_code, 0x80);  // SI_KERNEL
    EXPECT_EQ(s.result, SignalResult::Delivered);
    EXPECT_EQ(s.sender_pid, static_cast<uint32_t>(getpid())) << "the closer of the master";
    EXPECT_EQ(s.target.sid, static_cast<uint32_t>(leader));
    // tty_signal_session_leader() clears signal->tty before it signals.
    EXPECT_EQ(s.target.tty_dev, 0u);

    auto job_sig = capture->wait_for(signal_to(job, SIGHUP));
    ASSERT_TRUE(job_sig);
    const auto& j = std::get<SignalEvent>(job_sig->body);
    EXPECT_EQ(j.origin, SignalOrigin::Kernel);
    EXPECT_EQ(j.sender_pid, static_cast<uint32_t>(leader)) << "the dying leader";
    EXPECT_EQ(j.result, SignalResult::Delivered);

    auto exit = capture->wait_for(exit_of(leader));
    ASSERT_TRUE(exit);
    EXPECT_EQ(std::get<ExitEvent>(exit->body).term_signal(), SIGHUP);
    auto job_exit = capture->wait_for(exit_of(job));
    ASSERT_TRUE(job_exit);
    EXPECT_EQ(std::get<ExitEvent>(job_exit->body).term_signal(), SIGHUP);
}

// After a hangup, writes to the terminal fail with EIO: the output is lost.
// Counted by the opt-in syscall hook (--syscall-results).
TEST(Signals, WritesToAHungUpTerminalAreReportedAsOutputLost) {
    CollectorOptions with_syscall_results;
    with_syscall_results.syscall_results = true;
    HUPWATCH_START_CAPTURE(capture, with_syscall_results);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master, 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    std::string slave = ptsname(master);
    ReadyPipe ready;
    pid_t writer = spawn([&]() -> int {
        close(master);
        signal(SIGHUP, SIG_IGN);  // nohup'd, but its output still goes to the tty
        if (setsid() < 0) return 1;
        int fd = open(slave.c_str(), O_RDWR);
        if (fd < 0 || dup2(fd, 1) != 1) return 2;
        ready.signal_ready();
        for (int failures = 0, i = 0; failures < 3 && i < 1000000; ++i) {
            if (write(1, "x", 1) < 0) {
                if (errno != EIO) return 3;
                ++failures;
            } else {
                usleep(1000);  // the master's reader is us; don't fill the buffer
            }
        }
        return 0;
    });
    ASSERT_TRUE(ready.wait_ready());
    char drain[256];
    [[maybe_unused]] auto n = read(master, drain, sizeof(drain));
    close(master);
    ASSERT_EQ(WEXITSTATUS(reap(writer)), 0);

    auto lost = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::OutputLost &&
               e.subject().pid == static_cast<uint32_t>(writer);
    });
    ASSERT_TRUE(lost);
    const auto& o = std::get<OutputLostEvent>(lost->body);
    EXPECT_EQ(o.fd, 1u);
    EXPECT_EQ(o.eio_writes, 1u) << "the first failure is reported at once";
    // The next two fall within a second of the first: counted, not sent.
    EXPECT_FALSE(capture->wait_for(
        [&](const Event& e) {
            return e.type() == EventType::OutputLost &&
                   e.subject().pid == static_cast<uint32_t>(writer) &&
                   std::get<OutputLostEvent>(e.body).eio_writes > 1;
        },
        std::chrono::milliseconds(200)));
}

TEST(Signals, SignalsOutsideTheSetAreNotReportedAndTheSetIsConfigurable) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    CollectorOptions with_usr1;
    with_usr1.signal_mask = 1ULL << SIGUSR1;
    HUPWATCH_START_CAPTURE(usr1_capture, with_usr1);

    ReadyPipe ready;
    pid_t child = spawn([&]() -> int {
        signal(SIGUSR1, SIG_IGN);
        ready.signal_ready();
        for (;;) pause();
    });
    ASSERT_TRUE(ready.wait_ready());
    ASSERT_EQ(kill(child, SIGUSR1), 0);
    ASSERT_EQ(kill(child, SIGTERM), 0);
    ASSERT_EQ(WTERMSIG(reap(child)), SIGTERM);

    // The default set sees SIGTERM but not SIGUSR1; by then SIGUSR1 is in
    // the ring buffer if it was ever going to be.
    ASSERT_TRUE(capture->wait_for(signal_to(child, SIGTERM)));
    EXPECT_FALSE(capture->wait_for(signal_to(child, SIGUSR1), std::chrono::milliseconds(300)));
    auto usr1 = usr1_capture->wait_for(signal_to(child, SIGUSR1));
    ASSERT_TRUE(usr1);
    EXPECT_EQ(std::get<SignalEvent>(usr1->body).result, SignalResult::Ignored);
    EXPECT_FALSE(usr1_capture->wait_for(signal_to(child, SIGTERM), std::chrono::milliseconds(300)));
}

}  // namespace
}  // namespace hupwatch::test
