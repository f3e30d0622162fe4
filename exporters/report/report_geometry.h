// A timeline's geometry, in CSS pixels, shared by the page model (which
// lays out the arrows' labels so that none writes over another) and the
// SVG renderer. The page's script uses the same numbers, from the page's
// data attributes, to zoom and pan.
#pragma once

#include <cstdint>
#include <string_view>

namespace hupwatch {

struct Geometry {
    static constexpr int kLabelWidth = 300;
    static constexpr int kPlotWidth = 1000;
    static constexpr int kRowHeight = 18;
    static constexpr int kTopHeight = 40;  // the axis and, at least, three label lines
    static constexpr int kIndent = 12;
    // The lines of the labels of arrows from or to outside a lane, above
    // its rows: the first line's baseline, and the step between lines
    // (the labels' font is 10px: no two lines touch).
    static constexpr int kFirstLabelLine = 24;
    static constexpr int kLabelLineStep = 11;
    // An upper bound on a 10px label's character width, so that a box laid
    // out here holds the text as the browser draws it.
    static constexpr double kLabelCharWidth = 6.5;
    // A label reads rightwards from its instant, 3 px off; past 70% of the
    // plot it reads leftwards, 10 px off (the CSS class "west"), or it
    // would be cut at the right edge.
    static constexpr double kEastOffset = 3, kWestOffset = 10, kWestFrom = 0.7;
    // An axis label this close to an edge of the plot reads inwards.
    static constexpr double kTickEdge = 30;

    std::int64_t since_wall_ns = 0;
    std::int64_t until_wall_ns = 0;

    // ms since the window's start: what data-t attributes carry.
    double ms(std::int64_t wall_ns) const {
        return static_cast<double>(wall_ns - since_wall_ns) / 1e6;
    }
    double x(std::int64_t wall_ns) const {
        const double span = static_cast<double>(until_wall_ns - since_wall_ns);
        return kLabelWidth +
               (span > 0 ? static_cast<double>(wall_ns - since_wall_ns) / span * kPlotWidth : 0.0);
    }
    bool west(std::int64_t wall_ns) const {
        return x(wall_ns) > kLabelWidth + kPlotWidth * kWestFrom;
    }
    static int label_baseline(int line) { return kFirstLabelLine + line * kLabelLineStep; }
    // The rows start below the axis and the lane's label lines.
    static int top_height(int label_lines) {
        const int below_labels = label_baseline(label_lines - 1) + 5;
        return below_labels > kTopHeight ? below_labels : kTopHeight;
    }
    static int row_y(int top, std::size_t row) { return top + static_cast<int>(row) * kRowHeight; }
};

}  // namespace hupwatch
