// The text of /proc's per-process files, parsed once for every reader: the
// /proc seed, `hupwatch ps`, the live host probe. Pure: strings in, fields
// out, so the parsers are tested without a /proc.
#pragma once

#include <charconv>
#include <cstdint>
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

// The real uid: the first of the four ids on the "Uid:" line of
// /proc/PID/status. nullopt when absent or cut short.
std::optional<std::uint32_t> parse_status_uid(std::string_view status);

// A whole decimal number, nothing before or after it.
template <typename T>
std::optional<T> parse_decimal(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Without leading and trailing blanks (space, tab, newline).
std::string_view trim_blanks(std::string_view s);

}  // namespace hupwatch
