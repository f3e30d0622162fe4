// The report's times: local clock labels with the UTC offset shown, axis
// ticks on round local times, and the stretches the store did not record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report_input.h"
#include "report_page.h"

namespace hupwatch {

// "UTC+01:00", "UTC-03:30", "UTC+00:00": the local zone (TZ) at wall_ns.
std::string utc_offset_label(std::int64_t wall_ns);
// "2026-11-28 14:03:07" in local time, with ".123" when `with_ms`.
std::string local_date_time(std::int64_t wall_ns, bool with_ms = false);
// "14:03:07", with milliseconds when `with_ms`.
std::string local_clock(std::int64_t wall_ns, bool with_ms = false);

// Ticks on round local times (1 ms ... 1 day apart), at most max_ticks and
// at least two for a window of any length > 0.
std::vector<TimeTick> time_ticks(std::int64_t since_wall_ns, std::int64_t until_wall_ns,
                                 std::size_t max_ticks);

// The parts of [since, until] no run covered, merged and in order.
std::vector<RecordGap> record_gaps(const std::vector<RecordedRun>& runs, std::int64_t since_wall_ns,
                                   std::int64_t until_wall_ns);

}  // namespace hupwatch
