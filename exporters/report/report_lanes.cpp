// A session's swimlane: which processes are drawn and which fold, their
// order by lineage, and the markers and arrows between them.
#include "report_lanes.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report_facts.h"
#include "report_geometry.h"
#include "report_time.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

using G = Geometry;

// Drawn: jobs, processes in verdicts, signalled or writing to a lost
// terminal, the session's leader, and the ancestors of each in the lane.
bool stands_out(const ProcessLife& p) {
    return is_job(p) || !p.signals.empty() || p.output_lost_wall_ns || p.key.pid == p.sid();
}

using KeySet = std::set<ProcessKey>;

KeySet drawn_set(const LaneSource& source) {
    KeySet in_lane, drawn;
    for (const ProcessLife* p : source.processes) in_lane.insert(p->key);
    for (const ProcessLife* p : source.processes) {
        if (!stands_out(*p)) continue;
        for (const ProcessLife* a = p; a && in_lane.count(a->key) && drawn.insert(a->key).second;
             a = a->parent) {
        }
    }
    return drawn;
}

// Depth-first by lineage, children by start: rows indented under parents.
std::vector<std::pair<const ProcessLife*, int>> lineage_order(
    const std::vector<const ProcessLife*>& processes) {
    KeySet members;
    for (const ProcessLife* p : processes) members.insert(p->key);
    std::map<ProcessKey, std::vector<const ProcessLife*>> children;
    std::vector<const ProcessLife*> roots;
    for (const ProcessLife* p : processes) {
        const ProcessLife* parent = p->parent;
        if (parent && parent != p && members.count(parent->key))
            children[parent->key].push_back(p);
        else
            roots.push_back(p);
    }
    auto by_start = [](const ProcessLife* a, const ProcessLife* b) {
        return std::tie(a->start_wall_ns, a->key) < std::tie(b->start_wall_ns, b->key);
    };
    std::sort(roots.begin(), roots.end(), by_start);
    for (auto& [key, list] : children) std::sort(list.begin(), list.end(), by_start);
    std::vector<std::pair<const ProcessLife*, int>> order;
    std::vector<std::pair<const ProcessLife*, int>> stack;
    for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.emplace_back(*it, 0);
    while (!stack.empty()) {
        auto [p, depth] = stack.back();
        stack.pop_back();
        order.emplace_back(p, depth);
        auto found = children.find(p->key);
        if (found == children.end()) continue;
        for (auto it = found->second.rbegin(); it != found->second.rend(); ++it)
            stack.emplace_back(*it, depth + 1);
    }
    return order;
}

ProcessBar bar_of(const ProcessLife& p, int depth, const LaneSource& source, bool hung_up) {
    ProcessBar bar;
    bar.key = p.key;
    bar.label = process_label(p);
    bar.depth = depth;
    bar.born_before = p.start_wall_ns < source.since_wall_ns;
    bar.from_wall_ns = std::max(p.start_wall_ns, source.since_wall_ns);
    const std::int64_t end = p.end_wall_ns.value_or(source.until_wall_ns);
    bar.alive_after = !p.end_wall_ns;
    bar.to_wall_ns = std::clamp(end, bar.from_wall_ns, source.until_wall_ns);
    if (const Verdict* v = last_verdict(p)) {
        bar.verdict = verdict_kind_name(v->kind);
        bar.cause = verdict_cause(*v);
    }
    bar.death_wall_ns = p.end_wall_ns;
    bar.death_label = death_label(p);
    bar.output_lost_wall_ns = p.output_lost_wall_ns;
    bar.job = is_job(p);
    bar.at_risk = at_risk_at_end(p, hung_up);
    bar.why = why_card(p);
    return bar;
}

void add_arrows(const WindowProcesses& history, const std::vector<const ProcessLife*>& drawn,
                const std::map<ProcessKey, std::size_t>& row_of, Lane& lane) {
    auto row = [&](const ProcessLife* p) -> std::optional<std::size_t> {
        if (!p) return std::nullopt;
        auto it = row_of.find(p->key);
        return it == row_of.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    };
    for (const ProcessLife* p : drawn) {
        for (const auto& s : p->signals) {
            LaneArrow a;
            a.kind = ArrowKind::Signal;
            a.wall_ns = s.wall_ns;
            const ProcessLife* sender = history.find(s.event->sender_pid, s.event->sender_start_ns);
            a.from_row = row(sender);
            if (!a.from_row)
                a.outside = s.event->sender_pid
                                ? fmt::format("{} {}", s.event->sender_comm, s.event->sender_pid)
                                : "kernel";
            a.to_row = row_of.at(p->key);
            a.label = signal_name(s.event->sig);
            a.origin = signal_origin_name(s.event->origin);
            a.result = signal_result_name(s.event->result);
            a.caption = fmt::format("{} ({}, {})", a.label, a.origin, a.result);
            if (!a.outside.empty()) a.caption += " from " + a.outside;
            lane.arrows.push_back(std::move(a));
        }
        if (p->reparent_wall_ns) {
            LaneArrow a;
            a.kind = ArrowKind::Reparent;
            a.wall_ns = *p->reparent_wall_ns;
            a.from_row = row_of.at(p->key);
            const ProcessLife* parent = p->new_parent;
            a.to_row = row(parent);
            const std::string who = p->reaper == ReaperKind::Init ? "init" : "subreaper";
            a.outside = fmt::format("{} {}", parent ? parent->comm() : who, p->new_parent_pid);
            a.label = fmt::format("to {} {}", who, p->new_parent_pid);
            a.caption = a.label;
            lane.arrows.push_back(std::move(a));
        }
    }
}

