#include "process_table.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace hupwatch {
namespace {

// /proc floors the start to a tick (nsec_to_clock_t), so a precise start of
// the same process lies at or after the seeded one, by less than a tick.
bool within_tick(const ProcessEntry& entry, std::uint64_t precise_start) {
    return entry.start_from_proc && precise_start >= entry.info.start_ns &&
           precise_start - entry.info.start_ns < entry.start_tick_ns;
}

// Newest fields win; the identity stays.
void refresh(ProcessEntry& entry, const ProcessInfo& seen) {
    // A new ppid with no reparent event: the old parent start no longer applies.
    if (seen.ppid != entry.info.ppid) entry.parent_start_ns.reset();
    std::uint64_t start = entry.info.start_ns;
    entry.info = seen;
    entry.info.start_ns = start;
}

// Exact key first, then a seeded entry whose tick holds start_ns.
template <typename Map>
auto locate_in(Map& entries, std::uint32_t pid, std::uint64_t start_ns) {
    auto it = entries.find({pid, start_ns});
    if (it != entries.end()) return it;
    for (it = entries.lower_bound({pid, 0}); it != entries.end() && it->first.first == pid; ++it)
        if (within_tick(it->second, start_ns)) return it;
    return entries.end();
}

template <typename Map>
auto alive_in(Map& entries, std::uint32_t pid) {
    auto it = entries.lower_bound({pid, 0});
    for (; it != entries.end() && it->first.first == pid; ++it)
        if (it->second.alive) return it;
    return entries.end();
}

}  // namespace

bool scanned_as(const ProcessEntry& e, std::uint64_t scan_start_ns, std::uint64_t tick_ns) {
    const std::uint64_t start = e.info.start_ns;
    if (e.start_from_proc) return start == scan_start_ns;
    return start >= scan_start_ns && start - scan_start_ns < tick_ns;
}

void ProcessTable::end_unseen(std::uint32_t pid, std::uint64_t start_ns, std::uint64_t by_ns) {
    auto it = locate(pid, start_ns);
    if (it == entries_.end() || !it->second.alive) return;
    mark_exited(it->second, by_ns);
    it->second.exit_lost = true;
    ++counters_.lost_exits;
}

std::vector<const ProcessEntry*> ProcessTable::missing_from(
    const ProcessesSeen& scan,
    const std::function<bool(const ProcessEntry&)>& started_before) const {
    std::vector<const ProcessEntry*> missing;
    if (!scan.complete) return missing;
    std::multimap<std::uint32_t, std::uint64_t> found(scan.processes.begin(), scan.processes.end());
    const std::set<std::uint32_t> unread(scan.unread.begin(), scan.unread.end());
    for (const auto& entry : entries_) {
        const ProcessEntry& e = entry.second;  // a lambda below captures it: no binding
        if (!e.alive || !started_before(e) || unread.count(e.info.pid)) continue;
        auto [first, last] = found.equal_range(e.info.pid);
        if (std::none_of(first, last,
                         [&](const auto& f) { return scanned_as(e, f.second, scan.tick_ns); }))
            missing.push_back(&e);
    }
    return missing;
}

std::vector<Event> ProcessTable::exits_unseen_by(const ProcessesSeen& scan) const {
    const auto missing = missing_from(
        scan, [&](const ProcessEntry& e) { return e.info.start_ns < scan.scan_started_ns; });
    std::vector<Event> out;
    out.reserve(missing.size());
    for (const ProcessEntry* e : missing)
        out.push_back(Event{scan.scan_started_ns, ExitUnseenEvent{e->info}});
    return out;
}

void ProcessTable::seed(const std::vector<ProcSnapshot>& snapshots) {
    for (const ProcSnapshot& snap : snapshots) {
        const ProcessInfo& info = snap.info;
        bool known = false;
        for (auto it = entries_.lower_bound({info.pid, 0});
             it != entries_.end() && it->first.first == info.pid; ++it)
            known = known || scanned_as(it->second, info.start_ns, snap.start_tick_ns);
        if (known) continue;

        auto holder = alive_holder(info.pid);
        if (holder != entries_.end()) {
            // The scan may predate events already applied: the newer start holds the pid.
            if (holder->first.second > info.start_ns) continue;
            mark_exited(holder->second, info.start_ns);
            holder->second.exit_lost = true;
            ++counters_.lost_exits;
        }
        ProcessEntry* entry = insert(info);
        if (!entry) continue;
        // parent_start_ns stays unknown: the parent's /proc start is imprecise
        // and would go stale when the parent's start is upgraded.
        entry->argv = snap.argv;
        entry->filename = snap.exe;
        entry->seeded = true;
        entry->start_from_proc = snap.start_tick_ns > 0;
        entry->start_tick_ns = snap.start_tick_ns;
    }
}

