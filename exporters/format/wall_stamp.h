// Wall-clock stamps for the stored story (replay, why, tree): time of day
// when the day is today's, the date too otherwise (TZ applies).
#pragma once

#include <cstdint>
#include <string>

namespace hupwatch {

// "14:03:07" when wall_ns falls on the local day of now_wall_ns, else
// "2026-11-27 14:03:07".
std::string local_stamp(std::int64_t wall_ns, std::int64_t now_wall_ns);
// The same with milliseconds: "14:03:07.120".
std::string local_stamp_ms(std::int64_t wall_ns, std::int64_t now_wall_ns);
// RFC 3339 UTC with microseconds, as in the JSON lines.
std::string rfc3339_wall(std::int64_t wall_ns);

}  // namespace hupwatch
