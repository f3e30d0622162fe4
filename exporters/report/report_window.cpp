// The window's processes: the table's fold, marked with what the window saw
// (report_window.h).
#include "report_window.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "boot_clock.h"

namespace hupwatch {
namespace {

ProcessKey key_of(const ProcessEntry& e) {
    return {e.info.pid, e.info.start_ns};
}

// Its terminal now, else the one it had in its session before a hangup
// cleared it (report_input.h).
std::uint32_t terminal_of(const ProcessEntry& e, const ReportInput& input) {
    if (e.info.tty_dev != 0) return e.info.tty_dev;
    auto it = input.terminals.find({e.info.pid, e.info.start_ns});
    return it != input.terminals.end() && it->second.sid == e.info.sid ? it->second.tty_dev : 0;
}

}  // namespace

WindowProcesses::WindowProcesses(const ReportInput& input) : stored_(input.processes) {
    for (const ProcessEntry* e : stored_.table().entries()) {
        ProcessLife life;
        life.entry = e;
        life.key = key_of(*e);
        life.start_wall_ns = stored_.start_wall(*e);
        life.end_wall_ns = stored_.exit_wall(*e);
        life.tty_dev = terminal_of(*e, input);
        processes_.emplace(life.key, std::move(life));
    }
    for (const auto& e : input.events) mark(e);
    for (const auto& f : input.findings)
        if (const auto* v = std::get_if<Verdict>(&f.finding))
            if (ProcessLife* p = life_of(v->process.pid, v->process.start_ns)) {
                p->verdicts.push_back(&f);
                if (v->output_lost) mark_output_lost(*p, *v, f.clock_offset_ns);
            }
    link_parents();
    orphaned_from_.clear();
}

// As the table finds it (a seeded start within its /proc tick), then ours.
const ProcessLife* WindowProcesses::find(std::uint32_t pid, std::uint64_t start_ns) const {
    const ProcessEntry* e = stored_.table().find(pid, start_ns);
    auto it = e ? processes_.find(key_of(*e)) : processes_.end();
    return it == processes_.end() ? nullptr : &it->second;
}

ProcessLife* WindowProcesses::life_of(std::uint32_t pid, std::uint64_t start_ns) {
    return const_cast<ProcessLife*>(std::as_const(*this).find(pid, start_ns));
}

void WindowProcesses::mark(const TimedEvent& timed) {
    const ProcessInfo& subject = timed.event.subject();
    ProcessLife* p = life_of(subject.pid, subject.start_ns);
    if (!p) return;  // refused by the table's bound (counted there)
    p->events.push_back(&timed);
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, SignalEvent>) {
                p->signals.push_back({timed.wall_ns, &e});
            } else if constexpr (std::is_same_v<T, ReparentEvent>) {
                if (p->reparent_wall_ns) return;  // the first reparenting is the orphaning
                p->reparent_wall_ns = timed.wall_ns;
                p->new_parent_pid = e.new_ppid;
                if (e.new_parent_start_ns) p->new_parent = find(e.new_ppid, e.new_parent_start_ns);
                p->reaper = e.reaper;
                orphaned_from_[p->key] = &e;
            } else if constexpr (std::is_same_v<T, SessionEvent>) {
                if (e.call == SessionCall::Setsid && e.ret > 0) p->own_session = true;
            } else if constexpr (std::is_same_v<T, OutputLostEvent>) {
                if (!p->output_lost_wall_ns) p->output_lost_wall_ns = timed.wall_ns;
            }
        },
        timed.event.body);
}

// A verdict that found the process's output lost (the kernel named its
// hung-up terminal fds when the verdict settled, or its writes failed): lost
// from the hangup that left it on a dead terminal, else from the fact the
// verdict tells (its orphaning), unless a failed write was seen earlier.
void WindowProcesses::mark_output_lost(ProcessLife& p, const Verdict& v,
                                       std::int64_t clock_offset_ns) {
    const std::uint64_t from = v.disconnect_ktime_ns.value_or(v.ktime_ns);
    const std::int64_t wall = BootClock(clock_offset_ns).wall_ns(from);
    p.output_lost_wall_ns = std::min(p.output_lost_wall_ns.value_or(wall), wall);
}

// The parent each was born to, found as the table finds parents: by its
// identity when recorded, else the holder of the pid alive at the birth.
void WindowProcesses::link_parents() {
    for (auto& [key, p] : processes_) {
        const ProcessEntry* parent = nullptr;
        auto orphan = orphaned_from_.find(key);
        if (orphan == orphaned_from_.end()) {
            parent = stored_.table().parent(*p.entry);
        } else {
            ProcessEntry born = *p.entry;
            born.info.ppid = orphan->second->old_ppid;
            born.parent_start_ns = orphan->second->old_parent_start_ns
                                       ? std::optional(orphan->second->old_parent_start_ns)
                                       : std::nullopt;
            parent = stored_.table().parent(born);
        }
        if (!parent || parent == p.entry) continue;
        auto it = processes_.find(key_of(*parent));
        if (it != processes_.end()) p.parent = &it->second;
    }
}

}  // namespace hupwatch
