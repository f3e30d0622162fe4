// Drawing helpers shared by the page renderer and the lane SVG: geometry,
// escaping. Internal to the report stage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "report_page.h"

namespace hupwatch {

// One timeline's geometry, in CSS pixels. JS (report_assets.cpp) uses the
// same numbers from the page's data attributes to zoom and pan.
struct Geometry {
    static constexpr int kLabelWidth = 300;
    static constexpr int kPlotWidth = 1000;
    static constexpr int kRowHeight = 18;
    static constexpr int kTopHeight = 40;  // the axis and outside-lane labels
    static constexpr int kIndent = 12;

    std::int64_t since_wall_ns = 0;
    std::int64_t until_wall_ns = 0;

    // ms since the window's start: what data-t attributes carry.
    double ms(std::int64_t wall_ns) const {
        return static_cast<double>(wall_ns - since_wall_ns) / 1e6;
    }
    double x(std::int64_t wall_ns) const;
    static int row_y(std::size_t row) { return kTopHeight + static_cast<int>(row) * kRowHeight; }
};

// &, <, >, " and ' as entities.

// One lane's SVG: axis, gaps, its drawn rows, markers and arrows.
// Its folded rows go as JSON, drawn by the page's script when unfolded
// (report_html.cpp): 10,000 rows as SVG would double the page's parse time
// for rows nobody opened.
std::string lane_svg(const Lane& lane, const ReportPage& page);

// The inline stylesheet and script of the page.
extern const char* const kReportCss;
extern const char* const kReportJs;

}  // namespace hupwatch
