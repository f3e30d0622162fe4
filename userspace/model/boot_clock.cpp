#include "boot_clock.h"

#include <fmt/format.h>

#include <ctime>
#include <iterator>

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

std::uint64_t boot_now_ns() {
    return static_cast<std::uint64_t>(read_ns(CLOCK_BOOTTIME));
}

std::int64_t wall_now_ns() {
    return read_ns(CLOCK_REALTIME);
}

BootClock::BootClock() : offset_ns_(measure_offset()) {}

BootClock::BootClock(std::int64_t realtime_minus_boottime_ns)
    : offset_ns_(realtime_minus_boottime_ns) {}

std::int64_t BootClock::wall_ns(std::uint64_t boot_ns) const {
    // A boot time read from outside (a stored or fuzzed line) may be near
    // 2^63: the wall time saturates instead of overflowing (UBSan found it).
    if (boot_ns > static_cast<std::uint64_t>(INT64_MAX)) boot_ns = INT64_MAX;
    std::int64_t wall = 0;
    if (__builtin_add_overflow(static_cast<std::int64_t>(boot_ns), offset_ns_, &wall))
        return offset_ns_ > 0 ? INT64_MAX : INT64_MIN;
    return wall;
}

// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), by
// Howard Hinnant's civil_from_days: plain arithmetic, where gmtime_r would
// take glibc's time-zone lock once per event.
struct CivilDate {
    std::int64_t year;
    unsigned month, day;
};

static CivilDate civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
    return {year, month, day};
}

void BootClock::append_rfc3339(std::string& out, std::uint64_t boot_ns) const {
    const SplitTime t = split(wall_ns(boot_ns));
    std::int64_t days = t.seconds / 86400;
    std::int64_t second_of_day = t.seconds % 86400;
    if (second_of_day < 0) {
        second_of_day += 86400;
        --days;
    }
    const CivilDate date = civil_from_days(days);
    if (date.year < 0 || date.year > 9999) {
        // Out of RFC 3339's range: only a corrupt timestamp gets here.
        fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T", date.year, date.month,
                       date.day);
    } else {
        const auto year = static_cast<unsigned>(date.year);
        const char head[] = {char('0' + year / 1000),
                             char('0' + year / 100 % 10),
                             char('0' + year / 10 % 10),
                             char('0' + year % 10),
                             '-',
                             char('0' + date.month / 10),
                             char('0' + date.month % 10),
                             '-',
                             char('0' + date.day / 10),
                             char('0' + date.day % 10),
                             'T'};
        out.append(head, sizeof head);
    }
    const auto sod = static_cast<unsigned>(second_of_day);
    const auto hour = sod / 3600, minute = sod / 60 % 60, second = sod % 60;
    const auto micros = static_cast<unsigned>(t.nanos / 1000);
    const char tail[] = {char('0' + hour / 10),
                         char('0' + hour % 10),
                         ':',
                         char('0' + minute / 10),
                         char('0' + minute % 10),
                         ':',
                         char('0' + second / 10),
                         char('0' + second % 10),
                         '.',
                         char('0' + micros / 100000),
                         char('0' + micros / 10000 % 10),
                         char('0' + micros / 1000 % 10),
                         char('0' + micros / 100 % 10),
                         char('0' + micros / 10 % 10),
                         char('0' + micros % 10),
                         'Z'};
    out.append(tail, sizeof tail);
}

// The inverse of civil_from_days (Howard Hinnant's days_from_civil).
static std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto yoe = static_cast<unsigned>(year - era * 400);
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::uint64_t> BootClock::boot_ns_of(std::string_view text) const {
    // Exactly the form append_rfc3339 writes: 27 characters.
    static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    if (text.size() != kShape.size()) return std::nullopt;
    for (std::size_t i = 0; i < kShape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t len) {
        std::int64_t n = 0;
        for (std::size_t i = at; i < at + len; ++i) n = n * 10 + (text[i] - '0');
        return n;
    };
    const auto month = static_cast<unsigned>(number(5, 2));
    const auto day = static_cast<unsigned>(number(8, 2));
    const std::int64_t hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    const std::int64_t days = days_from_civil(number(0, 4), month, day);
    const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
    // After 2262 the nanoseconds no longer fit an int64 (json_roundtrip_fuzz
    // found it): no such time was written by hupwatch.
    std::int64_t wall = 0;
    if (__builtin_mul_overflow(seconds, kNsPerSec, &wall) ||
        __builtin_add_overflow(wall, number(20, 6) * 1000, &wall))
        return std::nullopt;
    if (wall < offset_ns_) return std::nullopt;
    return static_cast<std::uint64_t>(wall - offset_ns_);
}

std::string BootClock::rfc3339(std::uint64_t boot_ns) const {
    std::string out;
    append_rfc3339(out, boot_ns);
    return out;
}

std::string BootClock::local_time_of_day(std::uint64_t boot_ns) const {
    const SplitTime t = split(wall_ns(boot_ns));
    std::tm tm{};
    localtime_r(&t.seconds, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       t.nanos / 1'000'000);
}

}  // namespace hupwatch
