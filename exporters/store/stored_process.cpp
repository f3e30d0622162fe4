#include "stored_process.h"

#include <nlohmann/json.hpp>

namespace hupwatch {

std::uint32_t StoredProcess::ppid_at(std::int64_t wall_ns) const {
    std::uint32_t parent = ppid;
    for (const auto& r : reparents)
        if (r.wall_ns <= wall_ns) parent = r.new_ppid;
    return parent;
}

StoredProcess* ProcessHistory::locate(std::uint32_t pid, std::uint64_t start_ns) {
    auto it = by_pid_.find(pid);
    if (it == by_pid_.end()) return nullptr;
    for (auto& p : it->second) {
        if (!p.has_start(start_ns)) continue;
        p.start_ns = start_ns;  // the event's start is exact
        return &p;
    }
    return nullptr;
}

void ProcessHistory::add_seed(const StoredSeed& seed, std::int64_t clock_offset_ns) {
    if (locate(seed.pid, seed.start_ns)) return;
    // A seed of a later run for a process an earlier run saw: same process.
    StoredProcess p;
    p.pid = seed.pid;
    p.start_ns = seed.start_ns;
    p.start_wall_ns = static_cast<std::int64_t>(seed.start_ns) + clock_offset_ns;
    p.seeded = true;
    p.start_tick_ns = seed.start_tick_ns ? seed.start_tick_ns : 1;
    p.ppid = seed.ppid;
    p.sid = seed.sid;
    p.uid = seed.uid;
    p.tty = seed.tty;
    p.comm = seed.comm;
    p.argv = seed.argv;
    by_pid_[seed.pid].push_back(std::move(p));
}

void ProcessHistory::add_event(const StoredEvent& e) {
    StoredProcess* p = locate(e.pid, e.start_ns);
    if (!p) {
        StoredProcess fresh;
        fresh.pid = e.pid;
        fresh.start_ns = e.start_ns;
        // Same clock offset as the event: wall - ktime.
        fresh.start_wall_ns = e.wall_ns - static_cast<std::int64_t>(e.ktime_ns) +
                              static_cast<std::int64_t>(e.start_ns);
        fresh.ppid = e.ppid;
        fresh.sid = e.sid;
        fresh.uid = e.uid;
        fresh.tty = e.tty;
        fresh.comm = e.comm;
        auto& list = by_pid_[e.pid];
        list.push_back(std::move(fresh));
        p = &list.back();
    }
    if (e.type == "fork") {
        p->ppid = e.ppid;
        p->parent_start_ns = e.peer_start_ns;
        p->comm = e.comm;
    } else if (e.type == "exec") {
        p->comm = e.comm;
        auto j = nlohmann::json::parse(e.json, nullptr, false);
        if (j.is_object() && j.contains("argv") && j["argv"].is_array()) {
            p->argv.clear();
            for (const auto& a : j["argv"])
                if (a.is_string()) p->argv.push_back(a.get<std::string>());
        }
    } else if (e.type == "exit") {
        p->exit_wall_ns = e.wall_ns;
        p->exit = e;
    } else if (e.type == "reparent") {
        std::string reaper;
        auto j = nlohmann::json::parse(e.json, nullptr, false);
        if (j.is_object() && j.contains("reaper") && j["reaper"].is_string())
            reaper = j["reaper"].get<std::string>();
        p->reparents.push_back({e.wall_ns, e.peer_pid, e.peer_start_ns, reaper});
    } else if (e.type == "setsid") {
        p->sid = e.sid;
        p->tty = e.tty;
    }
    if (e.type != "signal") p->uid = e.uid;
}

std::vector<StoredProcess> ProcessHistory::processes() const {
    std::vector<StoredProcess> out;
    for (const auto& [pid, list] : by_pid_)
        for (const auto& p : list) out.push_back(p);
    return out;
}

}  // namespace hupwatch
