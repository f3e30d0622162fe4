// One session's swimlane from the window's processes (report_page.h).
#pragma once

#include <vector>

#include "report_page.h"
#include "report_window.h"

namespace hupwatch {

struct LaneSource {
    std::uint32_t sid = 0;
    std::vector<const ProcessLife*> processes;     // the session's, as selected
    std::vector<const TimedFinding*> disconnects;  // and session ends, of this session
    std::int64_t since_wall_ns = 0;
    std::int64_t until_wall_ns = 0;
};

Lane build_lane(const WindowProcesses& history, const LaneSource& source);

}  // namespace hupwatch
