// What `hupwatch run` tells a person at its terminal (stderr is a tty): each
// finding as one line, as `watch --verdicts` prints it, and a periodic
// heartbeat. Under systemd stderr is the journal, which keeps findings
// through --events.journald instead, so this stays off there.
#pragma once

#include <cstdint>

#include "boot_clock.h"
#include "event_sink.h"
#include "monitor_counters.h"

namespace hupwatch {

class TerminalLog : public EventSink {
   public:
    explicit TerminalLog(std::uint64_t heartbeat_period_ns) : period_ns_(heartbeat_period_ns) {}

    void on_event(const Event&) override {}
    void on_finding(const Finding& finding) override;

    // Every loop turn: one line per period, "hupwatch: 812 events/s, 1024
    // processes tracked, 0 lost in the kernel (0 in all)".
    void tick(std::uint64_t now_boot_ns, const MonitorCounters& counters,
              std::size_t tracked_processes);

   private:
    BootClock clock_;
    std::uint64_t period_ns_;
    std::uint64_t last_ns_ = 0;
    std::uint64_t last_events_ = 0;
    std::uint64_t last_lost_ = 0;
};

}  // namespace hupwatch
