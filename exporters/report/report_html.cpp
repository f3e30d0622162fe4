// The page around the lanes: summary, legend, keys, the why data and the
// script that zooms, pans and shows a process's why.
#include "report_html.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "html_escape.h"
#include "report_svg.h"

namespace hupwatch {

namespace {

std::string list_cell(const std::vector<std::string>& items) {
    if (items.empty()) return "none";
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : "<br>") + html_escape(i);
    return out;
}

std::string counts_cell(const std::map<std::string, int>& counts) {
    if (counts.empty()) return "none";
    std::string out;
    for (const auto& [k, n] : counts)
        out += fmt::format("{}<span class=\"count\" data-key=\"{}\">{}: {}</span>",
                           out.empty() ? "" : " ", html_escape(k), html_escape(k), n);
    return out;
}

std::string summary_table(const ReportPage& page) {
    const auto& s = page.summary;
    // The store keeps no loss counts: events lost before it are counted
    // where they happen, in the daemon's metrics.
    std::string lost = fmt::format(
        "{} gap{} in the record; events lost in the kernel or the store's queue are counted by "
        "the daemon's metrics (hupwatch_events_lost_total, hupwatch_store_dropped_total)",
        page.gaps.size(), page.gaps.size() == 1 ? "" : "s");
    if (s.undecodable)
        lost += fmt::format("; {} stored line{} did not decode (first: {})", s.undecodable,
                            s.undecodable == 1 ? "" : "s", html_escape(s.first_undecodable));
    auto row = [](const char* id, const char* name, const std::string& value) {
        return fmt::format("<tr id=\"{}\"><th>{}</th><td>{}</td></tr>", id, name, value);
    };
    std::string out = "<table class=\"summary\">";
    out += row("s-window", "window", html_escape(page.window));
    out += row("s-host", "host", html_escape(s.hosts.empty() ? "unknown" : s.hosts));
    out += row("s-hungup", "sessions hung up", list_cell(s.sessions_hung_up));
    out += row("s-ended", "sessions ended", list_cell(s.sessions_ended));
    out += row("s-killed", "jobs killed, by cause", counts_cell(s.killed_by_cause));
    out +=
        row("s-orphaned", "jobs orphaned, by survival reason", counts_cell(s.orphaned_by_reason));
    out += row("s-risk", "at risk at the end", list_cell(s.at_risk));
    out += row("s-lost", "events lost, gaps", lost);
    out += row("s-processes", "processes",
               fmt::format("{} ({} drawn, {} folded into per-session counts)", s.processes,
                           s.processes - s.folded, s.folded));
    return out + "</table>";
}

const char* const kLegend =
    "<svg class=\"legend\" width=\"1035\" height=\"24\">"
    "<rect class=\"bar\" x=\"2\" y=\"7\" width=\"30\" height=\"10\"/><text x=\"36\" "
    "y=\"16\">process"
    "</text><g class=\"p job\"><rect class=\"bar\" x=\"95\" y=\"7\" width=\"30\" "
    "height=\"10\"/></g><text x=\"129\" y=\"16\">job</text><rect class=\"bar\" x=\"150\" y=\"7\" "
    "width=\"30\" height=\"10\"/><rect class=\"lost\" "
    "x=\"150\" y=\"7\" width=\"30\" height=\"10\"/><text x=\"184\" y=\"16\">output lost</text>"
    "<g class=\"death\"><path d=\"M269 8l8 8M277 8l-8 8\"/></g><text x=\"283\" y=\"16\">death"
    "</text><g class=\"mark hangup\"><line x1=\"335\" x2=\"335\" y1=\"2\" y2=\"22\"/></g>"
    "<text x=\"340\" y=\"16\">hangup</text><g class=\"mark ended\"><line x1=\"395\" x2=\"395\" "
    "y1=\"2\" y2=\"22\"/></g><text x=\"400\" y=\"16\">session end</text>"
    "<g class=\"arrow sig o-kernel r-delivered\"><line x1=\"485\" x2=\"515\" y1=\"12\" y2=\"12\" "
    "marker-end=\"url(#head)\"/></g><text x=\"519\" y=\"16\">signal from the kernel</text>"
    "<g class=\"arrow sig o-user r-delivered\"><line x1=\"665\" x2=\"695\" y1=\"12\" y2=\"12\" "
    "marker-end=\"url(#head)\"/></g><text x=\"699\" y=\"16\">from a process</text>"
    "<g class=\"arrow sig o-user r-ignored\"><line x1=\"800\" x2=\"830\" y1=\"12\" y2=\"12\"/></g>"
    "<text x=\"834\" y=\"16\">ignored</text><g class=\"arrow reparent\"><line x1=\"890\" "
    "x2=\"920\" y1=\"12\" y2=\"12\" marker-end=\"url(#head)\"/></g><text x=\"924\" y=\"16\">"
    "reparented</text><rect class=\"gap\" x=\"1000\" y=\"4\" width=\"30\" height=\"16\"/></svg>"
    "<span class=\"gapkey\">no record</span>";

// The arrowhead, defined once for every SVG of the page.
const char* const kDefs =
    "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs><marker id=\"head\" "
    "viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" "
    "orient=\"auto-start-reverse\"><path d=\"M0 0L8 4L0 8z\" fill=\"context-stroke\"/></marker>"
    "<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
    "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/><line x1=\"0\" "
    "y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"2\"/></pattern></defs></svg>";

std::string folded_rows_json(const Lane& lane, const ReportPage& page);

std::string lane_section(const Lane& lane, const ReportPage& page) {
    std::string out = fmt::format("<section class=\"lane\" data-sid=\"{}\">", lane.sid);
    const std::string title =
        fmt::format("{} &middot; {} drawn, {} folded", html_escape(lane.title), lane.rows.size(),
                    lane.folded.size());
    if (lane.eventful) {
        out += fmt::format("<h2>{}</h2>", title) + lane_svg(lane, page);
    } else {
        out += fmt::format("<details class=\"quiet\"><summary><h2>{}</h2></summary>", title) +
               lane_svg(lane, page) + "</details>";
    }
    if (!lane.folded.empty())
        out += fmt::format(
            "<details class=\"fold\" data-sid=\"{}\"><summary>{} other process{} of session "
            "{}</summary><script type=\"application/json\" class=\"rows\">{}</script></details>",
            lane.sid, lane.folded.size(), lane.folded.size() == 1 ? "" : "es", lane.sid,
            folded_rows_json(lane, page));
    return out + "</section>";
}

void add_why(const ProcessBar& bar, nlohmann::json& out) {
    out[fmt::format("{}:{}", bar.key.pid, bar.key.start_ns)] = {
        {"label", bar.label}, {"lineage", bar.why.lineage},   {"command", bar.why.command},
        {"end", bar.why.end}, {"verdicts", bar.why.verdicts}, {"evidence", bar.why.evidence}};
}

// Inside <script>, no '<' at all: nothing a process wrote can close the
// element or open a comment there ('<' occurs only inside JSON strings).
std::string script_safe(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (char c : json) {
        if (c == '<')
            out += "\\u003c";
        else
            out += c;
    }
    return out;
}

// Each row: ["pid:start_ns", label, depth, t0 ms, t1 ms, death ms or null].
std::string folded_rows_json(const Lane& lane, const ReportPage& page) {
    const Geometry g{page.since_wall_ns, page.until_wall_ns};
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& bar : lane.folded) {
        nlohmann::json death = nullptr;
        if (bar.death_wall_ns && *bar.death_wall_ns <= page.until_wall_ns)
            death = g.ms(*bar.death_wall_ns);
        rows.push_back({fmt::format("{}:{}", bar.key.pid, bar.key.start_ns), bar.label, bar.depth,
                        g.ms(bar.from_wall_ns), g.ms(bar.to_wall_ns), death});
    }
    return script_safe(rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string why_data(const ReportPage& page) {
    nlohmann::json all = nlohmann::json::object();
    for (const auto& lane : page.lanes) {
        for (const auto& bar : lane.rows) add_why(bar, all);
        for (const auto& bar : lane.folded) add_why(bar, all);
    }
    return script_safe(all.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

std::string render_report_html(const ReportPage& page) {
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\" data-span-ms=\"{:.3f}\" data-label-width=\"{}\" "
        "data-plot-width=\"{}\" data-top-height=\"{}\"><head><meta charset=\"utf-8\">"
        // Nothing to fetch, and nothing may be: the page stays whole offline.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\"><title>hupwatch report: {}</title>"
        "<style>{}</style></head><body>",
        static_cast<double>(page.until_wall_ns - page.since_wall_ns) / 1e6, Geometry::kLabelWidth,
        Geometry::kPlotWidth, Geometry::kTopHeight, html_escape(page.window), kReportCss);
    out += kDefs;
    out += "<header><h1>hupwatch report</h1>" + summary_table(page) + "</header>";
    out += "<div class=\"legend\">" + std::string(kLegend) + "</div>";
    out += fmt::format(
        "<p class=\"keys\">Times are local ({}). Keys: <kbd>+</kbd>/<kbd>-</kbd> zoom, "
        "<kbd>&larr;</kbd>/<kbd>&rarr;</kbd> pan, <kbd>0</kbd> the whole window. Hover or click "
        "a process for its why; click a count to unfold.</p>",
        html_escape(page.utc_offset));
    out += "<main>";
    for (const auto& lane : page.lanes) out += lane_section(lane, page);
    if (page.lanes.empty()) out += "<p class=\"empty\">No process was recorded in this window.</p>";
    out += "</main><aside id=\"why\" hidden></aside>";
    out += "<script type=\"application/json\" id=\"why-data\">" + why_data(page) + "</script>";
    out += fmt::format("<script>{}</script></body></html>\n", kReportJs);
    return out;
}

}  // namespace hupwatch
