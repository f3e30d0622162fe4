// Event times and process start times are CLOCK_BOOTTIME ns (the clock of
// task->start_boottime and bpf_ktime_get_boot_ns). BootClock maps them to wall
// time for output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hupwatch {

// CLOCK_BOOTTIME now, in ns: the clock of event times and process starts.
std::uint64_t boot_now_ns();
// Wall ns now (CLOCK_REALTIME).
std::int64_t wall_now_ns();

class BootClock {
   public:
    // Measures CLOCK_REALTIME - CLOCK_BOOTTIME now. The offset is fixed from
    // then on: a later step of the wall clock (settimeofday, NTP step) is not
    // followed, so all events of one run stay mutually ordered.
    BootClock();
    // Explicit offset, for tests and for replaying a stored run.
    explicit BootClock(std::int64_t realtime_minus_boottime_ns);

    std::int64_t offset_ns() const { return offset_ns_; }
    // ns since the Unix epoch.
    std::int64_t wall_ns(std::uint64_t boot_ns) const;
    // "2026-11-28T08:21:24.123456Z": UTC, microseconds.
    std::string rfc3339(std::uint64_t boot_ns) const;
    // The same, appended to `out` (the JSON encoders' hot path).
    void append_rfc3339(std::string& out, std::uint64_t boot_ns) const;
    // The inverse of rfc3339() (the JSON decoder): boot ns of
    // "YYYY-MM-DDTHH:MM:SS.ffffffZ", to the microsecond. nullopt for any other
    // form, or a time before boot.
    std::optional<std::uint64_t> boot_ns_of(std::string_view rfc3339) const;
    // "08:21:24.123" in the local time zone (TZ), for human-readable lines.
    std::string local_time_of_day(std::uint64_t boot_ns) const;

   private:
    std::int64_t offset_ns_;
};

}  // namespace hupwatch