void ProcessTable::apply(const Event& event) {
    // Identities an event names besides its subject (a fork's parent, a
    // signal's sender, a reparent's parents) are precise sightings too, and
    // names a verdict may ask for after they exit.
    if (const auto* fork = std::get_if<ForkEvent>(&event.body))
        sighted(fork->child.ppid, fork->parent_start_ns);
    if (const auto* sig = std::get_if<SignalEvent>(&event.body))
        sighted(sig->sender_pid, sig->sender_start_ns);
    if (const auto* rep = std::get_if<ReparentEvent>(&event.body)) {
        sighted(rep->old_ppid, rep->old_parent_start_ns);
        sighted(rep->new_ppid, rep->new_parent_start_ns);
    }

    // A signal to a process that has exited (a zombie not yet reaped, its
    // exit already applied and its entry evicted) is generated "ignored":
    // prepare_signal() drops it once SIGNAL_GROUP_EXIT is set
    // (kernel/signal.c). It must not bring the process back as alive; a
    // live process we never saw that ignores a signal is learned from its
    // next event or the next /proc audit.
    if (const auto* sig = std::get_if<SignalEvent>(&event.body);
        sig && sig->result == SignalResult::Ignored &&
        locate(sig->target.pid, sig->target.start_ns) == entries_.end())
        return;
    ProcessEntry* entry = observe(event.subject(), event.type() == EventType::Exit);
    if (!entry) return;
    if (event.type() == EventType::Reparent || entry->info.pid == entry->info.sid)
        reference(*entry);

    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ForkEvent>) {
                entry->parent_start_ns = e.parent_start_ns;
                // A fork without exec (a subshell) runs its parent's command
                // line, and /proc shows it so: inherit it, as ps would show.
                if (const ProcessEntry* parent = find(e.child.ppid, e.parent_start_ns);
                    parent && entry->argv.empty()) {
                    entry->argv = parent->argv;
                    entry->filename = parent->filename;
                    entry->argv_truncated = parent->argv_truncated;
                }
            } else if constexpr (std::is_same_v<T, ExecEvent>) {
                entry->argv = e.argv;
                entry->filename = e.filename;
                entry->argv_truncated = e.argv_truncated;
                ++entry->exec_count;
            } else if constexpr (std::is_same_v<T, ExitUnseenEvent>) {
                end_unseen(e.proc.pid, e.proc.start_ns, event.ktime_ns);
            } else if constexpr (std::is_same_v<T, ExitEvent>) {
                mark_exited(*entry, event.ktime_ns);
                entry->raw_status = e.raw_status;
                entry->exit_lost = false;
            } else if constexpr (std::is_same_v<T, ReparentEvent>) {
                entry->info.ppid = e.new_ppid;
                entry->parent_start_ns = e.new_parent_start_ns;
            } else if constexpr (std::is_same_v<T, SessionEvent>) {
                // setpgid(pid, pgid) on another process (a child) changes that one.
                bool other = e.call == SessionCall::Setpgid && e.ret == 0 && e.arg_pid != 0 &&
                             e.arg_pid != entry->info.pid;
                if (!other) return;
                auto target = alive_holder(e.arg_pid);
                if (target != entries_.end())
                    target->second.info.pgid = e.arg_pgid != 0 ? e.arg_pgid : e.arg_pid;
            }
            // SignalEvent: the target's refresh is all it changes.
        },
        event.body);
}

const ProcessEntry* ProcessTable::find(std::uint32_t pid, std::uint64_t start_ns) const {
    auto it = locate_in(entries_, pid, start_ns);
    return it == entries_.end() ? nullptr : &it->second;
}

const ProcessEntry* ProcessTable::find_alive(std::uint32_t pid) const {
    auto it = alive_in(entries_, pid);
    return it == entries_.end() ? nullptr : &it->second;
}

const ProcessEntry* ProcessTable::parent(const ProcessEntry& child) const {
    std::uint32_t ppid = child.info.ppid;
    if (ppid == 0) return nullptr;
    // A known parent identity that is gone means evicted: guessing could pick a stranger.
    if (child.parent_start_ns) return find(ppid, *child.parent_start_ns);

    // A parent starts before its child and lives at least until the child starts.
    std::uint64_t child_start =
        child.info.start_ns + (child.start_from_proc ? child.start_tick_ns : 0);
    const ProcessEntry* best = nullptr;
    for (auto it = entries_.lower_bound({ppid, 0});
         it != entries_.end() && it->first.first == ppid && it->first.second <= child_start; ++it) {
        const ProcessEntry& e = it->second;
        if (e.alive || e.exit_ns >= child.info.start_ns) best = &e;
    }
    return best;
}

std::vector<const ProcessEntry*> ProcessTable::lineage(std::uint32_t pid, std::uint64_t start_ns,
                                                       std::size_t max_depth) const {
    std::vector<const ProcessEntry*> out;
    const ProcessEntry* entry = find(pid, start_ns);
    while (entry && out.size() < max_depth) {
        entry = parent(*entry);
        if (entry) out.push_back(entry);
    }
    return out;
}

std::set<std::uint32_t> ProcessTable::live_sessions() const {
    std::set<std::uint32_t> out;
    for (const auto& [key, entry] : entries_)
        if (entry.alive && entry.info.sid != 0) out.insert(entry.info.sid);
    return out;
}