std::string lane_title(const LaneSource& source) {
    const ProcessLife* leader = nullptr;
    for (const ProcessLife* p : source.processes)
        if (p->key.pid == source.sid) leader = p;
    std::string title = fmt::format("session {}", source.sid);
    if (!leader) return title;
    title += fmt::format(": {} (uid {})", process_label(*leader), leader->info().uid);
    if (auto tty = tty_name(leader->tty_dev)) title += " on " + *tty;
    return title;
}

void add_markers(const LaneSource& source, Lane& lane) {
    for (const TimedFinding* f : source.disconnects) {
        if (const auto* d = std::get_if<DisconnectFinding>(&f->finding)) {
            std::string by = d->hung_up_by_pid
                                 ? fmt::format(" by {} {}", d->hung_up_by_comm, d->hung_up_by_pid)
                                 : "";
            lane.markers.push_back(
                {MarkerKind::Disconnect, f->wall_ns,
                 fmt::format("hangup{} at {}", by, local_clock(f->wall_ns, true))});
        } else if (std::holds_alternative<SessionEndFinding>(f->finding)) {
            lane.markers.push_back(
                {MarkerKind::SessionEnd, f->wall_ns,
                 fmt::format("session end at {}", local_clock(f->wall_ns, true))});
        }
    }
}

// The boxes of the labels written above the rows (arrows from or to
// outside the lane), left to right, each on the first line where it clears
// the boxes before it: a hangup's burst of signals stacks instead of
// overprinting. As many lines as it takes; the rows start below them.
void place_labels(const LaneSource& source, Lane& lane) {
    const Geometry g{source.since_wall_ns, source.until_wall_ns};
    std::vector<LaneArrow*> labelled;
    for (auto& a : lane.arrows) {
        if (a.outside.empty()) continue;
        const double width = static_cast<double>(a.caption.size()) * G::kLabelCharWidth;
        const double x = g.x(a.wall_ns);
        a.box = g.west(a.wall_ns) ? LaneArrow::Box{x - G::kWestOffset - width, x - G::kWestOffset}
                                  : LaneArrow::Box{x + G::kEastOffset, x + G::kEastOffset + width};
        labelled.push_back(&a);
    }
    std::stable_sort(labelled.begin(), labelled.end(), [](const LaneArrow* a, const LaneArrow* b) {
        return a->box->x0 < b->box->x0;
    });
    constexpr double kSpace = 4;
    std::vector<double> line_ends;  // the right end of each line's last box
    for (LaneArrow* a : labelled) {
        std::size_t line = 0;
        while (line < line_ends.size() && line_ends[line] + kSpace > a->box->x0) ++line;
        if (line == line_ends.size()) line_ends.push_back(0);
        line_ends[line] = a->box->x1;
        a->box->line = static_cast<int>(line);
    }
    lane.label_lines = static_cast<int>(line_ends.size());
}

}  // namespace

Lane build_lane(const WindowProcesses& history, const LaneSource& source) {
    Lane lane;
    lane.sid = source.sid;
    lane.title = lane_title(source);
    add_markers(source, lane);
    const bool hung_up = !lane.markers.empty();
    const KeySet drawn = drawn_set(source);
    std::vector<const ProcessLife*> shown, rest;
    for (const ProcessLife* p : source.processes) (drawn.count(p->key) ? shown : rest).push_back(p);
    std::map<ProcessKey, std::size_t> row_of;
    for (auto [p, depth] : lineage_order(shown)) {
        row_of[p->key] = lane.rows.size();
        lane.rows.push_back(bar_of(*p, depth, source, hung_up));
    }
    for (auto [p, depth] : lineage_order(rest))
        lane.folded.push_back(bar_of(*p, depth, source, hung_up));
    add_arrows(history, shown, row_of, lane);
    place_labels(source, lane);
    lane.eventful = hung_up || !lane.arrows.empty() ||
                    std::any_of(lane.rows.begin(), lane.rows.end(), [](const ProcessBar& b) {
                        return !b.verdict.empty() || b.at_risk;
                    });
    return lane;
}

}  // namespace hupwatch
