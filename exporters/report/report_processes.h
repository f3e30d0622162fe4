// The processes of a report's window, built from its decoded events: who
// they are, their lineage, their life within the window, and what happened
// to them (signals, reparenting, lost output, verdicts).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report_input.h"

namespace hupwatch {

// A process is (pid, start time), never the pid alone.
struct ProcessKey {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;  // boot ns

    auto operator<=>(const ProcessKey&) const = default;
};

struct ReceivedSignal {
    std::int64_t wall_ns = 0;
    const SignalEvent* event = nullptr;
};

struct ProcessLife {
    ProcessKey key;
    std::uint32_t ppid = 0;  // the parent it was born to (or first seen under)
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::uint32_t pgid = 0;
    std::uint32_t tty_dev = 0;
    std::string comm;
    std::vector<std::string> argv;  // as stored: already redacted
    std::int64_t clock_offset_ns = 0;
    std::int64_t start_wall_ns = 0;  // from start_ns: exact even when born before the window
    std::optional<std::int64_t> end_wall_ns;
    std::int32_t raw_status = 0;  // with end_wall_ns
    std::optional<std::int64_t> reparent_wall_ns;
    std::uint32_t new_parent_pid = 0;
    std::optional<ProcessKey> new_parent;
    ReaperKind reaper = ReaperKind::Init;
    std::optional<std::int64_t> output_lost_wall_ns;  // the first failed write
    bool own_session = false;                         // it called setsid()
    std::vector<ReceivedSignal> signals;
    std::vector<const TimedFinding*> verdicts;
    std::vector<const TimedEvent*> events;  // every event about it, in time order
};

// Processes by identity; a pid's lifes are found by pid through
// ProcessHistory::find.
class ProcessHistory {
   public:
    // input must outlive the history (it keeps pointers into it).
    explicit ProcessHistory(const ReportInput& input);

    const std::map<ProcessKey, ProcessLife>& processes() const { return processes_; }
    const ProcessLife* find(const ProcessKey& key) const;
    // The process that had `pid` at wall_ns (the latest started before it).
    const ProcessLife* find_at(std::uint32_t pid, std::int64_t wall_ns) const;
    // Its parent as born (nullptr: outside the record).
    const ProcessLife* parent_of(const ProcessLife& p) const;

   private:
    ProcessLife& life_of(const ProcessInfo& info, const TimedEvent& at);
    void apply(const TimedEvent& timed);
    void attach_verdict(const TimedFinding& timed);

    std::map<ProcessKey, ProcessLife> processes_;
    std::multimap<std::uint32_t, ProcessKey> by_pid_;
};

}  // namespace hupwatch
