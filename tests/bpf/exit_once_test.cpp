// Exactly one exit event per process, even when every thread of a
// multi-threaded process dies at once (SIGKILL): do_exit()'s group_dead is
// true for one thread only, and the exit program keys on it.
#include <gtest/gtest.h>
#include <pthread.h>

#include <map>
#include <vector>

#include "event_capture.h"
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

TEST(ExitOnce, ASigkilledMultiThreadedProcessHasExactlyOneExitEvent) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    int ready[2];
    ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
    std::map<std::uint32_t, int> exits;  // our pids -> exit events seen
    for (int done = 0; done < kProcesses; done += kBatch) {
        std::vector<pid_t> batch;
        for (int i = 0; i < kBatch; ++i) {
            pid_t pid = spawn_threaded(ready[1]);
            ASSERT_GT(pid, 0);
            batch.push_back(pid);
        }
        for (int i = 0; i < kBatch; ++i) {
            char c;
            ASSERT_EQ(read(ready[0], &c, 1), 1) << "a child did not start its threads";
        }
        for (pid_t pid : batch) kill(pid, SIGKILL);
        for (pid_t pid : batch) {
            int status = reap(pid);
            ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
            exits[static_cast<std::uint32_t>(pid)] = 0;
        }
    }
    close(ready[0]);
    close(ready[1]);
    // Every exit of the victims was reserved before their waitpid returned,
    // so before the sentinel's: once the sentinel's exit is in, all are.
    pid_t sentinel = spawn([]() -> int { return 7; });
    ASSERT_EQ(WEXITSTATUS(reap(sentinel)), 7);
    ASSERT_TRUE(capture->wait_for(
        [&](const Event& e) {
            return e.type() == EventType::Exit &&
                   e.subject().pid == static_cast<std::uint32_t>(sentinel);
        },
        std::chrono::seconds(30)));

    auto all = capture->wait_for_count(
        [&](const Event& e) { return e.type() == EventType::Exit && exits.count(e.subject().pid); },
        kProcesses, std::chrono::seconds(5));
    for (const auto& e : all) ++exits[e.subject().pid];
    int missing = 0, doubled = 0;
    for (const auto& [pid, n] : exits) {
        if (n == 0) ++missing;
        if (n > 1) ++doubled;
    }
    EXPECT_EQ(capture->stats()[HW_EV_EXIT], 0u) << "exit events lost in the ring buffer";
    EXPECT_EQ(missing, 0) << "processes without an exit event";
    EXPECT_EQ(doubled, 0) << "processes with more than one exit event";
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kProcesses));
}

}  // namespace
}  // namespace hupwatch::test
