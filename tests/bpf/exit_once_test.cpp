// Exactly one exit event per process, even when every thread of a
// multi-threaded process dies at once (SIGKILL): do_exit()'s group_dead is
// true for one thread only, and the exit program keys on it.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstdio>
#include <map>
#include <vector>

#include "event_capture.h"
#include "monitor_capture.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

constexpr int kProcesses = 1500;
constexpr int kThreadsEach = 17;  // the main thread and 16 more
constexpr int kBatch = 100;

void* park(void*) {
    for (;;) pause();
    return nullptr;
}

// A process of kThreadsEach threads, all parked; says so on `ready`.
pid_t spawn_threaded(int ready_fd) {
    return spawn([ready_fd]() -> int {
        for (int i = 1; i < kThreadsEach; ++i) {
            pthread_t t;
            if (pthread_create(&t, nullptr, park, nullptr) != 0) return 1;
        }
        char c = 1;
        if (write(ready_fd, &c, 1) != 1) return 2;
        for (;;) pause();
    });
}

// Starts kProcesses processes of kThreadsEach threads, in batches, SIGKILLs
// each batch once all its threads run, reaps them; returns their pids and,
// last, a sentinel that exited after all of them.
std::vector<pid_t> kill_threaded_processes(int processes = kProcesses) {
    std::vector<pid_t> victims;
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return victims;
    for (int done = 0; done < processes; done += kBatch) {
        std::vector<pid_t> batch;
        for (int i = 0; i < kBatch; ++i) {
            pid_t pid = spawn_threaded(ready[1]);
            EXPECT_GT(pid, 0);
            if (pid > 0) batch.push_back(pid);
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            char c;
            EXPECT_EQ(read(ready[0], &c, 1), 1) << "a child did not start its threads";
        }
        for (pid_t pid : batch) kill(pid, SIGKILL);
        for (pid_t pid : batch) {
            int status = reap(pid);
            EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
            victims.push_back(pid);
        }
    }
    close(ready[0]);
    close(ready[1]);
    // Every exit of the victims was reserved before their waitpid returned,
    // so before the sentinel's: once the sentinel's exit is in, all are.
    pid_t sentinel = spawn([]() -> int { return 7; });
    EXPECT_EQ(WEXITSTATUS(reap(sentinel)), 7);
    victims.push_back(sentinel);
    return victims;
}

// Exit events per process of ours: pids are reused here (pid_max 32768, and
// each victim's threads take 16 more), so a process is (pid, start_ns), and
// ours are the exits whose parent is this test.
struct ExitTally {
    std::size_t processes = 0;  // distinct (pid, start_ns)
    std::size_t doubled = 0;    // of those, with more than one exit event
};

ExitTally tally(const std::vector<ProcessInfo>& exits) {
    std::map<std::pair<std::uint32_t, std::uint64_t>, int> seen;
    for (const auto& p : exits)
        if (p.ppid == static_cast<std::uint32_t>(getpid())) ++seen[{p.pid, p.start_ns}];
    ExitTally t;
    t.processes = seen.size();
    for (const auto& [id, n] : seen)
        if (n > 1) ++t.doubled;
    return t;
}

TEST(ExitOnce, ASigkilledMultiThreadedProcessHasExactlyOneExitEvent) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    std::vector<pid_t> victims = kill_threaded_processes();
    ASSERT_EQ(victims.size(), static_cast<std::size_t>(kProcesses + 1));
    const auto sentinel = static_cast<std::uint32_t>(victims.back());
    ASSERT_TRUE(capture->wait_for(
        [&](const Event& e) { return e.type() == EventType::Exit && e.subject().pid == sentinel; },
        std::chrono::seconds(30)));

    std::vector<ProcessInfo> exits;
    for (const auto& e :
         capture->wait_for_count([](const Event& e) { return e.type() == EventType::Exit; }, 1,
                                 std::chrono::seconds(1)))
        exits.push_back(e.subject());
    auto t = tally(exits);
    EXPECT_EQ(capture->stats()[HW_EV_EXIT], 0u) << "exit events lost in the ring buffer";
    EXPECT_EQ(t.processes, static_cast<std::size_t>(kProcesses + 1)) << "the victims and sentinel";
    EXPECT_EQ(t.doubled, 0u) << "processes with more than one exit event";
}

// The fallback of kernels before 6.16 (signal->live read at the tracepoint)
// may report a SIGKILLed group twice; the live path passes one exit each.
TEST(ExitOnce, TheLivePathPassesOneExitEachBehindTheFallbackProgram) {
    MonitorOptions options;
    options.collector.exit_by_live_count = true;
    std::string error;
    auto monitor = MonitorCapture::start(error, options);
    if (!monitor) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << error << ")");
    // Fewer than above: each victim takes 17 pids of a 32768 space shared
    // with every other test on the machine.
    constexpr int kFallbackProcesses = 500;
    std::vector<pid_t> victims = kill_threaded_processes(kFallbackProcesses);
    ASSERT_EQ(victims.size(), static_cast<std::size_t>(kFallbackProcesses + 1));
    ASSERT_TRUE(
        monitor->wait_exit(static_cast<std::uint32_t>(victims.back()), std::chrono::seconds(30)));
    auto t = tally(monitor->exits());
    auto counters = monitor->counters();
    EXPECT_EQ(counters.kernel[HW_EV_EXIT], 0u) << "exit events lost in the ring buffer";
    EXPECT_EQ(t.processes, static_cast<std::size_t>(kFallbackProcesses + 1));
    EXPECT_EQ(t.doubled, 0u);
    // How often the fallback fired twice here (racy: not asserted).
    std::printf("duplicate exits dropped: %llu\n",
                static_cast<unsigned long long>(counters.duplicate_exits));
}

}  // namespace
}  // namespace hupwatch::test
