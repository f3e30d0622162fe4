// The lane SVG and the page's assets, for the page renderer. Internal to
// the report stage.
#pragma once

#include <string>

#include "report_geometry.h"
#include "report_page.h"

namespace hupwatch {

// One lane's SVG: axis, gaps, its drawn rows, markers and arrows.
// Its folded rows go as JSON, drawn by the page's script when unfolded
// (report_html.cpp): 10,000 rows as SVG would double the page's parse time
// for rows nobody opened.
std::string lane_svg(const Lane& lane, const ReportPage& page);

// The inline stylesheet and script of the page.
extern const char* const kReportCss;
extern const char* const kReportJs;

}  // namespace hupwatch
