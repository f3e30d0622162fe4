// Processes as the store knows them, folded by the live path's own process
// table (track/process_table.h): /proc seeds, then the decoded events in the
// order they were recorded. tree --at and why read processes through it, so
// a stored process has the same identity, parent, command line (a subshell
// inherits its parent's, as ps shows it) and end as it had live.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "event_store_reader.h"
#include "findings.h"
#include "process_table.h"

namespace hupwatch {

class StoredProcesses {
   public:
    StoredProcesses();

    // A seed of the run whose clock is clock_offset_ns (wall - boot).
    void add_seed(const StoredSeed& seed, std::int64_t clock_offset_ns);
    // A run's whole /proc scan, before its seeds are added: a process the
    // fold has alive, started before the run, that the scan lacks ended
    // while nothing recorded (the daemon crashed, stopped or the host
    // rebooted). Its exit is lost; it was gone by the run's start.
    void end_missing_from(const std::vector<StoredSeed>& scan, std::int64_t run_started_wall_ns);
    // A stored event; false (error set) for a row that does not decode.
    bool add_event(const StoredEvent& row, std::string& error);
    // The same, already decoded: the row gives the run's clock.
    void add_event(const StoredEvent& row, const Event& event);
    // A process a verdict names that no seed or event of the read told of
    // (its events fall outside a window): known as the verdict tells it.
    // A process already known keeps what its events said.
    void add_named(const Verdict& verdict, std::int64_t clock_offset_ns);

    const ProcessTable& table() const { return table_; }
    // Wall time of a boot time of this process's run.
    std::int64_t wall_of(const ProcessEntry& p, std::uint64_t boot_ns) const;
    std::int64_t start_wall(const ProcessEntry& p) const { return wall_of(p, p.info.start_ns); }
    std::optional<std::int64_t> exit_wall(const ProcessEntry& p) const;
    bool alive_at(const ProcessEntry& p, std::int64_t wall_ns) const;

   private:
    std::int64_t offset_of(std::uint32_t pid) const;

    ProcessTable table_;
    // A pid's run clock, as last seen: enough, since the wall times only
    // print (identity stays (pid, start_ns)).
    std::map<std::uint32_t, std::int64_t> clock_offsets_;
};

// The identity an event or finding names: the same process when the pid is
// and the start is equal, or within /proc's tick of a seeded start.
bool same_process(const ProcessEntry& p, std::uint32_t pid, std::uint64_t start_ns);

}  // namespace hupwatch
