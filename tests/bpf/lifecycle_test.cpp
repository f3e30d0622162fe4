// fork, exec, exit and setsid as the kernel reports them, for our own pids.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "event_capture.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

template <typename T>
const T& as(const Event& e) {
    return std::get<T>(e.body);
}

TEST(Lifecycle, ForkExecExitOfOurChild) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    pid_t child = spawn([&]() -> int {
        execl("/bin/sh", "sh", "-c", "exit 7", "hupwatch-test-arg", static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_GT(child, 0);
    int status = reap(child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 7);

    auto fork = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Fork &&
               as<ForkEvent>(e).child.pid == static_cast<uint32_t>(child);
    });
    ASSERT_TRUE(fork) << "no fork event for " << child;
    const auto& f = as<ForkEvent>(*fork);
    EXPECT_EQ(f.child.ppid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(f.child.tid, f.child.pid);
    EXPECT_EQ(f.child.sid, static_cast<uint32_t>(getsid(0)));
    EXPECT_EQ(f.child.pgid, static_cast<uint32_t>(getpgid(0)));
    EXPECT_EQ(f.child.uid, getuid());
    EXPECT_EQ(ns_to_ticks(f.parent_start_ns), proc_start_ticks(getpid()));
    EXPECT_GT(f.child.start_ns, f.parent_start_ns);
    EXPECT_NE(f.child.cgroup_id, 0u);
    EXPECT_EQ(fork->ktime_ns, f.child.start_ns) << "a fork is stamped with the child's start";

    auto exec = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exec && e.subject().pid == static_cast<uint32_t>(child);
    });
    ASSERT_TRUE(exec);
    const auto& x = as<ExecEvent>(*exec);
    EXPECT_EQ(x.filename, "/bin/sh");
    EXPECT_EQ(x.argv, (std::vector<std::string>{"sh", "-c", "exit 7", "hupwatch-test-arg"}));
    EXPECT_FALSE(x.argv_truncated);
    EXPECT_EQ(x.proc.start_ns, f.child.start_ns) << "exec keeps the identity";
    EXPECT_EQ(x.proc.comm, "sh");

    auto exit = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(child);
    });
    ASSERT_TRUE(exit);
    const auto& d = as<ExitEvent>(*exit);
    EXPECT_EQ(d.proc.start_ns, f.child.start_ns);
    EXPECT_EQ(d.exit_code(), 7);
    EXPECT_EQ(d.term_signal(), 0);
    EXPECT_FALSE(d.core_dumped());
    EXPECT_EQ(d.proc.ppid, static_cast<uint32_t>(getpid()));
}

TEST(Lifecycle, ThreadsAreCountedNotReported) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    auto before = capture->stats()[HW_STAT_THREADS_CREATED];
    std::thread([] {}).join();
    std::thread([] {}).join();
    // The counter is per-CPU and summed on read; poll until both are in.
    for (int i = 0; i < 100 && capture->stats()[HW_STAT_THREADS_CREATED] < before + 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_GE(capture->stats()[HW_STAT_THREADS_CREATED], before + 2);
    auto fork_of_thread = capture->wait_for(
        [&](const Event& e) {
            return e.type() == EventType::Fork &&
                   e.subject().pid == static_cast<uint32_t>(getpid());
        },
        std::chrono::milliseconds(200));
    EXPECT_FALSE(fork_of_thread) << "a thread was reported as a process";
}

TEST(Lifecycle, ExitOfMultiThreadedProcessIsReportedOnce) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    pid_t child = spawn([]() -> int {
        std::thread t([] {});
        t.join();
        return 5;
    });
    ASSERT_EQ(WEXITSTATUS(reap(child)), 5);
    auto exits = capture->wait_for_count(
        [&](const Event& e) {
            return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(child);
        },
        2, std::chrono::milliseconds(1500));
    ASSERT_EQ(exits.size(), 1u);
    EXPECT_EQ(std::get<ExitEvent>(exits[0].body).exit_code(), 5);
}

TEST(Lifecycle, ArgvBeyondTheLimitIsTruncatedAndFlagged) {
    CollectorOptions options;
    options.argv_max = 32;
    HUPWATCH_START_CAPTURE(capture, options);
    std::string long_arg(100, 'x');
    pid_t child = spawn([&]() -> int {
        execl("/bin/true", "true", long_arg.c_str(), static_cast<char*>(nullptr));
        return 127;
    });
    ASSERT_EQ(WEXITSTATUS(reap(child)), 0);
    auto exec = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exec && e.subject().pid == static_cast<uint32_t>(child);
    });
    ASSERT_TRUE(exec);
    const auto& x = as<ExecEvent>(*exec);
    EXPECT_TRUE(x.argv_truncated);
    ASSERT_EQ(x.argv.size(), 2u);
    EXPECT_EQ(x.argv[0], "true");
    EXPECT_EQ(x.argv[1], std::string(32 - 5, 'x'));  // 32 bytes: "true\0" + 27 x
}

