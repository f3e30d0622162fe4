#include "monitor_counters.h"

#include <fmt/format.h>

namespace hupwatch {

ProcScanCounters& ProcScanCounters::operator+=(const ProcScanCounters& other) {
    scans += other.scans;
    vanished += other.vanished;
    malformed += other.malformed;
    unreadable += other.unreadable;
    return *this;
}

void ProcSidCounters::add_received(const ProcSidCounters& listener) {
    messages += listener.messages;
    overflows += listener.overflows;
    malformed += listener.malformed;
    other_events += listener.other_events;
}

std::uint64_t events_lost(const BpfStats& stats) {
    std::uint64_t total = 0;
    for (int type = HW_EV_FORK; type < HW_EV_TYPE_MAX; ++type) total += stats[type];
    return total;
}

std::uint64_t MonitorCounters::lost_total() const {
    return events_lost(kernel);
}

std::string MonitorCounters::summary() const {
    std::string lost;
    for (int type = HW_EV_FORK; type < HW_EV_TYPE_MAX; ++type) {
        if (kernel[type] == 0) continue;
        lost +=
            fmt::format(" {}={}", event_type_name(static_cast<EventType>(type - 1)), kernel[type]);
    }
    return fmt::format("{} events and {} findings; {} lost in the kernel{}{}; {} malformed", events,
                       findings, lost_total(), lost.empty() ? "" : ":", lost, malformed);
}

}  // namespace hupwatch
