// `hupwatch why`, the renderers of why_report.h: the text a person reads and
// the JSON object of docs/cli.md (stored lines printed as they were stored).
#pragma once

#include <cstdint>
#include <string>

#include "why_report.h"

namespace hupwatch {

std::string why_text(const WhyReport& report, std::int64_t now_wall_ns);
std::string why_json(const WhyReport& report);

}  // namespace hupwatch