// The opt-in syscall hook (--syscall-results): exact results, failures too.
TEST(Lifecycle, SetsidAndSetpgidResults) {
    CollectorOptions with_syscall_results;
    with_syscall_results.syscall_results = true;
    HUPWATCH_START_CAPTURE(capture, with_syscall_results);
    pid_t child = spawn([]() -> int {
        if (setpgid(0, 0) != 0) return 1;
        if (setsid() != getpid()) return 2;  // a group leader cannot setsid... see below
        return 0;
    });
    // A process group leader may not call setsid (EPERM): the second call fails
    // and the event carries -EPERM.
    int status = reap(child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2);

    auto pgid = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Session && e.subject().pid == static_cast<uint32_t>(child) &&
               std::get<SessionEvent>(e.body).call == SessionCall::Setpgid;
    });
    ASSERT_TRUE(pgid);
    const auto& p = std::get<SessionEvent>(pgid->body);
    EXPECT_EQ(p.ret, 0);
    EXPECT_EQ(p.arg_pid, 0u);
    EXPECT_EQ(p.arg_pgid, 0u);
    EXPECT_EQ(p.proc.pgid, static_cast<uint32_t>(child));

    auto sid = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Session && e.subject().pid == static_cast<uint32_t>(child) &&
               std::get<SessionEvent>(e.body).call == SessionCall::Setsid;
    });
    ASSERT_TRUE(sid);
    EXPECT_EQ(std::get<SessionEvent>(sid->body).ret, -EPERM);

    pid_t leader = spawn([]() -> int { return setsid() > 0 ? 0 : 1; });
    ASSERT_EQ(WEXITSTATUS(reap(leader)), 0);
    auto ok = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Session && e.subject().pid == static_cast<uint32_t>(leader);
    });
    ASSERT_TRUE(ok);
    const auto& s = std::get<SessionEvent>(ok->body);
    EXPECT_EQ(s.call, SessionCall::Setsid);
    EXPECT_EQ(s.ret, leader);
    EXPECT_EQ(s.proc.sid, static_cast<uint32_t>(leader));
    EXPECT_EQ(s.proc.pgid, static_cast<uint32_t>(leader));
    EXPECT_EQ(s.proc.tty_dev, 0u) << "setsid drops the controlling terminal";
}

// The fd of the map named `name` that this process holds (the capture's
// collector), or -1.
int own_map_fd(const std::string& name) {
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        if (std::filesystem::read_symlink(fd.path(), ec).string() != "anon_inode:bpf-map") continue;
        int n = std::stoi(fd.path().filename().string());
        struct bpf_map_info info = {};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(n, &info, &len) == 0 && name == info.name) return n;
    }
    return -1;
}

// bench/windowed_spawn measures hupwatch's work as the difference between
// windows where bench_pause is 0 and 1: at 1 every hook must turn away (and
// count it), and at 0 the events must flow again.
TEST(Lifecycle, BenchPauseTurnsEveryHookAwayAndBack) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    int pause_fd = own_map_fd("bench_pause");
    ASSERT_GE(pause_fd, 0) << "no bench_pause map in the collector";
    const __u32 key = 0, on = 1, off = 0;
    auto before = capture->stats()[HW_STAT_BENCH_PAUSED];

    ASSERT_EQ(bpf_map_update_elem(pause_fd, &key, &on, BPF_ANY), 0);
    pid_t unseen = spawn([]() -> int { return 3; });
    ASSERT_EQ(WEXITSTATUS(reap(unseen)), 3);
    ASSERT_EQ(bpf_map_update_elem(pause_fd, &key, &off, BPF_ANY), 0);
    pid_t seen = spawn([]() -> int { return 4; });
    ASSERT_EQ(WEXITSTATUS(reap(seen)), 4);

    // Ring order: anything about `unseen` would come before `seen`'s exit.
    auto exit = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(seen);
    });
    ASSERT_TRUE(exit) << "events did not flow again after the pause";
    EXPECT_EQ(std::get<ExitEvent>(exit->body).exit_code(), 4);
    auto leak = capture->wait_for(
        [&](const Event& e) { return e.subject().pid == static_cast<uint32_t>(unseen); },
        std::chrono::milliseconds(1));
    EXPECT_FALSE(leak) << "an event about the paused child was reported";
    // Its fork, its exit and the SIGCHLD at least (the host adds its own).
    EXPECT_GE(capture->stats()[HW_STAT_BENCH_PAUSED], before + 3);
}

}  // namespace
}  // namespace hupwatch::test
