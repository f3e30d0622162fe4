// The window's processes from its decoded events.
#include "report_processes.h"

#include <type_traits>

namespace hupwatch {

ProcessHistory::ProcessHistory(const ReportInput& input) {
    for (const auto& e : input.events) apply(e);
    for (const auto& f : input.findings) attach_verdict(f);
}

ProcessLife& ProcessHistory::life_of(const ProcessInfo& info, const TimedEvent& at) {
    const ProcessKey key{info.pid, info.start_ns};
    auto [it, added] = processes_.try_emplace(key);
    ProcessLife& p = it->second;
    if (added) {
        p.key = key;
        p.ppid = info.ppid;
        p.sid = info.sid;
        p.uid = info.uid;
        p.pgid = info.pgid;
        p.tty_dev = info.tty_dev;
        p.comm = info.comm;
        p.clock_offset_ns = at.clock_offset_ns;
        p.start_wall_ns = static_cast<std::int64_t>(info.start_ns) + at.clock_offset_ns;
        by_pid_.emplace(info.pid, key);
    }
    // Its latest session (a new session's leader called setsid() after its
    // fork), group (setpgid) and name (exec).
    p.sid = info.sid;
    p.pgid = info.pgid;
    p.comm = info.comm;
    p.events.push_back(&at);
    return p;
}

void ProcessHistory::apply(const TimedEvent& timed) {
    std::visit(
        [&](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, ForkEvent>) {
                life_of(e.child, timed);
            } else if constexpr (std::is_same_v<T, ExecEvent>) {
                life_of(e.proc, timed).argv = e.argv;
            } else if constexpr (std::is_same_v<T, ExitEvent>) {
                auto& p = life_of(e.proc, timed);
                p.end_wall_ns = timed.wall_ns;
                p.raw_status = e.raw_status;
            } else if constexpr (std::is_same_v<T, SignalEvent>) {
                life_of(e.target, timed).signals.push_back({timed.wall_ns, &e});
            } else if constexpr (std::is_same_v<T, ReparentEvent>) {
                auto& p = life_of(e.child, timed);
                if (p.reparent_wall_ns) return;  // the first reparenting is the orphaning
                p.reparent_wall_ns = timed.wall_ns;
                p.new_parent_pid = e.new_ppid;
                if (e.new_parent_start_ns)
                    p.new_parent = ProcessKey{e.new_ppid, e.new_parent_start_ns};
                p.reaper = e.reaper;
            } else if constexpr (std::is_same_v<T, SessionEvent>) {
                auto& p = life_of(e.proc, timed);
                if (e.call == SessionCall::Setsid && e.ret > 0) p.own_session = true;
            } else if constexpr (std::is_same_v<T, OutputLostEvent>) {
                auto& p = life_of(e.proc, timed);
                if (!p.output_lost_wall_ns) p.output_lost_wall_ns = timed.wall_ns;
            } else {
                life_of(e.proc, timed);
            }
        },
        timed.event.body);
}

void ProcessHistory::attach_verdict(const TimedFinding& timed) {
    const auto* v = std::get_if<Verdict>(&timed.finding);
    if (!v) return;
    auto it = processes_.find({v->process.pid, v->process.start_ns});
    if (it == processes_.end()) {
        // A verdict on a process whose events fall outside the window: its
        // life as the verdict tells it.
        ProcessLife p;
        p.key = {v->process.pid, v->process.start_ns};
        p.ppid = v->ppid;
        p.sid = v->sid;
        p.uid = v->uid;
        p.tty_dev = v->tty_dev;
        p.comm = v->process.comm;
        p.argv = v->argv;
        p.clock_offset_ns = timed.clock_offset_ns;
        p.start_wall_ns = static_cast<std::int64_t>(v->process.start_ns) + timed.clock_offset_ns;
        it = processes_.emplace(p.key, std::move(p)).first;
        by_pid_.emplace(v->process.pid, it->first);
    }
    if (it->second.argv.empty()) it->second.argv = v->argv;
    it->second.verdicts.push_back(&timed);
}

const ProcessLife* ProcessHistory::find(const ProcessKey& key) const {
    auto it = processes_.find(key);
    return it == processes_.end() ? nullptr : &it->second;
}

const ProcessLife* ProcessHistory::find_at(std::uint32_t pid, std::int64_t wall_ns) const {
    const ProcessLife* best = nullptr;
    auto [lo, hi] = by_pid_.equal_range(pid);
    for (auto it = lo; it != hi; ++it) {
        const ProcessLife& p = processes_.at(it->second);
        if (p.start_wall_ns > wall_ns) continue;
        if (!best || p.start_wall_ns > best->start_wall_ns) best = &p;
    }
    return best;
}

const ProcessLife* ProcessHistory::parent_of(const ProcessLife& p) const {
    return find_at(p.ppid, p.start_wall_ns);
}

}  // namespace hupwatch
