#include "boot_clock.h"

#include <fmt/format.h>

#include <ctime>

namespace hupwatch {
namespace {

constexpr std::int64_t kNsPerSec = 1'000'000'000;

std::int64_t read_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

// Bracket a BOOTTIME read between two REALTIME reads and keep the tightest
// bracket: a preemption between the reads would otherwise skew the offset.
std::int64_t measure_offset() {
    constexpr int kSamples = 5;
    std::int64_t best_gap = INT64_MAX;
    std::int64_t best_offset = 0;
    for (int i = 0; i < kSamples; ++i) {
        const std::int64_t before = read_ns(CLOCK_REALTIME);
        const std::int64_t boot = read_ns(CLOCK_BOOTTIME);
        const std::int64_t after = read_ns(CLOCK_REALTIME);
        const std::int64_t gap = after - before;
        if (gap >= 0 && gap < best_gap) {
            best_gap = gap;
            best_offset = before + gap / 2 - boot;
        }
    }
    return best_offset;
}

struct SplitTime {
    std::time_t seconds;
    std::int64_t nanos;  // 0 .. 1e9-1, also before the epoch
};

SplitTime split(std::int64_t wall_ns) {
    std::int64_t seconds = wall_ns / kNsPerSec;
    std::int64_t nanos = wall_ns % kNsPerSec;
    if (nanos < 0) {
        nanos += kNsPerSec;
        --seconds;
    }
    return {static_cast<std::time_t>(seconds), nanos};
}

}  // namespace

BootClock::BootClock() : offset_ns_(measure_offset()) {}

BootClock::BootClock(std::int64_t realtime_minus_boottime_ns)
    : offset_ns_(realtime_minus_boottime_ns) {}

std::int64_t BootClock::wall_ns(std::uint64_t boot_ns) const {
    return static_cast<std::int64_t>(boot_ns) + offset_ns_;
}

std::string BootClock::rfc3339(std::uint64_t boot_ns) const {
    const SplitTime t = split(wall_ns(boot_ns));
    std::tm tm{};
    gmtime_r(&t.seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t.nanos / 1000);
}

std::string BootClock::local_time_of_day(std::uint64_t boot_ns) const {
    const SplitTime t = split(wall_ns(boot_ns));
    std::tm tm{};
    localtime_r(&t.seconds, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       t.nanos / 1'000'000);
}

}  // namespace hupwatch
