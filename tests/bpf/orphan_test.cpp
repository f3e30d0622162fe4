// Reparenting when a parent exits: one event per child, with the new parent
// the kernel picks (here: the test itself, as a child subreaper).
#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <set>

#include "event_capture.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

// Makes the test process a child subreaper for the scope of a test, so that
// orphans come to us (PID 1 here reaps lazily) and we can reap them.
class SubreaperScope {
   public:
    SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

auto reparent_from(pid_t old_parent) {
    return [=](const Event& e) {
        return e.type() == EventType::Reparent &&
               std::get<ReparentEvent>(e.body).old_ppid == static_cast<uint32_t>(old_parent);
    };
}

TEST(Orphans, ChildOfAnExitedParentGoesToTheSubreaper) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    SubreaperScope subreaper;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t middle = spawn([&]() -> int {
        close(fds[0]);
        pid_t grandchild = fork();
        if (grandchild == 0) {
            for (;;) pause();
        }
        // Tell the test the grandchild's pid, then die, orphaning it.
        [[maybe_unused]] auto n = write(fds[1], &grandchild, sizeof(grandchild));
        return 0;
    });
    close(fds[1]);
    pid_t grandchild = 0;
    ASSERT_EQ(read(fds[0], &grandchild, sizeof(grandchild)),
              static_cast<ssize_t>(sizeof(grandchild)));
    close(fds[0]);
    ASSERT_EQ(WEXITSTATUS(reap(middle)), 0);

    auto ev = capture->wait_for(reparent_from(middle));
    ASSERT_TRUE(ev);
    const auto& r = std::get<ReparentEvent>(ev->body);
    EXPECT_EQ(r.child.pid, static_cast<uint32_t>(grandchild));
    EXPECT_EQ(r.new_ppid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(ns_to_ticks(r.new_parent_start_ns), proc_start_ticks(getpid()));
    EXPECT_EQ(r.reaper, ReaperKind::Subreaper);
    EXPECT_EQ(ns_to_ticks(r.child.start_ns), proc_start_ticks(grandchild));

    auto exit = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(middle);
    });
    ASSERT_TRUE(exit);
    EXPECT_EQ(std::get<ExitEvent>(exit->body).orphans, 1u);
    EXPECT_EQ(std::get<ExitEvent>(exit->body).orphans_overflow, 0u);
    EXPECT_EQ(ns_to_ticks(r.old_parent_start_ns), ns_to_ticks(exit->subject().start_ns));
    EXPECT_EQ(r.old_parent_start_ns, exit->subject().start_ns);

    // The grandchild is ours now: reap it.
    EXPECT_EQ(getppid() != grandchild, true);
    kill(grandchild, SIGKILL);
    EXPECT_EQ(WTERMSIG(reap(grandchild)), SIGKILL);
}

TEST(Orphans, ThreeHundredChildrenOfOneParentAreAllReported) {
    HUPWATCH_START_CAPTURE(capture, CollectorOptions{});
    SubreaperScope subreaper;
    constexpr int kChildren = 300;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t parent = spawn([&]() -> int {
        close(fds[0]);
        for (int i = 0; i < kChildren; ++i) {
            pid_t c = fork();
            if (c == 0) {
                close(fds[1]);  // or the test's read never sees EOF
                for (;;) pause();
            }
            if (c < 0) return 1;
            [[maybe_unused]] auto n = write(fds[1], &c, sizeof(c));
        }
        return 0;
    });
    close(fds[1]);
    std::set<uint32_t> children;
    pid_t c;
    while (read(fds[0], &c, sizeof(c)) == static_cast<ssize_t>(sizeof(c))) children.insert(c);
    close(fds[0]);
    ASSERT_EQ(WEXITSTATUS(reap(parent)), 0);
    ASSERT_EQ(children.size(), static_cast<size_t>(kChildren));

    auto events = capture->wait_for_count(reparent_from(parent), kChildren);
    std::set<uint32_t> reported;
    for (const auto& e : events) {
        const auto& r = std::get<ReparentEvent>(e.body);
        reported.insert(r.child.pid);
        EXPECT_EQ(r.new_ppid, static_cast<uint32_t>(getpid()));
        EXPECT_EQ(r.reaper, ReaperKind::Subreaper);
    }
    EXPECT_EQ(reported, children);
    auto exit = capture->wait_for([&](const Event& e) {
        return e.type() == EventType::Exit && e.subject().pid == static_cast<uint32_t>(parent);
    });
    ASSERT_TRUE(exit);
    EXPECT_EQ(std::get<ExitEvent>(exit->body).orphans, static_cast<uint32_t>(kChildren));
    EXPECT_EQ(std::get<ExitEvent>(exit->body).orphans_overflow, 0u);
    EXPECT_EQ(capture->stats()[HW_EV_REPARENT], 0u) << "reparent events lost in the ring buffer";

    for (auto pid : children) kill(static_cast<pid_t>(pid), SIGKILL);
    for (auto pid : children) reap(static_cast<pid_t>(pid));
}

}  // namespace
}  // namespace hupwatch::test
