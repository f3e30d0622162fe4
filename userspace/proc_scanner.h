// Snapshot of the processes already running, read from /proc, so the process
// table knows the processes that started before the BPF probes were attached.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events.h"

namespace hupwatch {

// One process as /proc showed it. info.tid == info.pid; info.cgroup_id is 0
// (/proc has no cheap way to the cgroup v2 id; the first event fills it in).
struct ProcSnapshot {
    ProcessInfo info;
    std::vector<std::string> argv;  // empty for kernel threads
    std::string exe;                // /proc/PID/exe target; empty when not readable
    // /proc gives the start in clock ticks, floored (nsec_to_clock_t), so the
    // precise start_boottime lies in [info.start_ns, info.start_ns + start_tick_ns).
    std::uint64_t start_tick_ns = 0;
};

// The fields of /proc/PID/stat we use.
struct ProcStat {
    std::uint32_t pid = 0;
    std::string comm;
    std::uint32_t ppid = 0;
    std::uint32_t pgrp = 0;
    std::uint32_t session = 0;
    std::uint32_t tty_nr = 0;  // as the kernel prints it: new_encode_dev()
    std::uint64_t starttime_ticks = 0;
};

// nullopt when the line is cut short or a field does not parse.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// /proc's tty_nr (new_encode_dev) to our dev_t encoding (major << 20 | minor).
std::uint32_t tty_nr_to_dev(std::uint32_t tty_nr);

class ProcScanner {
public:
    struct Counters {
        std::uint64_t scans = 0;
        std::uint64_t vanished = 0;    // exited between readdir and read: a race, not an error
        std::uint64_t malformed = 0;   // stat or status that did not parse
        std::uint64_t unreadable = 0;  // stat that failed to open for another reason
    };

    // ticks_per_second 0: sysconf(_SC_CLK_TCK), what the kernel's USER_HZ is.
    explicit ProcScanner(std::filesystem::path root = "/proc", long ticks_per_second = 0);

    // Every numeric directory under root; others are ignored.
    std::vector<ProcSnapshot> scan();

    const Counters& counters() const { return counters_; }
    std::uint64_t tick_ns() const { return tick_ns_; }

private:
    enum class Outcome { Ok, Vanished, Malformed, Unreadable };
    Outcome read_process(const std::filesystem::path& dir, std::uint32_t pid, ProcSnapshot& out);

    std::filesystem::path root_;
    std::uint64_t tick_ns_;
    Counters counters_;
};

}  // namespace hupwatch
