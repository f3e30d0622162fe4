// output_lost events arrive once a second per process for as long as it keeps
// writing to its hung-up terminal (the BPF side's rate limit). A reader wants
// one line per job: its first failed write, and at its end how many failed.
// The rate is the metrics' business (hupwatch_output_lost_writes_total).
// Pure: events in, decisions out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "events.h"

namespace hupwatch {

class OutputLostDigest {
   public:
    // Processes followed at once; beyond it the oldest-started is forgotten
    // (its exit was lost), as the kernel side's LRU map of 4096 does.
    static constexpr std::size_t kMaxProcesses = 4096;

    // An output_lost event: true for the process's first report, to be
    // shown; false for a repeat, kept as its running count.
    bool admit(const Event& event);
    // The process exited: its latest swallowed report (eio_writes is then the
    // total), or nullopt when nothing was swallowed since the first.
    std::optional<Event> on_exit(std::uint32_t pid, std::uint64_t start_ns);
    // Repeats not shown, in all.
    std::uint64_t repeats() const { return repeats_; }

   private:
    using Key = std::pair<std::uint64_t, std::uint32_t>;  // (start_ns, pid): oldest first
    std::map<Key, std::optional<Event>> swallowed_;
    std::uint64_t repeats_ = 0;
};

}  // namespace hupwatch
