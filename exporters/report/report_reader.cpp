// The window's rows decoded into Events and Findings (event_store_reader.h),
// and the processes they tell of folded as why folds them: a process born
// before the window is read back by its pid (its seeds, then its earlier
// events), as `hupwatch why` reads it, so its command line, parent and
// start are the ones why shows; the processes alive at the window's start
// are read as tree --at reads that moment.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "event_store_reader.h"
#include "report_input.h"

namespace hupwatch {
namespace {

void count_undecodable(ReportInput& input, const char* table, std::int64_t id,
                       const std::string& error) {
    if (input.undecodable++ == 0)
        input.first_undecodable = fmt::format("{} {}: {}", table, id, error);
}

std::int64_t offset_of(std::int64_t wall_ns, std::uint64_t ktime_ns) {
    return wall_ns - static_cast<std::int64_t>(ktime_ns);
}

void read_runs(const std::vector<StoredRun>& runs, ReportInput& input) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        RecordedRun r;
        r.started_wall_ns = run.started_wall_ns;
        r.last_wall_ns = run.last_wall_ns;
        r.hostname = run.hostname;
        // A later run means this one is over: cleanly at its stop, else at
        // its last write (the gap after it is the store's own gap row).
        if (run.stopped_wall_ns)
            r.covered_until_wall_ns = *run.stopped_wall_ns;
        else if (i + 1 < runs.size())
            r.covered_until_wall_ns = run.last_wall_ns;
        input.runs.push_back(r);
    }
}

using Decoded = std::pair<StoredEvent, Event>;

// The pids whose processes the window names without their birth: their
// earlier life is read by pid.
std::set<std::uint32_t> born_before(const std::vector<Decoded>& window,
                                    const std::vector<TimedFinding>& findings) {
    std::set<std::pair<std::uint32_t, std::uint64_t>> born, named;
    for (const auto& [row, event] : window) {
        const ProcessInfo& p = event.subject();
        (event.type() == EventType::Fork ? born : named).insert({p.pid, p.start_ns});
    }
    for (const auto& f : findings)
        if (const auto* v = std::get_if<Verdict>(&f.finding))
            named.insert({v->process.pid, v->process.start_ns});
    std::set<std::uint32_t> pids;
    for (const auto& key : named)
        if (!born.count(key)) pids.insert(key.first);
    return pids;
}

void see_terminal(ReportInput& input, const ProcessInfo& p) {
    SessionTerminal& t = input.terminals[{p.pid, p.start_ns}];
    if (t.sid != p.sid)
        t = {p.sid, p.tty_dev};
    else if (p.tty_dev != 0)
        t.tty_dev = p.tty_dev;
}

// The seeds to fold, each with its run's clock, in time order.
using Seeds = std::vector<std::pair<StoredSeed, std::int64_t>>;

// A run's whole /proc scan: what it lacks of the fold before it ended
// unseen (StoredProcesses::end_missing_from).
struct WholeScan {
    std::int64_t started_wall_ns = 0;
    // Folded in before anything at or after this time: its first seed
    // (one scan's seeds share it), else the run's start.
    std::int64_t from_wall_ns = 0;
    std::vector<StoredSeed> seeds;  // as far as the reader may see them
    bool folded = false;
};
using WholeScans = std::map<std::int64_t, WholeScan>;  // by run id

// What the window starts from, as tree --at reads a moment: the run that
// covers its start, its seeds and its events before it; and the seeds of
// the runs that start inside it. So a process alive in the window with no
// event in it (an orphan sleeping on, a loop between its children) is in
// the fold too; and one alive at a run's end that the next run's scan
// lacks ends there.
void read_window_start(EventStoreReader& store, const std::vector<StoredRun>& runs,
                       std::int64_t since_wall_ns, std::int64_t until_wall_ns, Seeds& seeds,
                       WholeScans& scans, std::vector<StoredEvent>& rows) {
    const StoredRun* covering = nullptr;
    const std::set<std::int64_t> scanned = store.scanned_runs();
    auto read_scan = [&](const StoredRun& run) {
        if (!scanned.count(run.id)) return;  // no scan (pruned): nothing to end
        WholeScan& scan = scans[run.id];
        scan.started_wall_ns = run.started_wall_ns;
        scan.seeds = store.seeds_of_run(run.id);
        scan.from_wall_ns = run.started_wall_ns;
        for (const auto& seed : scan.seeds) {
            scan.from_wall_ns = std::min(scan.from_wall_ns, seed.wall_ns);
            seeds.emplace_back(seed, run.clock_offset_ns);
        }
    };
    for (const auto& run : runs) {
        if (run.started_wall_ns <= since_wall_ns) covering = &run;
        if (run.started_wall_ns > since_wall_ns && run.started_wall_ns <= until_wall_ns)
            read_scan(run);
    }
    if (!covering) return;
    read_scan(*covering);
    for (auto& row : store.lifecycle(covering->id, INT64_MIN, since_wall_ns - 1))
        rows.push_back(std::move(row));
}

