#include "stored_processes.h"

namespace hupwatch {
namespace {

ProcessTable::Options history_options() {
    ProcessTable::Options options;
    // Nothing is evicted by age: a past moment needs its exited processes.
    // The capacity bound still holds, oldest exits first.
    options.exit_grace_ns = UINT64_MAX;
    options.quiet_exit_grace_ns = UINT64_MAX;
    return options;
}

}  // namespace

StoredProcesses::StoredProcesses() : table_(history_options()) {}

void StoredProcesses::add_seed(const StoredSeed& seed, std::int64_t clock_offset_ns) {
    clock_offsets_[seed.pid] = clock_offset_ns;
    table_.seed({snapshot_of(seed)});
}

void StoredProcesses::end_missing_from(const std::vector<StoredSeed>& scan,
                                       std::int64_t run_started_wall_ns) {
    // A stored scan is whole: it was recorded only once the listing ended.
    ProcessesSeen seen;
    seen.complete = true;
    for (const auto& seed : scan) {
        seen.processes.emplace_back(seed.pid, seed.start_ns);
        seen.tick_ns = seed.start_tick_ns;  // one scan, one tick
    }
    const auto missing = table_.missing_from(
        seen, [&](const ProcessEntry& e) { return start_wall(e) < run_started_wall_ns; });
    for (const ProcessEntry* e : missing) {
        const std::int64_t by = run_started_wall_ns - offset_of(e->info.pid);
        table_.end_unseen(e->info.pid, e->info.start_ns, static_cast<std::uint64_t>(by));
    }
}

bool StoredProcesses::add_event(const StoredEvent& row, std::string& error) {
    auto event = decode_stored(row, error);
    if (!event) return false;
    add_event(row, *event);
    return true;
}

void StoredProcesses::add_event(const StoredEvent& row, const Event& event) {
    clock_offsets_[row.pid] = row.wall_ns - static_cast<std::int64_t>(row.ktime_ns);
    table_.apply(event);
}

void StoredProcesses::add_named(const Verdict& v, std::int64_t clock_offset_ns) {
    if (table_.find(v.process.pid, v.process.start_ns)) return;
    ProcSnapshot snap;
    snap.info.pid = snap.info.tid = v.process.pid;
    snap.info.start_ns = v.process.start_ns;
    snap.info.comm = v.process.comm;
    snap.info.ppid = v.ppid;
    snap.info.sid = v.sid;
    snap.info.uid = v.uid;
    snap.info.tty_dev = v.tty_dev;
    snap.argv = v.argv;
    // The verdict's start is exact: no /proc tick to widen it.
    clock_offsets_.try_emplace(v.process.pid, clock_offset_ns);
    table_.seed({snap});
}

std::int64_t StoredProcesses::offset_of(std::uint32_t pid) const {
    auto it = clock_offsets_.find(pid);
    return it == clock_offsets_.end() ? 0 : it->second;
}

std::int64_t StoredProcesses::wall_of(const ProcessEntry& p, std::uint64_t boot_ns) const {
    return static_cast<std::int64_t>(boot_ns) + offset_of(p.info.pid);
}

std::optional<std::int64_t> StoredProcesses::exit_wall(const ProcessEntry& p) const {
    if (p.alive) return std::nullopt;
    return wall_of(p, p.exit_ns);
}

bool StoredProcesses::alive_at(const ProcessEntry& p, std::int64_t wall_ns) const {
    auto end = exit_wall(p);
    return start_wall(p) <= wall_ns && (!end || *end > wall_ns);
}

bool same_process(const ProcessEntry& p, std::uint32_t pid, std::uint64_t start_ns) {
    if (p.info.pid != pid) return false;
    if (p.info.start_ns == start_ns) return true;
    // A seed's start is /proc's, floored to a tick; the table upgrades it at
    // the first precise sighting, but a finding may name the precise one.
    return p.seeded && start_ns >= p.info.start_ns && start_ns - p.info.start_ns < p.start_tick_ns;
}

}  // namespace hupwatch
