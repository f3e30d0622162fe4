// Processes rebuilt from stored events and seeds: when each started, what it
// ran, who its parent was at any time, when and how it ended. Pure folding,
// shared by `tree --at` and `why`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "event_store_reader.h"

namespace hupwatch {

struct StoredReparent {
    std::int64_t wall_ns = 0;
    std::uint32_t new_ppid = 0;
    std::uint64_t new_parent_start_ns = 0;
    std::string reaper;
};

struct StoredProcess {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
    std::int64_t start_wall_ns = 0;
    bool seeded = false;  // known from a run's /proc seed, not from its fork
    std::uint64_t start_tick_ns = 0;
    std::uint32_t ppid = 0;  // the parent it started with
    std::optional<std::uint64_t> parent_start_ns;
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::string tty;
    std::string comm;
    std::vector<std::string> argv;
    std::optional<std::int64_t> exit_wall_ns;
    std::optional<StoredEvent> exit;
    std::vector<StoredReparent> reparents;  // in time order

    // Whether an event's start_ns is this process: equal, or within the
    // tick of /proc's start time for a seeded process.
    bool has_start(std::uint64_t event_start_ns) const {
        return start_ns == event_start_ns ||
               (seeded && event_start_ns >= start_ns && event_start_ns < start_ns + start_tick_ns);
    }
    bool alive_at(std::int64_t wall_ns) const {
        return start_wall_ns <= wall_ns && (!exit_wall_ns || *exit_wall_ns > wall_ns);
    }
    // The parent as of wall_ns: the start parent, then each reparent before it.
    std::uint32_t ppid_at(std::int64_t wall_ns) const;
};

// Folds seeds and events (in time order) into processes. A seed's start has
// /proc's tick precision; an event within that tick is the same process.
class ProcessHistory {
   public:
    void add_seed(const StoredSeed& seed, std::int64_t clock_offset_ns);
    void add_event(const StoredEvent& event);
    std::vector<StoredProcess> processes() const;

   private:
    StoredProcess* locate(std::uint32_t pid, std::uint64_t start_ns);
    std::map<std::uint32_t, std::vector<StoredProcess>> by_pid_;
};

}  // namespace hupwatch
