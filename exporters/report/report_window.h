// The processes of a report's window. Who they are (identity, lineage,
// command line, start and end) is the history stage's fold of the stored
// events (StoredProcesses: track's process table, as why and tree --at read
// them); what the window saw happen to each (signals, reparenting, lost
// output, setsid, verdicts) is marked on it here, for the lanes to draw.
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
    const ProcessEntry* entry = nullptr;  // the table's: latest name, session, argv, end
    ProcessKey key;
    const ProcessLife* parent = nullptr;  // the parent it was born to, nullptr: unrecorded
    std::int64_t start_wall_ns = 0;       // exact even when born before the window
    std::optional<std::int64_t> end_wall_ns;
    std::uint32_t tty_dev = 0;  // the terminal it ran on in its session (SessionTerminal)
    std::optional<std::int64_t> reparent_wall_ns;
    std::uint32_t new_parent_pid = 0;
    const ProcessLife* new_parent = nullptr;
    ReaperKind reaper = ReaperKind::Init;
    // From the hangup a verdict found it lost to, or its first failed write.
    std::optional<std::int64_t> output_lost_wall_ns;
    bool own_session = false;  // it called setsid()
    std::vector<ReceivedSignal> signals;
    std::vector<const TimedFinding*> verdicts;
    std::vector<const TimedEvent*> events;  // every event about it, in time order

    const ProcessInfo& info() const { return entry->info; }
    const std::string& comm() const { return entry->info.comm; }
    std::uint32_t sid() const { return entry->info.sid; }
};

// The window's processes by identity.
class WindowProcesses {
   public:
    // input must outlive this (it keeps pointers into it).
    explicit WindowProcesses(const ReportInput& input);
    WindowProcesses(const WindowProcesses&) = delete;
    WindowProcesses& operator=(const WindowProcesses&) = delete;

    const std::map<ProcessKey, ProcessLife>& processes() const { return processes_; }
    // The process an event or finding names by (pid, start), as the table
    // finds it (a seeded start within its /proc tick); nullptr: unrecorded.
    const ProcessLife* find(std::uint32_t pid, std::uint64_t start_ns) const;

   private:
    ProcessLife* life_of(std::uint32_t pid, std::uint64_t start_ns);
    void mark(const TimedEvent& timed);
    static void mark_output_lost(ProcessLife& p, const Verdict& v, std::int64_t clock_offset_ns);
    void link_parents();

    const StoredProcesses& stored_;
    std::map<ProcessKey, ProcessLife> processes_;
    // The first reparenting of each orphan: it names the parent it was born
    // to, which the table has replaced with the new one.
    std::map<ProcessKey, const ReparentEvent*> orphaned_from_;
};

}  // namespace hupwatch
