// The page model: window, selection, lanes, summary (report_page.h).
#include "report_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "report_facts.h"
#include "report_lanes.h"
#include "report_time.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::size_t kMaxTicks = 12;

// An open start closes on the first thing recorded; an open end on now
// while the newest run has no clean stop (it records, or it was killed and
// the time since its last write is drawn as no record: runs_as_of), else
// on the last thing recorded.
std::pair<std::int64_t, std::int64_t> close_window(const ReportInput& input,
                                                   std::int64_t now_wall_ns) {
    std::int64_t first = INT64_MAX, last = INT64_MIN;
    auto see = [&](std::int64_t t) { first = std::min(first, t), last = std::max(last, t); };
    for (const auto& e : input.events) see(e.wall_ns);
    for (const auto& f : input.findings) see(f.wall_ns);
    if (first == INT64_MAX) first = last = now_wall_ns;
    const bool open = std::any_of(input.runs.begin(), input.runs.end(), [](const auto& r) {
        return r.covered_until_wall_ns == INT64_MAX;
    });
    const std::int64_t since = input.since_wall_ns == INT64_MIN ? first : input.since_wall_ns;
    std::int64_t until = input.until_wall_ns;
    if (until == INT64_MAX) until = open ? std::max(last, now_wall_ns) : last;
    if (until <= since) until = since + kSecond;  // one instant still gets a width
    if (input.since_wall_ns == INT64_MIN) {
        // Room before the first bar, so it does not start on the edge.
        return {since - std::max<std::int64_t>((until - since) / 50, kSecond / 10), until};
    }
    return {since, until};
}

// A run with no clean stop and no later run is open (report_input.h) while
// its daemon still refreshes its last write. One whose last write is older
// than that refresh allows was killed there, or its host went down: it
// covered only up to that write, and what follows is no record, not quiet
// time. A live daemon's last few seconds stay covered.
std::vector<RecordedRun> runs_as_of(std::vector<RecordedRun> runs, std::int64_t now_wall_ns) {
    for (auto& r : runs)
        if (r.covered_until_wall_ns == INT64_MAX &&
            r.last_wall_ns + kRunRefreshSlackNs < now_wall_ns)
            r.covered_until_wall_ns = std::max(r.last_wall_ns, r.started_wall_ns);
    return runs;
}

// --pid: every process that had the pid, its ancestors and descendants.
std::set<ProcessKey> pid_family(const WindowProcesses& history, std::uint32_t pid) {
    std::set<ProcessKey> family, ancestors;
    for (const auto& [key, p] : history.processes()) {
        if (key.pid != pid) continue;
        family.insert(key);
        for (const ProcessLife* a = p.parent; a && ancestors.insert(a->key).second; a = a->parent) {
        }
    }
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& [key, p] : history.processes()) {
            if (family.count(key)) continue;
            const ProcessLife* parent = p.parent;
            if (parent && family.count(parent->key)) grew = family.insert(key).second || grew;
        }
    }
    family.insert(ancestors.begin(), ancestors.end());
    return family;
}

bool selected(const ProcessLife& p, const ReportQuery& q, const std::set<ProcessKey>& family) {
    if (q.sid && p.sid() != *q.sid) return false;
    if (q.uid && p.info().uid != *q.uid) return false;
    if (q.pid && !family.count(p.key)) return false;
    return true;
}

std::uint32_t sid_of(const Finding& f) {
    return std::visit([](const auto& x) { return x.sid; }, f);
}

std::string session_line(const TimedFinding& f) {
    return std::visit(
        [&](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Verdict>) {
                return "";
            } else {
                std::string who = x.user.empty() ? fmt::format("uid {}", x.uid) : x.user;
                if (auto tty = tty_name(x.tty_dev)) who += " on " + *tty;
                return fmt::format("session {} ({} {} {}) at {}", x.sid, who, x.leader.comm,
                                   x.leader.pid, local_clock(f.wall_ns, true));
            }
        },
        f.finding);
}

// The sessions the window is about: those it recorded something of (an
// event or finding), and the one asked for. Their quiet processes are
// drawn or counted with them; elsewhere only jobs alive in the window are
// (an orphan sleeping on), not every daemon of the host.
std::set<std::uint32_t> sessions_in_play(const ReportInput& input, const WindowProcesses& history,
                                         const ReportQuery& query) {
    std::set<std::uint32_t> sids;
    if (query.sid) sids.insert(*query.sid);
    for (const auto& f : input.findings) sids.insert(sid_of(f.finding));
    for (const auto& [key, p] : history.processes())
        if (!p.events.empty()) sids.insert(p.sid());
    return sids;
}

