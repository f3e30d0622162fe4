// One session's swimlane as SVG. Every time-placed element carries its
// time (data-t, data-t0/data-t1 in ms since the window's start) so the
// page's script can zoom and pan without the model.
#include "report_svg.h"

#include <fmt/format.h>

#include <algorithm>

#include "html_escape.h"

namespace hupwatch {
namespace {

using G = Geometry;

std::string time_rect(const Geometry& g, std::int64_t from, std::int64_t to, int y, int h,
                      std::string_view cls) {
    const double x0 = g.x(from), x1 = std::max(g.x(to), x0 + 1.0);
    return fmt::format(
        "<rect class=\"{}\" data-t0=\"{:.3f}\" data-t1=\"{:.3f}\" x=\"{:.1f}\" y=\"{}\" "
        "width=\"{:.1f}\" height=\"{}\"/>",
        cls, g.ms(from), g.ms(to), x0, y, x1 - x0, h);
}

// A group placed at one instant; its children are drawn around x = 0. Near
// the right edge its texts read leftwards (class "west"), or they would be cut.
std::string at_time(const Geometry& g, std::int64_t t, std::string_view cls,
                    const std::string& children) {
    const bool west = g.west(t);
    return fmt::format(
        "<g class=\"{}{}\" data-t=\"{:.3f}\" transform=\"translate({:.1f},0)\">{}</g>", cls,
        west ? " west" : "", g.ms(t), g.x(t), children);
}

// A tick's label is centred on it, but one near an edge of the plot reads
// inwards from there, or the clip would cut it (the page's script keeps
// this as zoom and pan move the ticks).
const char* tick_class(const Geometry& g, std::int64_t t) {
    const double x = g.x(t);
    if (x < G::kLabelWidth + G::kTickEdge) return "tick edge-l";
    if (x > G::kLabelWidth + G::kPlotWidth - G::kTickEdge) return "tick edge-r";
    return "tick";
}

std::string axis(const Geometry& g, const ReportPage& page, int height) {
    std::string out = "<g class=\"axis\">";
    for (const auto& tick : page.ticks)
        out += at_time(g, tick.wall_ns, tick_class(g, tick.wall_ns),
                       fmt::format("<line y1=\"14\" y2=\"{}\"/><text y=\"11\">{}</text>", height,
                                   html_escape(tick.label)));
    return out + "</g>";
}

// Named below the rows: the lines above them are the arrows' captions.
std::string gaps(const Geometry& g, const ReportPage& page, int height) {
    std::string out;
    for (const auto& gap : page.gaps)
        out += time_rect(g, gap.from_wall_ns, gap.to_wall_ns, 14, height - 14, "gap") +
               at_time(g, gap.from_wall_ns, "gaplabel",
                       fmt::format("<text x=\"3\" y=\"{}\">no record</text>", height - 3));
    return out;
}

std::string label(const ProcessBar& bar, int top, std::size_t index) {
    return fmt::format("<text class=\"lbl\" data-key=\"{}:{}\" x=\"{}\" y=\"{}\">{}</text>",
                       bar.key.pid, bar.key.start_ns, 4 + bar.depth * G::kIndent,
                       G::row_y(top, index) + 13, html_escape(bar.label));
}

std::string death(const Geometry& g, const ProcessBar& bar, int y) {
    if (bar.death_wall_ns && *bar.death_wall_ns <= g.until_wall_ns) {
        std::string text = bar.verdict.empty() ? "" : bar.verdict + " (" + bar.death_label + ")";
        if (!bar.verdict.empty() && !bar.cause.empty()) text += " " + bar.cause;
        return at_time(g, *bar.death_wall_ns, "death",
                       fmt::format("<path d=\"M-4 {0}l8 8M4 {0}l-8 8\"/><text x=\"7\" y=\"{1}\">"
                                   "{2}</text>",
                                   y + 5, y + 13, html_escape(text)));
    }
    if (bar.verdict.empty()) return "";
    // Alive with a verdict (orphaned): named where the bar leaves the window.
    return at_time(
        g, bar.to_wall_ns, "alive",
        fmt::format("<text x=\"-4\" y=\"{}\">{}{}</text>", y + 13, html_escape(bar.verdict),
                    bar.cause.empty() ? "" : " (" + html_escape(bar.cause) + ")"));
}

// The bar, lost output and death of one process; its label is drawn
// outside the plot's clip (label()).
std::string row(const Geometry& g, const ProcessBar& bar, int top, std::size_t index) {
    const int y = G::row_y(top, index);
    std::string cls = "p";
    if (!bar.verdict.empty()) cls += " v-" + bar.verdict;
    if (bar.job) cls += " job";
    if (bar.at_risk) cls += " risk";
    std::string out = fmt::format(
        "<g class=\"{}\" data-key=\"{}:{}\" data-pid=\"{}\" data-verdict=\"{}\" "
        "data-cause=\"{}\">",
        cls, bar.key.pid, bar.key.start_ns, bar.key.pid, html_escape(bar.verdict),
        html_escape(bar.cause));
    out += fmt::format("<title>{}{}</title>", html_escape(bar.label),
                       bar.verdict.empty() ? "" : ": " + html_escape(bar.verdict));
    out += time_rect(g, bar.from_wall_ns, bar.to_wall_ns, y + 4, G::kRowHeight - 8, "bar");
    if (bar.output_lost_wall_ns)
        out += time_rect(g, std::max(*bar.output_lost_wall_ns, bar.from_wall_ns), bar.to_wall_ns,
                         y + 4, G::kRowHeight - 8, "lost");
    return out + death(g, bar, y) + "</g>";
}

// An arrow between rows is named on hover (its <title>); one from or to
// outside the lane also by its caption, in the box the page model laid out
// for it above the rows (report_lanes.cpp), so that none writes over another.
std::string arrow(const Geometry& g, const LaneArrow& a, int top) {
    const int y0 = a.from_row ? G::row_y(top, *a.from_row) + G::kRowHeight / 2 : 16;
    const int y1 = a.to_row ? G::row_y(top, *a.to_row) + G::kRowHeight / 2 : 16;
    std::string cls = a.kind == ArrowKind::Signal
                          ? fmt::format("arrow sig o-{} r-{}", a.origin, a.result)
                          : std::string("arrow reparent");
    std::string children =
        fmt::format("<title>{}</title><line y1=\"{}\" y2=\"{}\" marker-end=\"url(#head)\"/>",
                    html_escape(a.caption), y0, y1 + (y1 > y0 ? -3 : 3));
    if (a.box)
        children += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>",
                                g.west(a.wall_ns) ? 0 : static_cast<int>(G::kEastOffset),
                                G::label_baseline(a.box->line), html_escape(a.caption));
    return at_time(g, a.wall_ns, cls, children);
}

std::string marker(const Geometry& g, const LaneMarker& m, int height) {
    const char* cls = m.kind == MarkerKind::Disconnect ? "mark hangup" : "mark ended";
    return at_time(g, m.wall_ns, cls,
                   fmt::format("<line y1=\"14\" y2=\"{}\"/><text x=\"3\" y=\"{}\">{}</text>",
                               height, height - 3, html_escape(m.label)));
}

}  // namespace

