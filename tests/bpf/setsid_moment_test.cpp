// setsid() at the moment of the call, from the proc connector's
// PROC_EVENT_SID, with no syscall hook: a caller that then does nothing at
// all is still reported, at the call, once. And without the connector,
// setsid stays derived from the next sighting.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "boot_clock.h"
#include "monitor_capture.h"
#include "test_process.h"

namespace hupwatch::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMs = 1'000'000;

// CLOCK_BOOTTIME around the child's setsid(), written by the child.
struct CallTimes {
    std::uint64_t before = 0;
    std::uint64_t after = 0;
};

CallTimes* shared_call_times() {
    void* p =
        mmap(nullptr, sizeof(CallTimes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : new (p) CallTimes{};
}

bool is_session_of(const Event& e, pid_t pid) {
    return e.type() == EventType::Session && e.subject().pid == static_cast<std::uint32_t>(pid) &&
           std::get<SessionEvent>(e.body).call == SessionCall::Setsid;
}

std::size_t setsid_events_of(MonitorCapture& monitor, pid_t pid) {
    std::size_t n = 0;
    for (const auto& e : monitor.events()) n += is_session_of(e, pid);
    return n;
}

// The first event of `type` about process pid.
std::optional<Event> wait_event_of(MonitorCapture& monitor, EventType type, pid_t pid) {
    const auto me = static_cast<std::uint32_t>(pid);
    return monitor.wait_event(
        [&](const Event& e) { return e.type() == type && e.subject().pid == me; });
}

// Events reach the sink in order: once a later process's exit is in, every
// event of an earlier one is (a duplicate setsid would follow its exit).
void wait_for_later_exit(MonitorCapture& monitor) {
    pid_t sentinel = spawn([] { return 0; });
    ASSERT_GT(sentinel, 0);
    reap(sentinel);
    ASSERT_TRUE(monitor.wait_exit(static_cast<std::uint32_t>(sentinel)));
}

// A monitor with the opt-in listener (--setsid-moments).
std::unique_ptr<MonitorCapture> start_with_setsid_moments(std::string& error) {
    MonitorOptions options;
    options.setsid_from_proc_connector = true;
    return MonitorCapture::start(error, options);
}

#define HUPWATCH_START_SETSID_MONITOR(var)                                         \
    std::string var##_error;                                                       \
    auto var = start_with_setsid_moments(var##_error);                             \
    if (!var) {                                                                    \
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << var##_error << ")"); \
    }

TEST(SetsidMoment, ACallerThatThenSleepsIsReportedAtTheCall) {
    HUPWATCH_START_SETSID_MONITOR(monitor);
    if (!monitor->counters().proc_sid.active)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no proc connector: " << monitor->proc_connector_unused());
    monitor->keep_events();
    CallTimes* times = shared_call_times();
    ASSERT_NE(times, nullptr);
    int hold[2];
    ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
    ReadyPipe called;
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(hold[1]);
        times->before = boot_now_ns();
        pid_t sid = setsid();
        times->after = boot_now_ns();
        called.signal_ready();
        // Blocked in read: no fork, exec, signal or exit shows the new sid.
        char c;
        [[maybe_unused]] auto n = read(hold[0], &c, 1);
        _exit(sid == getpid() ? 0 : 1);
    }
    close(hold[0]);
    ASSERT_TRUE(called.wait_ready());
    const auto me = static_cast<std::uint32_t>(child);

    auto forked = wait_event_of(*monitor, EventType::Fork, child);
    auto moment = monitor->wait_event([&](const Event& e) { return is_session_of(e, child); }, 5s);
    // Only now may the child go on: the report came while it slept.
    close(hold[1]);
    ASSERT_TRUE(forked);
    ASSERT_TRUE(moment) << "no setsid event for the sleeping caller";
    const auto& s = std::get<SessionEvent>(moment->body);
    EXPECT_EQ(s.ret, child);
    EXPECT_EQ(s.proc.pid, me);
    EXPECT_EQ(s.proc.start_ns, forked->subject().start_ns) << "a process is (pid, start)";
    EXPECT_EQ(s.proc.sid, me);
    EXPECT_EQ(s.proc.pgid, me);
    EXPECT_EQ(s.proc.tty_dev, 0u) << "setsid drops the controlling terminal";
    // The call's own moment (the kernel's clock, converted), not a sighting.
    EXPECT_GE(moment->ktime_ns + kMs, times->before);
    EXPECT_LE(moment->ktime_ns, times->after + kMs);
    EXPECT_LE(moment->ktime_ns, times->before + 50 * kMs);

    EXPECT_EQ(WEXITSTATUS(reap(child)), 0);
    ASSERT_TRUE(monitor->wait_exit(me));
    wait_for_later_exit(*monitor);
    EXPECT_EQ(setsid_events_of(*monitor, child), 1u) << "the exit must not derive a second one";
    EXPECT_GE(monitor->counters().proc_sid.exact, 1u);
    munmap(times, sizeof(CallTimes));
}

// setsid and exec at once: whichever the monitor reads first, one event,
// no later than the exec that showed the new session.
TEST(SetsidMoment, SetsidThenExecIsOneEvent) {
    HUPWATCH_START_SETSID_MONITOR(monitor);
    if (!monitor->counters().proc_sid.active)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no proc connector: " << monitor->proc_connector_unused());
    monitor->keep_events();
    pid_t child = spawn([] {
        if (setsid() < 0) return 1;
        execlp("true", "true", static_cast<char*>(nullptr));
        return 2;
    });
    ASSERT_GT(child, 0);
    EXPECT_EQ(WEXITSTATUS(reap(child)), 0);
    const auto me = static_cast<std::uint32_t>(child);
    auto exec = wait_event_of(*monitor, EventType::Exec, child);
    auto moment = monitor->wait_event([&](const Event& e) { return is_session_of(e, child); });
    ASSERT_TRUE(exec);
    ASSERT_TRUE(moment);
    EXPECT_LE(moment->ktime_ns, exec->ktime_ns);
    EXPECT_EQ(std::get<SessionEvent>(moment->body).ret, child);
    ASSERT_TRUE(monitor->wait_exit(me));
    wait_for_later_exit(*monitor);
    EXPECT_EQ(setsid_events_of(*monitor, child), 1u);
}

// Without the connector (the default: --setsid-moments is opt-in) the
// monitor derives setsid from the next event.
TEST(SetsidMoment, WithoutTheConnectorSetsidIsDerivedFromTheExit) {
    std::string error;
    auto monitor = MonitorCapture::start(error);
    if (!monitor) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << error << ")");
    EXPECT_FALSE(monitor->counters().proc_sid.active);
    EXPECT_EQ(monitor->proc_connector_unused(), "") << "turned off is no failure to report";
    monitor->keep_events();
    pid_t child = spawn([] { return setsid() > 0 ? 0 : 1; });
    ASSERT_GT(child, 0);
    EXPECT_EQ(WEXITSTATUS(reap(child)), 0);
    auto exit = wait_event_of(*monitor, EventType::Exit, child);
    auto derived = monitor->wait_event([&](const Event& e) { return is_session_of(e, child); });
    ASSERT_TRUE(exit);
    ASSERT_TRUE(derived);
    EXPECT_EQ(derived->ktime_ns, exit->ktime_ns) << "derived: the sighting's time";
    EXPECT_EQ(std::get<SessionEvent>(derived->body).ret, child);
    EXPECT_EQ(monitor->counters().proc_sid.exact, 0u);
    EXPECT_GE(monitor->counters().session_changes_derived, 1u);
}

}  // namespace
}  // namespace hupwatch::test