// A process the window recorded something of is on the page; a quiet one
// (alive in it, nothing recorded) only in a session in play, or as a job,
// and never a kernel thread.
bool on_page(const ProcessLife& p, const std::set<std::uint32_t>& in_play) {
    if (!p.events.empty() || !p.verdicts.empty()) return true;
    if (is_kernel_thread(p.info())) return false;
    return in_play.count(p.sid()) != 0 || is_job(p);
}

void summarize(const ReportInput& input, const std::vector<RecordedRun>& runs,
               const std::vector<Lane>& lanes, const std::set<std::uint32_t>& sids,
               ReportSummary& s) {
    std::set<std::string> hosts;
    for (const auto& r : runs)
        if (r.started_wall_ns <= input.until_wall_ns &&
            r.covered_until_wall_ns >= input.since_wall_ns)
            hosts.insert(r.hostname);
    for (const auto& h : hosts) s.hosts += (s.hosts.empty() ? "" : ", ") + h;
    for (const auto& f : input.findings) {
        if (!sids.count(sid_of(f.finding))) continue;
        if (std::holds_alternative<DisconnectFinding>(f.finding))
            s.sessions_hung_up.push_back(session_line(f));
        else if (std::holds_alternative<SessionEndFinding>(f.finding))
            s.sessions_ended.push_back(session_line(f));
    }
    for (const auto& lane : lanes) {
        s.processes += lane.rows.size() + lane.folded.size();
        s.folded += lane.folded.size();
        for (const auto& bar : lane.rows)
            if (bar.at_risk)
                s.at_risk.push_back(fmt::format("{} in session {}", bar.label, lane.sid));
    }
    s.undecodable = input.undecodable;
    s.first_undecodable = input.first_undecodable;
}

void count_verdicts(const WindowProcesses& history, const std::set<ProcessKey>& kept,
                    ReportSummary& s) {
    for (const auto& key : kept) {
        const ProcessLife& p = history.processes().at(key);
        for (const TimedFinding* f : p.verdicts) {
            const auto& v = std::get<Verdict>(f->finding);
            if (auto k = killed_key(v); !k.empty()) ++s.killed_by_cause[k];
            if (auto k = orphaned_key(v); !k.empty()) ++s.orphaned_by_reason[k];
        }
    }
}

}  // namespace

ReportPage build_report_page(const ReportInput& input, const ReportQuery& query,
                             std::int64_t now_wall_ns) {
    ReportPage page;
    std::tie(page.since_wall_ns, page.until_wall_ns) = close_window(input, now_wall_ns);
    page.utc_offset = utc_offset_label(page.since_wall_ns);
    const bool short_window = page.until_wall_ns - page.since_wall_ns < 60 * kSecond;
    page.window = fmt::format("{} to {} ({})", local_date_time(page.since_wall_ns, short_window),
                              local_date_time(page.until_wall_ns, short_window), page.utc_offset);
    page.ticks = time_ticks(page.since_wall_ns, page.until_wall_ns, kMaxTicks);
    const std::vector<RecordedRun> runs = runs_as_of(input.runs, now_wall_ns);
    page.gaps = record_gaps(runs, page.since_wall_ns, page.until_wall_ns);

    const WindowProcesses history(input);
    const std::set<ProcessKey> family =
        query.pid ? pid_family(history, *query.pid) : std::set<ProcessKey>{};
    std::map<std::uint32_t, LaneSource> sources;
    std::set<ProcessKey> kept;
    const std::set<std::uint32_t> in_play = sessions_in_play(input, history, query);
    for (const auto& [key, p] : history.processes()) {
        if (!selected(p, query, family)) continue;
        // Born and gone outside the window (a verdict read back late): not drawn.
        if (p.start_wall_ns > page.until_wall_ns) continue;
        if (p.end_wall_ns && *p.end_wall_ns < page.since_wall_ns) continue;
        if (!on_page(p, in_play)) continue;
        auto& src = sources[p.sid()];
        src.sid = p.sid();
        src.processes.push_back(&p);
        kept.insert(key);
    }
    for (const auto& f : input.findings) {
        if (std::holds_alternative<Verdict>(f.finding)) continue;
        auto it = sources.find(sid_of(f.finding));
        if (it != sources.end()) it->second.disconnects.push_back(&f);
    }
    std::set<std::uint32_t> sids;
    for (auto& [sid, src] : sources) {
        src.since_wall_ns = page.since_wall_ns;
        src.until_wall_ns = page.until_wall_ns;
        page.lanes.push_back(build_lane(history, src));
        sids.insert(sid);
    }
    std::stable_sort(page.lanes.begin(), page.lanes.end(),
                     [](const Lane& a, const Lane& b) { return a.eventful > b.eventful; });
    summarize(input, runs, page.lanes, sids, page.summary);
    count_verdicts(history, kept, page.summary);
    return page;
}

}  // namespace hupwatch
