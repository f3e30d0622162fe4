// Local times, ticks and gaps of the report.
#include "report_time.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

namespace hupwatch {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1000 * kMs;

std::tm local_tm(std::int64_t wall_ns) {
    std::time_t t = static_cast<std::time_t>(wall_ns / kSecond - (wall_ns % kSecond < 0 ? 1 : 0));
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

std::int64_t gmtoff_ns(std::int64_t wall_ns) {
    return static_cast<std::int64_t>(local_tm(wall_ns).tm_gmtoff) * kSecond;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && (a < 0));
}

}  // namespace

std::string utc_offset_label(std::int64_t wall_ns) {
    long off = local_tm(wall_ns).tm_gmtoff;
    const char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    return fmt::format("UTC{}{:02}:{:02}", sign, off / 3600, (off % 3600) / 60);
}

std::string local_date_time(std::int64_t wall_ns, bool with_ms) {
    std::tm tm = local_tm(wall_ns);
    return fmt::format("{:04}-{:02}-{:02} {}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       local_clock(wall_ns, with_ms));
}

std::string local_clock(std::int64_t wall_ns, bool with_ms) {
    std::tm tm = local_tm(wall_ns);
    std::string out = fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (with_ms) out += fmt::format(".{:03}", (wall_ns % kSecond + kSecond) % kSecond / kMs);
    return out;
}

namespace {

constexpr std::int64_t kDay = 24 * 3600 * kSecond;

// A tick's label: the clock within a day, with the date once the window
// spans days, the date alone once ticks are days apart.
std::string tick_label(std::int64_t t, std::int64_t step, std::int64_t span) {
    if (step < kSecond) return local_clock(t, true);
    if (span < kDay) return local_clock(t);
    const std::string date = local_date_time(t).substr(0, 10);
    if (step >= kDay) return date;
    return date.substr(5) + " " + local_clock(t).substr(0, 5);
}

}  // namespace

std::vector<TimeTick> time_ticks(std::int64_t since_wall_ns, std::int64_t until_wall_ns,
                                 std::size_t max_ticks) {
    static constexpr std::array<std::int64_t, 39> kSteps = {kMs,
                                                            2 * kMs,
                                                            5 * kMs,
                                                            10 * kMs,
                                                            20 * kMs,
                                                            50 * kMs,
                                                            100 * kMs,
                                                            200 * kMs,
                                                            500 * kMs,
                                                            kSecond,
                                                            2 * kSecond,
                                                            5 * kSecond,
                                                            10 * kSecond,
                                                            15 * kSecond,
                                                            30 * kSecond,
                                                            60 * kSecond,
                                                            120 * kSecond,
                                                            300 * kSecond,
                                                            600 * kSecond,
                                                            900 * kSecond,
                                                            1800 * kSecond,
                                                            3600 * kSecond,
                                                            3 * 3600 * kSecond,
                                                            6 * 3600 * kSecond,
                                                            12 * 3600 * kSecond,
                                                            kDay,
                                                            2 * kDay,
                                                            7 * kDay,
                                                            14 * kDay,
                                                            30 * kDay,
                                                            91 * kDay,
                                                            182 * kDay,
                                                            365 * kDay,
                                                            730 * kDay,
                                                            1826 * kDay,
                                                            3652 * kDay,
                                                            7305 * kDay,
                                                            18262 * kDay,
                                                            36524 * kDay};
    std::vector<TimeTick> ticks;
    if (until_wall_ns <= since_wall_ns || max_ticks < 2) return ticks;
    const std::int64_t span = until_wall_ns - since_wall_ns;
    std::int64_t step = kSteps.back();
    for (std::int64_t s : kSteps)
        if (span / s < static_cast<std::int64_t>(max_ticks)) {
            step = s;
            break;
        }
    // Round in local time: a 1 h step falls on the hour of the local zone.
    const std::int64_t off = gmtoff_ns(since_wall_ns);
    std::int64_t t = (floor_div(since_wall_ns + off, step) + 1) * step - off;
    if (t - step >= since_wall_ns) t -= step;
    for (; t <= until_wall_ns && ticks.size() < max_ticks; t += step)
        ticks.push_back({t, tick_label(t, step, span)});
    return ticks;
}

std::vector<RecordGap> record_gaps(const std::vector<RecordedRun>& runs, std::int64_t since_wall_ns,
                                   std::int64_t until_wall_ns) {
    std::vector<std::pair<std::int64_t, std::int64_t>> covered;
    for (const auto& r : runs) covered.emplace_back(r.started_wall_ns, r.covered_until_wall_ns);
    std::sort(covered.begin(), covered.end());
    std::vector<RecordGap> gaps;
    std::int64_t cursor = since_wall_ns;
    for (const auto& [from, to] : covered) {
        if (from > cursor) gaps.push_back({cursor, std::min(from, until_wall_ns)});
        cursor = std::max(cursor, to);
        if (cursor >= until_wall_ns) break;
    }
    if (cursor < until_wall_ns) gaps.push_back({cursor, until_wall_ns});
    std::erase_if(gaps, [](const RecordGap& g) { return g.to_wall_ns <= g.from_wall_ns; });
    return gaps;
}

}  // namespace hupwatch