std::vector<const ProcessEntry*> ProcessTable::holders(std::uint32_t pid) const {
    std::vector<const ProcessEntry*> out;
    for (auto it = entries_.lower_bound({pid, 0}); it != entries_.end() && it->first.first == pid;
         ++it)
        out.push_back(&it->second);
    return out;
}

std::vector<const ProcessEntry*> ProcessTable::entries() const {
    std::vector<const ProcessEntry*> out;
    out.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) out.push_back(&entry);
    return out;
}

void ProcessTable::evict(std::uint64_t now_boot_ns) {
    evict_older(exited_, now_boot_ns, options_.exit_grace_ns, counters_.evicted_grace);
    evict_older(quiet_exited_, now_boot_ns, options_.quiet_exit_grace_ns, counters_.evicted_quiet);
}

void ProcessTable::evict_older(ExitQueue& queue, std::uint64_t now_boot_ns, std::uint64_t grace_ns,
                               std::uint64_t& counter) {
    if (now_boot_ns < grace_ns) return;
    std::uint64_t cutoff = now_boot_ns - grace_ns;
    while (!queue.empty() && queue.begin()->first <= cutoff) {
        erase(entries_.find(queue.begin()->second));
        ++counter;
    }
}

void ProcessTable::reference(ProcessEntry& entry) {
    if (entry.referenced) return;
    entry.referenced = true;
    // Named after its exit (an event read late): it waits the full grace.
    if (!entry.alive && entry.quiet_exit) mark_exited(entry, entry.exit_ns);
}

ProcessTable::Entries::iterator ProcessTable::locate(std::uint32_t pid, std::uint64_t start_ns) {
    return locate_in(entries_, pid, start_ns);
}

ProcessTable::Entries::iterator ProcessTable::alive_holder(std::uint32_t pid) {
    return alive_in(entries_, pid);
}

ProcessEntry* ProcessTable::observe(const ProcessInfo& seen, bool exiting) {
    auto it = locate(seen.pid, seen.start_ns);
    if (it != entries_.end()) {
        upgrade_start(it, seen.start_ns);
        refresh(it->second, seen);
        return &it->second;
    }

    // A pid has one holder at a time: of two live claims, the older one has exited.
    std::optional<std::uint64_t> newer_holder_start;
    auto holder = alive_holder(seen.pid);
    if (holder != entries_.end()) {
        if (holder->first.second < seen.start_ns) {
            mark_exited(holder->second, seen.start_ns);
            holder->second.exit_lost = true;
            ++counters_.lost_exits;
        } else {
            newer_holder_start = holder->first.second;  // a late event about an older holder
        }
    }

    ProcessEntry* entry = insert(seen);
    if (entry && newer_holder_start && !exiting) {
        mark_exited(*entry, *newer_holder_start);
        entry->exit_lost = true;
        ++counters_.lost_exits;
    }
    return entry;
}

void ProcessTable::sighted(std::uint32_t pid, std::uint64_t start_ns) {
    auto it = locate(pid, start_ns);
    if (it == entries_.end()) return;
    ProcessEntry& entry = it->second;  // stays put when upgrade_start re-keys it
    upgrade_start(it, start_ns);
    reference(entry);
}

void ProcessTable::upgrade_start(Entries::iterator it, std::uint64_t start_ns) {
    ProcessEntry& entry = it->second;
    if (!entry.start_from_proc) return;
    entry.start_from_proc = false;
    ++counters_.starts_upgraded;
    if (entry.info.start_ns == start_ns) return;

    Key old_key = it->first;
    if (!entry.alive) queue_of(entry).erase({entry.exit_ns, old_key});
    // Re-keying the node keeps the entry at the same address.
    auto node = entries_.extract(it);
    node.key().second = start_ns;
    node.mapped().info.start_ns = start_ns;
    auto inserted = entries_.insert(std::move(node));
    if (!entry.alive) queue_of(entry).insert({entry.exit_ns, inserted.position->first});
}

ProcessEntry* ProcessTable::insert(const ProcessInfo& info) {
    if (entries_.size() >= options_.max_entries) {
        // The quiet exits first: nothing asks for them.
        ExitQueue& queue = quiet_exited_.empty() ? exited_ : quiet_exited_;
        if (queue.empty()) {
            ++counters_.refused_full;
            return nullptr;
        }
        erase(entries_.find(queue.begin()->second));
        ++counters_.evicted_pressure;
    }
    auto [it, added] = entries_.try_emplace(Key{info.pid, info.start_ns});
    it->second.info = info;
    return &it->second;
}

void ProcessTable::mark_exited(ProcessEntry& entry, std::uint64_t exit_ns) {
    Key key{entry.info.pid, entry.info.start_ns};
    if (!entry.alive) queue_of(entry).erase({entry.exit_ns, key});
    entry.alive = false;
    entry.exit_ns = exit_ns;
    // Seeded: what came before us is unknown, so it may well be named.
    entry.quiet_exit = !entry.referenced && !entry.seeded;
    queue_of(entry).insert({exit_ns, key});
}

void ProcessTable::erase(Entries::iterator it) {
    if (!it->second.alive) queue_of(it->second).erase({it->second.exit_ns, it->first});
    entries_.erase(it);
}

}  // namespace hupwatch
