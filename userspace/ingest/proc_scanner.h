// Snapshot of the processes already running, read from /proc, so the process
// table knows the processes that started before the BPF probes were attached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor_counters.h"
#include "proc_text.h"

namespace hupwatch {

class ProcScanner {
   public:
    using Counters = ProcScanCounters;  // monitor_counters.h: exported as metrics

    // ticks_per_second 0: sysconf(_SC_CLK_TCK), what the kernel's USER_HZ is.
    explicit ProcScanner(std::filesystem::path root = "/proc", long ticks_per_second = 0);

    // Every numeric directory under root; others are ignored.
    std::vector<ProcSnapshot> scan();

    const Counters& counters() const { return counters_; }
    std::uint64_t tick_ns() const { return tick_ns_; }
    // Of the last scan: whether the listing ran to its end and listed pid 1
    // (else it is not every process: hidepid), and the pids it listed but
    // could not read (malformed, unreadable): present, unknown.
    bool complete() const { return complete_; }
    const std::vector<std::uint32_t>& unread() const { return unread_; }

   private:
    enum class Outcome { Ok, Vanished, Malformed, Unreadable };
    Outcome read_process(const std::filesystem::path& dir, std::uint32_t pid, ProcSnapshot& out);

    std::filesystem::path root_;
    std::uint64_t tick_ns_;
    Counters counters_;
    bool complete_ = false;
    std::vector<std::uint32_t> unread_;
};

}  // namespace hupwatch
