#include "why_report.h"

#include <algorithm>
#include <memory>
#include <set>

#include "boot_clock.h"
#include "stored_processes.h"

namespace hupwatch {
namespace {

constexpr std::size_t kMaxLineage = 32;

// Every holder of a pid the store knows of, folded from its seeds and events.
struct PidRecord {
    StoredProcesses processes;
    std::vector<std::pair<StoredEvent, Event>> events;  // decoded, in time order
    std::vector<const ProcessEntry*> holders;           // by start
};

// The store's runs, as folding a pid's records needs them.
struct Runs {
    std::vector<StoredRun> all;      // by id: in time order
    std::set<std::int64_t> scanned;  // those with a /proc scan at their start
};

// Folds the records in the order they were made: each run's seeds, then its
// events. A seed is what /proc showed when a run started; a process an
// earlier run saw start is already known by then, and the seed leaves it as
// that run told it (ProcessTable::seed): its start, parent and "seeded" are
// the earliest record's, not the restart's. A holder of the pid that a
// run's scan lacks (its seeds of this pid are the scan, as far as the pid
// goes) ended unseen before that run (StoredProcesses::end_missing_from).
std::unique_ptr<PidRecord> load_pid(EventStoreReader& store, std::uint32_t pid, const Runs& runs) {
    auto record = std::make_unique<PidRecord>();
    const auto seeds = store.seeds_of_pid(pid);  // by id: by run
    auto next_seed = seeds.begin();
    auto next_run = runs.all.begin();
    auto seed_up_to = [&](std::int64_t run_id) {
        for (; next_run != runs.all.end() && next_run->id <= run_id; ++next_run) {
            std::vector<StoredSeed> scan;
            for (; next_seed != seeds.end() && next_seed->run_id <= next_run->id; ++next_seed)
                if (next_seed->run_id == next_run->id) scan.push_back(*next_seed);
            if (runs.scanned.count(next_run->id))
                record->processes.end_missing_from(scan, next_run->started_wall_ns);
            for (const auto& seed : scan)
                record->processes.add_seed(seed, next_run->clock_offset_ns);
        }
    };
    std::string error;
    for (auto& row : store.events_of_pid(pid)) {
        seed_up_to(row.run_id);
        auto event = decode_stored(row, error);
        if (!event) continue;  // replay counts what does not decode
        record->processes.add_event(row, *event);
        record->events.emplace_back(std::move(row), std::move(*event));
    }
    seed_up_to(INT64_MAX);
    record->holders = record->processes.table().holders(pid);
    return record;
}

// The holder of a pid: by start identity when known, else the latest to
// start before `when`.
const ProcessEntry* pick(const PidRecord& r, std::optional<std::uint64_t> start_ns,
                         std::int64_t when) {
    if (start_ns)
        for (const auto* p : r.holders)
            if (same_process(*p, p->info.pid, *start_ns)) return p;
    const ProcessEntry* best = nullptr;
    for (const auto* p : r.holders)
        if (r.processes.start_wall(*p) <= when && (!best || p->info.start_ns > best->info.start_ns))
            best = p;
    return best;
}

const ProcessEntry* choose(const PidRecord& r, std::optional<std::int64_t> at) {
    if (!at) return r.holders.back();
    const ProcessEntry* chosen = nullptr;
    for (const auto* p : r.holders)
        if (r.processes.alive_at(*p, *at)) chosen = p;
    if (!chosen) chosen = pick(r, std::nullopt, *at);
    return chosen ? chosen : r.holders.front();
}

// Walks parents through the store, one pid at a time, up to the session
// leader or init. The first parent's record also gives a subshell its
// command line.
std::vector<LineageStep> walk_lineage(EventStoreReader& store, const WhyReport& r, const Runs& runs,
                                      std::vector<std::string>* first_parent_argv) {
    std::vector<LineageStep> out;
    // From the parent it started with: a reparented process's new parent is
    // no ancestor.
    std::uint32_t parent_pid = r.start_ppid;
    std::optional<std::uint64_t> parent_start = r.start_parent_start_ns;
    const std::int64_t start_wall = r.start_wall_ns;
    for (std::size_t depth = 0; depth < kMaxLineage && parent_pid > 0; ++depth) {
        auto record = load_pid(store, parent_pid, runs);
        const ProcessEntry* parent = pick(*record, parent_start, start_wall);
        if (!parent) {
            out.push_back({{parent_pid, parent_start.value_or(0), ""}, false, false});
            break;
        }
        if (depth == 0 && first_parent_argv) *first_parent_argv = parent->argv;
        const bool leader = parent->info.pid == parent->info.sid;
        out.push_back({{parent->info.pid, parent->info.start_ns, parent->info.comm}, true, leader});
        if (leader || parent->info.pid == 1) break;
        parent_pid = parent->info.ppid;
        parent_start = parent->parent_start_ns;
    }
    return out;
}

void add_own_facts(const PidRecord& record, const ProcessEntry& p, WhyReport& r) {
    bool first = true;
    for (const auto& [row, event] : record.events) {
        if (!same_process(p, row.pid, row.start_ns)) continue;
        const ProcessInfo& info = event.subject();
        if (info.tty_dev != 0) r.tty_dev = info.tty_dev;  // a hangup clears it; keep the last
        if (first) {
            r.start_ppid = info.ppid;
            r.start_parent_start_ns = std::nullopt;
        }
        first = false;
        if (const auto* fork = std::get_if<ForkEvent>(&event.body))
            r.start_parent_start_ns = fork->parent_start_ns;
        if (const auto* rep = std::get_if<ReparentEvent>(&event.body)) {
            if (r.reparents.empty() && !r.start_parent_start_ns) {
                r.start_ppid = rep->old_ppid;
                r.start_parent_start_ns = rep->old_parent_start_ns;
            }
            r.reparents.push_back({row.wall_ns, *rep, row.json});
        } else if (event.type() == EventType::Signal) {
            r.signals.push_back({row.wall_ns, event, row.json});
        } else if (event.type() == EventType::Exit) {
            r.exit = Told<Event>{row.wall_ns, event, row.json};
        } else if (const auto* lost = std::get_if<OutputLostEvent>(&event.body)) {
            r.eio_writes = std::max(r.eio_writes, lost->eio_writes);
        }
    }
}

void add_verdicts(EventStoreReader& store, std::uint32_t pid, WhyReport& r) {
    std::string error;
    for (auto& row : store.findings_of_pid(pid)) {
        if (row.kind != "verdict" || !same_process(r.process, pid, row.start_ns)) continue;
        auto finding = decode_stored(row, error);
        if (!finding || !std::holds_alternative<Verdict>(*finding)) continue;
        auto& v = std::get<Verdict>(*finding);
        if (v.output_lost) r.output_lost = true;
        r.eio_writes = std::max(r.eio_writes, v.eio_writes);
        if (!v.dead_fds.empty()) r.dead_fds = v.dead_fds;
        if (v.tty_dev != 0 && r.tty_dev == 0) r.tty_dev = v.tty_dev;
        r.verdicts.push_back({row.wall_ns, std::move(v), std::move(row.json)});
    }
    if (r.eio_writes > 0) r.output_lost = true;
}

// The disconnect a verdict names; else one of its session just before a
// death, within the inference window.
void add_disconnect(EventStoreReader& store, std::int64_t now, WhyReport& r) {
    std::optional<StoredFinding> row;
    for (const auto& v : r.verdicts)
        if (v.fact.disconnect_sid) {
            row = store.disconnect_of(*v.fact.disconnect_sid, r.exit ? r.exit->wall_ns : now);
            break;
        }
    if (!row && r.exit) {
        auto candidate = store.disconnect_of(r.process.info.sid, r.exit->wall_ns);
        if (candidate && candidate->wall_ns <= r.exit->wall_ns &&
            static_cast<std::uint64_t>(r.exit->wall_ns - candidate->wall_ns) <=
                kDiedAfterDisconnectWindowNs)
            row = candidate;
    }
    if (!row) return;
    std::string error;
    auto finding = decode_stored(*row, error);
    if (!finding || !std::holds_alternative<DisconnectFinding>(*finding)) return;
    r.disconnect = Told<DisconnectFinding>{row->wall_ns, std::get<DisconnectFinding>(*finding),
                                           std::move(row->json)};
    if (r.tty_dev == 0) r.tty_dev = r.disconnect->fact.tty_dev;
}

}  // namespace

std::optional<WhyReport> build_why_report(EventStoreReader& store, std::uint32_t pid,
                                          std::optional<std::int64_t> at) {
    const std::int64_t now = wall_now_ns();
    Runs runs{store.runs(), store.scanned_runs()};
    WhyReport r;
    for (const auto& run : runs.all)
        r.recorded_until =
            std::max(r.recorded_until, run.stopped_wall_ns.value_or(run.last_wall_ns));
    auto record = load_pid(store, pid, runs);
    if (record->holders.empty()) return std::nullopt;
    const ProcessEntry* chosen = choose(*record, at);
    r.process = *chosen;
    r.start_wall_ns = record->processes.start_wall(*chosen);
    r.start_ppid = chosen->info.ppid;
    r.start_parent_start_ns = chosen->parent_start_ns;
    add_own_facts(*record, *chosen, r);
    if (!r.exit && chosen->exit_lost) r.gone_by_wall_ns = record->processes.exit_wall(*chosen);
    add_verdicts(store, pid, r);

    // Lineage: the correlator's, as it knew it at the verdict; else walked
    // from the stored forks and seeds. A subshell (a fork that never exec'd)
    // runs its parent's command line, as ps shows it.
    for (const auto& v : r.verdicts)
        if (!v.fact.lineage.empty()) {
            for (const auto& step : v.fact.lineage) r.lineage.push_back({step, true, false});
            break;
        }
    const bool inherits = r.process.argv.empty() && r.process.exec_count == 0 && !r.process.seeded;
    if (r.lineage.empty() || inherits) {
        std::vector<std::string> parent_argv;
        auto walked = walk_lineage(store, r, runs, inherits ? &parent_argv : nullptr);
        if (inherits) r.process.argv = std::move(parent_argv);
        if (r.lineage.empty()) r.lineage = std::move(walked);
    }
    if (r.tty_dev == 0) r.tty_dev = r.process.info.tty_dev;
    add_disconnect(store, now, r);

    for (const auto* other : record->holders)
        if (other != chosen)
            r.others.push_back({{other->info.pid, other->info.start_ns, other->info.comm},
                                record->processes.start_wall(*other),
                                record->processes.exit_wall(*other)});
    return r;
}

}  // namespace hupwatch
