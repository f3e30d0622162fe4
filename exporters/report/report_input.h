// What a report is drawn from: the stored events and findings of a window,
// decoded into the types the live path uses (json_decoder.h), the processes
// they tell of folded by the history stage's StoredProcesses (track's
// process table, as why and tree --at read them), with the runs' host and
// the stretches of time nothing was recorded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "events.h"
#include "findings.h"
#include "stored_processes.h"

namespace hupwatch {

struct TimedEvent {
    std::int64_t wall_ns = 0;
    std::int64_t clock_offset_ns = 0;  // wall - boot of its run: maps ktime and start_ns
    Event event;
};

struct TimedFinding {
    std::int64_t wall_ns = 0;
    std::int64_t clock_offset_ns = 0;
    Finding finding;
};

struct RecordedRun {
    std::int64_t started_wall_ns = 0;
    // The end of what it recorded: its clean stop, its last write after an
    // unclean one, or open (INT64_MAX) while it may still run: the newest
    // run with no clean stop (the page closes it at last_wall_ns once that
    // is older than a running daemon's refresh allows).
    std::int64_t covered_until_wall_ns = INT64_MAX;
    std::string hostname;
    std::int64_t last_wall_ns = 0;  // its last write
};

// The terminal a process ran on in its session: the last one seen while it
// had its present session id. A hangup clears the tty of the session's
// processes, and setsid() leaves the parent's terminal behind, so neither
// the latest sighting nor any earlier one alone tells it.
struct SessionTerminal {
    std::uint32_t sid = 0;
    std::uint32_t tty_dev = 0;
};

struct ReportInput {
    std::int64_t since_wall_ns = INT64_MIN;  // the window asked for; open ends
    std::int64_t until_wall_ns = INT64_MAX;  // are closed on the data (page model)
    std::vector<RecordedRun> runs;
    std::vector<TimedEvent> events;  // in time order
    std::vector<TimedFinding> findings;
    // The processes alive at the window's start (the covering run's seeds
    // and its events before the window, as tree --at reads them), those the
    // seeds of a run starting in the window found, the window's events in
    // order, then the processes its verdicts name that no event of the
    // window told of: identity, lineage, command line, start and end, one
    // fold for report, why and tree.
    StoredProcesses processes;
    // By (pid, start_ns) as seeds and events named them.
    std::map<std::pair<std::uint32_t, std::uint64_t>, SessionTerminal> terminals;
    std::uint64_t undecodable = 0;  // stored lines that did not decode: counted, skipped
    std::string first_undecodable;
};

// Every event and finding of the window, through decode_stored (the one
// read path). Throws StoreError as the reader does.
ReportInput read_report_input(EventStoreReader& store, std::int64_t since_wall_ns,
                              std::int64_t until_wall_ns);

}  // namespace hupwatch
