// `hupwatch why PID`, the model: one process's record from the store, built
// from decoded events and findings, and rendered by why_render.h as text or
// as one JSON object (docs/cli.md). A reused pid lists every holder and
// picks one: the one alive at `at`, else the latest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event_store_reader.h"
#include "process_table.h"

namespace hupwatch {

// A stored row with its decoded form: the text renders the type, the JSON
// prints the stored line as it is.
template <typename T>
struct Told {
    std::int64_t wall_ns = 0;
    T fact;
    std::string json;
};

struct LineageStep {
    ProcessRef process;
    bool recorded = true;  // false: the store has no record of this parent
    bool session_leader = false;
};

struct OtherHolder {
    ProcessRef process;
    std::int64_t start_wall_ns = 0;
    std::optional<std::int64_t> exit_wall_ns;
};

struct WhyReport {
    ProcessEntry process;  // as the table left it; argv inherited when it never exec'd
    std::int64_t start_wall_ns = 0;
    std::uint32_t start_ppid = 0;  // the parent it started with
    std::optional<std::uint64_t> start_parent_start_ns;
    std::uint32_t tty_dev = 0;         // the terminal it ran on, kept after a hangup
    std::int64_t recorded_until = 0;   // the store's last word, for "alive"
    std::vector<LineageStep> lineage;  // parent first
    std::vector<Told<Event>> signals;
    std::vector<Told<ReparentEvent>> reparents;
    std::optional<Told<Event>> exit;
    // No exit recorded, yet gone by this wall time: its pid was reused, or
    // the scan of a later run lacked it (ProcessEntry::exit_lost).
    std::optional<std::int64_t> gone_by_wall_ns;
    std::vector<Told<Verdict>> verdicts;
    std::optional<Told<DisconnectFinding>> disconnect;
    bool output_lost = false;
    std::uint64_t eio_writes = 0;
    std::vector<int> dead_fds;  // from a verdict: fds on the hung-up terminal
    std::vector<OtherHolder> others;
};

// nullopt when the store has no process with pid. Throws StoreError.
std::optional<WhyReport> build_why_report(EventStoreReader& store, std::uint32_t pid,
                                          std::optional<std::int64_t> at);

}  // namespace hupwatch
