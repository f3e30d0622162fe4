// The live table against the periodic audit's /proc scan: a process it has
// alive that the scan lacks lost its exit event, and ends unseen; one whose
// exit event is merely late (still in the ring when the scan ran) does not.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "monitor_capture.h"
#include "risk_audit.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

pid_t spawn_sleeper() {
    return spawn([] {
        for (;;) pause();
        return 0;
    });
}

// The unseen exits of (pid, start) the sink was handed.
std::vector<Event> exits_unseen(const std::vector<Event>& events, pid_t pid,
                                std::uint64_t start_ns) {
    std::vector<Event> out;
    for (const Event& e : events)
        if (e.type() == EventType::ExitUnseen &&
            e.subject().pid == static_cast<std::uint32_t>(pid) && e.subject().start_ns == start_ns)
            out.push_back(e);
    return out;
}

bool scanned(const ProcessesSeen& scan, pid_t pid) {
    return std::any_of(scan.processes.begin(), scan.processes.end(),
                       [&](const auto& p) { return p.first == static_cast<std::uint32_t>(pid); });
}

class LostExitScan : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string error;
        capture_ = MonitorCapture::start(error);
        if (!capture_) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << error << ")");
    }
    // The child's entry once the table has it alive.
    ProcessEntry alive_entry(pid_t pid) {
        std::optional<ProcessEntry> e;
        EXPECT_TRUE(eventually([&] {
            return (e = capture_->entry(pid, std::nullopt)).has_value();
        })) << "the fork of "
            << pid << " never reached the table";
        return e.value_or(ProcessEntry{});
    }
    std::unique_ptr<MonitorCapture> capture_;
};

// Its exit event lost (here: a scan without it, the child still running),
// the child ends unseen by the scan, and the sinks (the store among them)
// are told so, once; the exit that then comes still tells how it died.
TEST_F(LostExitScan, ALiveProcessTheScanLacksEndsUnseenAndALaterExitStillTellsHowItDied) {
    capture_->keep_events();
    const pid_t child = spawn_sleeper();
    ASSERT_GT(child, 0);
    const ProcessEntry before = alive_entry(child);
    ASSERT_EQ(before.info.pid, static_cast<std::uint32_t>(child));

    ProcessesSeen scan = RiskAudit::audit("/proc").seen;
    ASSERT_TRUE(scan.complete);
    ASSERT_TRUE(scanned(scan, child));
    std::erase_if(scan.processes,
                  [&](const auto& p) { return p.first == static_cast<std::uint32_t>(child); });
    {
        auto held = capture_->hold_reader();
        capture_->check_against(scan);
    }
    std::optional<ProcessEntry> ended;
    EXPECT_TRUE(eventually([&] {
        ended = capture_->entry(child, before.info.start_ns);
        return ended && !ended->alive;
    })) << "the scan never ended it";
    ASSERT_TRUE(ended);
    EXPECT_TRUE(ended->exit_lost);
    EXPECT_EQ(ended->exit_ns, scan.scan_started_ns);
    const auto told = exits_unseen(capture_->events(), child, before.info.start_ns);
    ASSERT_EQ(told.size(), 1u) << "the sinks are told of each unseen exit once";
    EXPECT_EQ(told[0].ktime_ns, scan.scan_started_ns);
    EXPECT_EQ(told[0].subject().comm, before.info.comm);

    kill(child, SIGKILL);
    EXPECT_EQ(WTERMSIG(reap(child)), SIGKILL);
    ASSERT_TRUE(capture_->wait_exit(child));
    auto after = capture_->entry(child, before.info.start_ns);
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->exit_lost);
    EXPECT_EQ(after->raw_status & 0x7f, SIGKILL);
}

// The scan runs while the child's exit event still waits in the ring: the
// drain before the scan is applied brings the exit, so nothing is ended
// unseen and no exit is counted lost.
TEST_F(LostExitScan, AScanMadeBeforeTheExitEventIsReadDoesNotEndItUnseen) {
    capture_->keep_events();
    const pid_t child = spawn_sleeper();
    ASSERT_GT(child, 0);
    const ProcessEntry before = alive_entry(child);
    const std::uint64_t lost_before = capture_->counters().table.lost_exits;
    {
        auto held = capture_->hold_reader();
        kill(child, SIGKILL);
        EXPECT_EQ(WTERMSIG(reap(child)), SIGKILL);
        ProcessesSeen scan = RiskAudit::audit("/proc").seen;
        ASSERT_TRUE(scan.complete);
        ASSERT_FALSE(scanned(scan, child)) << "reaped, yet in /proc";
        capture_->check_against(std::move(scan));
    }
    ASSERT_TRUE(capture_->wait_exit(child));
    auto after = capture_->entry(child, before.info.start_ns);
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->alive);
    EXPECT_FALSE(after->exit_lost);
    EXPECT_EQ(after->raw_status & 0x7f, SIGKILL);
    EXPECT_EQ(capture_->counters().table.lost_exits, lost_before)
        << "the late exit was first taken for a lost one";
    EXPECT_TRUE(exits_unseen(capture_->events(), child, before.info.start_ns).empty());
}

}  // namespace
}  // namespace hupwatch::test
