#include "wall_stamp.h"

#include <fmt/format.h>

#include <ctime>

#include "boot_clock.h"

namespace hupwatch {

std::string local_stamp(std::int64_t wall_ns, std::int64_t now_wall_ns) {
    auto split = [](std::int64_t ns) {
        std::time_t s = static_cast<std::time_t>(ns / 1'000'000'000);
        std::tm tm{};
        localtime_r(&s, &tm);
        return tm;
    };
    std::tm at = split(wall_ns);
    std::tm now = split(now_wall_ns);
    if (at.tm_year == now.tm_year && at.tm_yday == now.tm_yday)
        return fmt::format("{:02}:{:02}:{:02}", at.tm_hour, at.tm_min, at.tm_sec);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", at.tm_year + 1900, at.tm_mon + 1,
                       at.tm_mday, at.tm_hour, at.tm_min, at.tm_sec);
}

std::string local_stamp_ms(std::int64_t wall_ns, std::int64_t now_wall_ns) {
    std::int64_t ms = wall_ns / 1'000'000 % 1000;
    if (ms < 0) ms += 1000;
    return fmt::format("{}.{:03}", local_stamp(wall_ns, now_wall_ns), ms);
}

std::string rfc3339_wall(std::int64_t wall_ns) {
    return BootClock(0).rfc3339(static_cast<std::uint64_t>(wall_ns));
}

}  // namespace hupwatch
