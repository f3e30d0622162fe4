// `hupwatch tree --at T`: the process forest as the store knows it at T: the
// run's /proc seed and every fork, exec, exit, reparent and setsid up to T.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "event_text.h"
#include "host_probe.h"
#include "preflight.h"
#include "stored_processes.h"
#include "time_arg.h"
#include "tty_names.h"
#include "wall_stamp.h"

namespace hupwatch {
namespace {

// Events a little before the run's recorded start belong to it: the probes
// attach before the run row is written.
constexpr std::int64_t kRunStartSlackNs = 60'000'000'000;

// One line of the tree: a process alive at T, as the table knew it then.
struct TreeRow {
    const ProcessEntry* p = nullptr;
    std::int64_t start_wall_ns = 0;
};

std::string tty_of(const ProcessInfo& info) {
    return tty_name(info.tty_dev).value_or("");
}

void print_branch(const TreeRow& row, std::int64_t now,
                  const std::multimap<std::uint32_t, const TreeRow*>& children, int depth,
                  std::string& out) {
    const ProcessInfo& info = row.p->info;
    const std::string tty = tty_of(info);
    out += fmt::format("{:>7} {:<10} {:<7} {:>7} {:<19} {}{}\n", info.pid, user_name_of(info.uid),
                       tty.empty() ? "-" : tty, info.sid, local_stamp(row.start_wall_ns, now),
                       std::string(static_cast<std::size_t>(depth) * 2, ' '),
                       command_for_terminal(row.p->argv, info.comm));
    if (depth > 64) return;  // a cycle from inconsistent data must not recurse forever
    auto [first, last] = children.equal_range(info.pid);
    for (auto it = first; it != last; ++it)
        print_branch(*it->second, now, children, depth + 1, out);
}

std::string tree_json(const std::vector<TreeRow>& alive, std::int64_t at, std::int64_t run_id) {
    nlohmann::ordered_json j;
    j["at"] = rfc3339_wall(at);
    j["run"] = run_id;
    j["processes"] = nlohmann::ordered_json::array();
    for (const auto& row : alive) {
        const ProcessInfo& info = row.p->info;
        const std::string tty = tty_of(info);
        nlohmann::ordered_json item;
        item["pid"] = info.pid;
        item["start_ns"] = info.start_ns;
        item["ppid"] = info.ppid;
        item["sid"] = info.sid;
        item["uid"] = info.uid;
        item["user"] = user_name_of(info.uid);
        item["tty"] = tty.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(tty);
        item["comm"] = info.comm;
        item["argv"] = row.p->argv;
        item["started"] = rfc3339_wall(row.start_wall_ns);
        item["seeded"] = row.p->seeded;
        j["processes"].push_back(std::move(item));
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string tree_text(const std::vector<TreeRow>& alive, std::int64_t now) {
    std::map<std::uint32_t, const TreeRow*> by_pid;
    for (const auto& row : alive) by_pid[row.p->info.pid] = &row;
    std::multimap<std::uint32_t, const TreeRow*> children;
    std::vector<const TreeRow*> roots;
    for (const auto& row : alive) {
        std::uint32_t parent = row.p->info.ppid;
        if (parent != row.p->info.pid && by_pid.count(parent))
            children.emplace(parent, &row);
        else
            roots.push_back(&row);
    }
    std::string out = fmt::format("{:>7} {:<10} {:<7} {:>7} {:<19} {}\n", "PID", "USER", "TTY",
                                  "SID", "STARTED", "COMMAND");
    for (const auto* root : roots) print_branch(*root, now, children, 0, out);
    return out;
}

}  // namespace

void add_tree_options(CLI::App& cmd, TreeOptions& options) {
    cmd.add_option("--at", options.at, std::string("The time (") + kTimeForms + ")")->required();
    cmd.add_option("--db", options.db_path, "The event store")->capture_default_str();
    cmd.add_flag("--json", options.json, "One JSON object: {at, run, processes: [...]}");
    cmd.add_flag("-w,--wide", options.wide,
                 "Whole lines; without it, lines are cut to the terminal's width on a terminal");
}

int run_tree(const TreeOptions& options) {
    const std::int64_t now = wall_now_ns();
    std::string error;
    auto at = parse_time_arg(options.at, now, error);
    if (!at) {
        say("hupwatch: --at: {}", error);
        return kExitUsage;
    }
    std::size_t undecodable = 0;
    try {
        EventStoreReader store(options.db_path, options.visibility);
        auto runs = store.runs();
        auto covering = std::find_if(runs.rbegin(), runs.rend(),
                                     [&](const StoredRun& r) { return r.started_wall_ns <= *at; });
        if (runs.empty()) {
            say("hupwatch: no data at {}: the store has recorded no run yet", rfc3339_wall(*at));
            return kExitFailure;
        }
        if (covering == runs.rend()) {
            say("hupwatch: no data at {}: the store begins at {}", rfc3339_wall(*at),
                rfc3339_wall(runs.front().started_wall_ns));
            return kExitFailure;
        }
        const StoredRun& run = *covering;
        // A running daemon refreshes last_wall_ns every few seconds: only a
        // run that stopped, or went quiet, ends before T.
        if (*at > run.last_wall_ns + kRunRefreshSlackNs)
            say("hupwatch: run {} recorded until {}; {} is after it: showing the "
                "last known state",
                run.id, rfc3339_wall(run.last_wall_ns), rfc3339_wall(*at));
        StoredProcesses history;
        std::vector<TreeRow> alive;
        for (const auto& seed : store.seeds_of_run(run.id))
            history.add_seed(seed, run.clock_offset_ns);
        for (const auto& e : store.lifecycle(run.id, run.started_wall_ns - kRunStartSlackNs, *at))
            if (!history.add_event(e, error)) ++undecodable;
        for (const ProcessEntry* p : history.table().entries())
            if (history.alive_at(*p, *at) && !is_kernel_thread(p->info))
                alive.push_back({p, history.start_wall(*p)});
        if (undecodable != 0)
            say("hupwatch: {} stored events did not decode (the last: {})", undecodable, error);
        std::sort(alive.begin(), alive.end(), [](const TreeRow& a, const TreeRow& b) {
            return a.start_wall_ns != b.start_wall_ns ? a.start_wall_ns < b.start_wall_ns
                                                      : a.p->info.pid < b.p->info.pid;
        });
        std::string out = options.json ? tree_json(alive, *at, run.id)
                                       : fit_to_terminal(tree_text(alive, now), options.wide);
        return write_stdout(out) ? kExitOk : kExitFailure;
    } catch (const StoreError& e) {
        say("{}", e.what());
        return kExitDatabase;
    }
}

}  // namespace hupwatch
