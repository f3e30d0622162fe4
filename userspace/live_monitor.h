// The live event path: BPF collector -> ring reader -> process table -> the
// caller's handler. One thread owns it; nothing here is shared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bpf_collector.h"
#include "events.h"
#include "process_table.h"
#include "ring_reader.h"

namespace hupwatch {

struct MonitorCounters {
    std::uint64_t events = 0;            // decoded and handled
    std::uint64_t events_by_type[kEventTypeCount] = {};  // indexed by EventType
    std::uint64_t malformed = 0;         // records that failed decoding
    BpfStats kernel{};                   // the BPF stats map (losses per type, ...)
    std::uint64_t lost_total() const;
};

class LiveMonitor {
public:
    using EventHandler = std::function<void(const Event&, const ProcessTable&)>;

    // Attaches, then seeds the process table from proc_root, so that no
    // process falls in a gap between the /proc scan and the first event.
    static std::unique_ptr<LiveMonitor> start(const CollectorOptions& options,
                                              const std::string& proc_root, EventHandler handler,
                                              CollectorError& error);

    // Handles every ready event, waiting up to timeout_ms. -EINTR on a signal.
    int poll(int timeout_ms);
    MonitorCounters counters() const;
    const ProcessTable& table() const { return table_; }
    std::size_t seeded() const { return seeded_; }

private:
    LiveMonitor(std::unique_ptr<BpfCollector> collector, EventHandler handler);
    void on_event(const Event& event);

    std::unique_ptr<BpfCollector> collector_;
    EventHandler handler_;
    ProcessTable table_;
    std::unique_ptr<RingReader> reader_;
    MonitorCounters counters_;
    std::size_t seeded_ = 0;
    std::uint64_t last_eviction_ns_ = 0;
};

}  // namespace hupwatch