std::string lane_svg(const Lane& lane, const ReportPage& page) {
    const Geometry g{page.since_wall_ns, page.until_wall_ns};
    const auto& rows = lane.rows;
    const int top = G::top_height(lane.label_lines);
    const int height = G::row_y(top, rows.size()) + 14;
    const int width = G::kLabelWidth + G::kPlotWidth + 8;
    std::string out = fmt::format(
        "<svg class=\"tl\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">"
        "<clipPath id=\"c{2}{3}\"><rect x=\"{4}\" y=\"0\" width=\"{5}\" "
        "height=\"{1}\"/></clipPath>",
        width, height, lane.sid, "", G::kLabelWidth, G::kPlotWidth + 8);
    for (std::size_t i = 0; i < rows.size(); ++i) out += label(rows[i], top, i);
    out += fmt::format("<g clip-path=\"url(#c{})\">", lane.sid);
    out += axis(g, page, height);
    for (std::size_t i = 0; i < rows.size(); ++i) out += row(g, rows[i], top, i);
    out += gaps(g, page, height);
    for (const auto& m : lane.markers) out += marker(g, m, height);
    for (const auto& a : lane.arrows) out += arrow(g, a, top);
    out += "</g>";
    return out + "</svg>";
}

}  // namespace hupwatch
