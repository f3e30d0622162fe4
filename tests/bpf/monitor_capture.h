// Test support: the whole live path (LiveMonitor: collector, table,
// correlator) on its own thread, collecting events and findings, with
// bounded waits on conditions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "boot_clock.h"
#include "event_capture.h"
#include "event_sink.h"
#include "live_monitor.h"
#include "skip_or_fail.h"

namespace hupwatch::test {

class MonitorCapture : public EventSink {
   public:
    static std::unique_ptr<MonitorCapture> start(std::string& error,
                                                 CorrelatorOptions correlator = {});
    static std::unique_ptr<MonitorCapture> start(std::string& error, const MonitorOptions& options);
    ~MonitorCapture() override;

    void on_event(const Event& event) override;
    void on_finding(const Finding& finding) override;

    // The verdicts for one process (pid and, when known, start time).
    std::vector<Verdict> wait_verdicts(
        std::uint32_t pid, std::size_t n,
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::optional<DisconnectFinding> wait_disconnect(
        std::uint32_t sid, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::optional<SessionEndFinding> wait_session_end(
        std::uint32_t sid, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::vector<Finding> findings();
    // The exit events the sink saw (after the live path's checks), as the
    // exiting processes were then.
    std::vector<ProcessInfo> exits();
    // Every event the sink saw from now on, in order (for replaying them
    // through the correlator; off by default: the host is busy).
    void keep_events();
    std::vector<Event> events();
    // The first kept event that matches (keep_events() before it happens).
    std::optional<Event> wait_event(const std::function<bool(const Event&)>& match,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Waits until an exit event of pid reached the sink.
    bool wait_exit(std::uint32_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    MonitorCounters counters();
    // Holds the reader while the lock lives: events wait in the ring, as
    // they do between two of the daemon's drains (100 ms), so a test can
    // make something happen and vanish before it is read.
    std::unique_lock<std::mutex> hold_reader() { return std::unique_lock(poll_mutex_); }
    // LiveMonitor::check_against, with hold_reader()'s lock held: the scan
    // is applied by the next poll, after its drain.
    void check_against(ProcessesSeen scan) { monitor_->check_against(std::move(scan)); }
    // The table's entry of (pid, start) as it is now (its holder alive now
    // when start is nullopt).
    std::optional<ProcessEntry> entry(std::uint32_t pid, std::optional<std::uint64_t> start_ns);
    // LiveMonitor::proc_connector_unused(): why setsid moments are not read.
    std::string proc_connector_unused();

   private:
    MonitorCapture() = default;
    template <typename Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout);

    BootClock clock_;
    std::unique_ptr<LiveMonitor> monitor_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Finding> findings_;
    std::vector<ProcessInfo> exits_;
    bool keep_events_ = false;
    std::vector<Event> events_;
    std::mutex poll_mutex_;  // the monitor's own state: poll() vs counters()
};

// As HUPWATCH_START_CAPTURE: skip outside CI without BPF, fail under CI=true.
#define HUPWATCH_START_MONITOR(var)                                                \
    std::string var##_error;                                                       \
    auto var = ::hupwatch::test::MonitorCapture::start(var##_error);               \
    if (!var) {                                                                    \
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("BPF unavailable (" << var##_error << ")"); \
    }

}  // namespace hupwatch::test
