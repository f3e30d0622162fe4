// Time arguments of the store's readers (--since, --until, --at) and the
// daemon's --retention, parsed against an explicit "now" so tests are exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "boot_clock.h"  // wall_now_ns()

namespace hupwatch {

// The forms parse_time_arg takes, for help texts and its error message.
inline constexpr const char* kTimeForms =
    "RFC 3339 like 2026-11-28T14:03:07Z, HH:MM[:SS] for today, -15m, -2h, -1d, -30s or now";

// Wall time in ns since the Unix epoch from:
//   RFC 3339: "2026-11-28T14:03:07Z", "2026-11-28T14:03:07.120+02:00"
//             (a space instead of 'T' is accepted, as people paste it);
//   "HH:MM" or "HH:MM:SS": today, in the local time zone (TZ);
//   relative: "-15m", "-2h", "-1d", "-30s" (before now), "now".
// nullopt with a one-line reason in `error` for anything else.
std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now_wall_ns,
                                           std::string& error);

// A reader's --since and --until, each as parse_time_arg; an empty one is
// open. nullopt with a one-line reason ("--since: bad time ...") for a bad
// time, and for a reversed range: since after until can match nothing, and
// saying nothing would look like an empty store.
struct TimeWindow {
    std::optional<std::int64_t> since_wall_ns;
    std::optional<std::int64_t> until_wall_ns;
};
std::optional<TimeWindow> parse_time_window(std::string_view since, std::string_view until,
                                            std::int64_t now_wall_ns, std::string& error);

// "30d", "12h", "15m", "90s" as ns; "0" means none (0). nullopt when bad.
std::optional<std::int64_t> parse_duration(std::string_view text);

}  // namespace hupwatch