// Every seed and event in time order, a run's seeds before the events
// recorded at the same instant; a seed never overrides what events said of
// a process (ProcessTable::seed).
void fold(EventStoreReader& store, const std::vector<StoredRun>& runs, std::vector<Decoded>& window,
          const std::vector<TimedFinding>& findings, std::int64_t since_wall_ns,
          std::int64_t until_wall_ns, ReportInput& input) {
    std::map<std::int64_t, std::int64_t> offsets;
    for (const auto& run : runs) offsets[run.id] = run.clock_offset_ns;
    Seeds seeds;
    WholeScans scans;
    std::vector<StoredEvent> rows;
    read_window_start(store, runs, since_wall_ns, until_wall_ns, seeds, scans, rows);
    for (std::uint32_t pid : born_before(window, findings)) {
        for (auto& seed : store.seeds_of_pid(pid)) {
            if (scans.count(seed.run_id)) continue;  // read with its whole scan
            auto it = offsets.find(seed.run_id);
            const std::int64_t offset = it == offsets.end() ? 0 : it->second;
            seeds.emplace_back(std::move(seed), offset);
        }
        for (auto& row : store.events_of_pid(pid)) {
            if (row.wall_ns >= since_wall_ns) break;  // the window's own rows follow
            rows.push_back(std::move(row));
        }
    }
    std::stable_sort(seeds.begin(), seeds.end(), [](const auto& a, const auto& b) {
        return a.first.wall_ns < b.first.wall_ns;
    });
    std::sort(rows.begin(), rows.end(), [](const StoredEvent& a, const StoredEvent& b) {
        return std::tie(a.wall_ns, a.id) < std::tie(b.wall_ns, b.id);
    });
    rows.erase(std::unique(rows.begin(), rows.end(),
                           [](const StoredEvent& a, const StoredEvent& b) { return a.id == b.id; }),
               rows.end());
    auto scans_until = [&](std::int64_t wall_ns) {
        for (auto& [run_id, scan] : scans)
            if (!scan.folded && scan.from_wall_ns <= wall_ns) {
                scan.folded = true;
                input.processes.end_missing_from(scan.seeds, scan.started_wall_ns);
            }
    };
    auto next_seed = seeds.begin();
    auto seeds_until = [&](std::int64_t wall_ns) {
        for (; next_seed != seeds.end() && next_seed->first.wall_ns <= wall_ns; ++next_seed) {
            scans_until(next_seed->first.wall_ns);
            input.processes.add_seed(next_seed->first, next_seed->second);
            see_terminal(input, snapshot_of(next_seed->first).info);
        }
        scans_until(wall_ns);
    };
    auto add = [&](const StoredEvent& row, const Event& event) {
        seeds_until(row.wall_ns);
        input.processes.add_event(row, event);
        see_terminal(input, event.subject());
    };
    std::string error;
    for (const auto& row : rows)
        if (auto event = decode_stored(row, error)) add(row, *event);
    for (auto& [row, event] : window) {
        add(row, event);
        input.events.push_back(
            {row.wall_ns, offset_of(row.wall_ns, row.ktime_ns), std::move(event)});
    }
    seeds_until(INT64_MAX);
    // A verdict's process that no row tells of: as the verdict tells it.
    for (const auto& f : input.findings)
        if (const auto* v = std::get_if<Verdict>(&f.finding))
            input.processes.add_named(*v, f.clock_offset_ns);
}

}  // namespace

ReportInput read_report_input(EventStoreReader& store, std::int64_t since_wall_ns,
                              std::int64_t until_wall_ns) {
    ReportInput input;
    input.since_wall_ns = since_wall_ns;
    input.until_wall_ns = until_wall_ns;
    const auto runs = store.runs();
    read_runs(runs, input);
    StoreFilter filter;
    filter.since_wall_ns = since_wall_ns;
    filter.until_wall_ns = until_wall_ns;
    std::vector<Decoded> window;
    for (auto& stored : store.events(filter)) {
        std::string error;
        auto event = decode_stored(stored, error);
        if (!event) {
            count_undecodable(input, "event", stored.id, error);
            continue;
        }
        window.emplace_back(std::move(stored), std::move(*event));
    }
    for (const auto& stored : store.findings(filter)) {
        std::string error;
        auto finding = decode_stored(stored, error);
        if (!finding) {
            count_undecodable(input, "finding", stored.id, error);
            continue;
        }
        input.findings.push_back(
            {stored.wall_ns, offset_of(stored.wall_ns, stored.ktime_ns), std::move(*finding)});
    }
    fold(store, runs, window, input.findings, since_wall_ns, until_wall_ns, input);
    return input;
}

}  // namespace hupwatch
