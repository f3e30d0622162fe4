// The page of `hupwatch report` as data, before any HTML: the summary, one
// swimlane per login session with its process bars, markers and arrows,
// the processes folded away, the gaps in the record and the time axis.
// Pure: built from a ReportInput (tests/unit/report_page_test.cpp); the
// renderer (report_html.h) only draws it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report_input.h"
#include "report_window.h"

namespace hupwatch {

// What the page is about: a window and who in it.
struct ReportQuery {
    std::optional<std::uint32_t> pid;  // that process (any with the pid), its lineage and children
    std::optional<std::uint32_t> sid;
    std::optional<std::uint32_t> uid;
};

// The `why` of a process, as the page shows it on hover or click.
struct WhyCard {
    std::vector<std::string> lineage;   // "bash 815", parent first, up to the session's root
    std::string command;                // argv as stored (redacted), as ps shows it
    std::string end;                    // "killed by SIGHUP", "exited 0", "running at the end"
    std::vector<std::string> verdicts;  // finding_format's text lines
    std::vector<std::string> evidence;  // the verdicts' evidence and the process's events, by time
};

struct ProcessBar {
    ProcessKey key;
    std::string label;              // "comm pid"
    int depth = 0;                  // lineage within the session
    std::int64_t from_wall_ns = 0;  // clipped to the window
    std::int64_t to_wall_ns = 0;
    bool born_before = false;  // started before the window
    bool alive_after = false;  // still running at its end
    std::string verdict;       // the last verdict's name, empty: none
    std::string cause;         // kill cause or survival reason
    std::optional<std::int64_t> death_wall_ns;
    std::string death_label;  // "SIGHUP", "exit 0"
    std::optional<std::int64_t> output_lost_wall_ns;
    bool at_risk = false;  // at the window's end
    bool job = false;
    WhyCard why;
};

enum class MarkerKind { Disconnect, SessionEnd };
struct LaneMarker {
    MarkerKind kind = MarkerKind::Disconnect;
    std::int64_t wall_ns = 0;
    std::string label;
};

enum class ArrowKind { Signal, Reparent };
// From one row to another at one instant; a row outside the lane is none
// (the arrow comes from, or goes to, the lane's edge with `outside` named).
struct LaneArrow {
    ArrowKind kind = ArrowKind::Signal;
    std::int64_t wall_ns = 0;
    std::optional<std::size_t> from_row;
    std::optional<std::size_t> to_row;
    std::string outside;  // "sshd 812", "init 1", "subreaper 4242"
    std::string label;    // "SIGHUP", "to init 1"
    std::string origin;   // signals: "kernel" or "user"
    std::string result;   // signals: delivered, ignored, ...
    // What the arrow says, on hover, and written above the rows for an
    // arrow from or to outside: "SIGHUP (kernel, delivered) from sshd 812".
    std::string caption;
    // Where that text is written at the page's first view (report_geometry.h):
    // on one of the lane's label lines, laid out so that no two overlap.
    struct Box {
        double x0 = 0, x1 = 0;  // px
        int line = 0;
    };
    std::optional<Box> box;
};

struct Lane {
    std::uint32_t sid = 0;
    std::string title;               // "session 815: bash 815 of alice on pts/3"
    std::vector<ProcessBar> rows;    // jobs and processes in verdicts, with their lineage
    std::vector<ProcessBar> folded;  // the rest: a count that expands on click
    std::vector<LaneMarker> markers;
    std::vector<LaneArrow> arrows;  // between rows
    int label_lines = 0;            // the lines the arrows' boxes use
    bool eventful = false;          // a verdict, disconnect or signal: drawn open
};

struct RecordGap {
    std::int64_t from_wall_ns = 0;
    std::int64_t to_wall_ns = 0;
};

struct TimeTick {
    std::int64_t wall_ns = 0;
    std::string label;  // local time
};

struct ReportSummary {
    std::string hosts;
    std::vector<std::string> sessions_hung_up;  // "session 815 (alice on pts/3) at 14:03:07"
    std::vector<std::string> sessions_ended;
    std::map<std::string, int> killed_by_cause;     // "killed_by_disconnect", "killed: operator"
    std::map<std::string, int> orphaned_by_reason;  // "sighup_ignored", ...
    std::vector<std::string> at_risk;               // "sleep 4242 in session 815"
    std::uint64_t processes = 0;
    std::uint64_t folded = 0;
    std::uint64_t undecodable = 0;
    std::string first_undecodable;
};

struct ReportPage {
    std::int64_t since_wall_ns = 0;
    std::int64_t until_wall_ns = 0;
    std::string window;      // "2026-11-28 14:00:00 to 14:30:00 (UTC+01:00)"
    std::string utc_offset;  // "UTC+01:00", of the window's start
    ReportSummary summary;
    std::vector<Lane> lanes;  // eventful first, then by session id
    std::vector<RecordGap> gaps;
    std::vector<TimeTick> ticks;
};

// now_wall_ns closes an open --until when the store is still being written.
ReportPage build_report_page(const ReportInput& input, const ReportQuery& query,
                             std::int64_t now_wall_ns);

}  // namespace hupwatch
