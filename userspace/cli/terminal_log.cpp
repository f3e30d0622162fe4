#include "terminal_log.h"

#include "console.h"
#include "finding_format.h"

namespace hupwatch {

void TerminalLog::on_finding(const Finding& finding) {
    write_stderr(to_text_line(finding, clock_) + "\n");
}

void TerminalLog::tick(std::uint64_t now_boot_ns, const MonitorCounters& counters,
                       std::size_t tracked_processes) {
    if (last_ns_ == 0) {  // the first turn starts the first period
        last_ns_ = now_boot_ns;
        last_events_ = counters.events;
        last_lost_ = counters.lost_total();
        return;
    }
    if (now_boot_ns - last_ns_ < period_ns_) return;
    double seconds = static_cast<double>(now_boot_ns - last_ns_) / 1e9;
    std::uint64_t lost = counters.lost_total();
    say("hupwatch: {:.0f} events/s, {} processes tracked, {} lost in the kernel ({} in all)",
        static_cast<double>(counters.events - last_events_) / seconds, tracked_processes,
        lost - last_lost_, lost);
    last_ns_ = now_boot_ns;
    last_events_ = counters.events;
    last_lost_ = lost;
}

}  // namespace hupwatch
