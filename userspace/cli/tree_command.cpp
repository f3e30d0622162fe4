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
#include "stored_process.h"
#include "story_lines.h"
#include "time_arg.h"

namespace hupwatch {
namespace {

// Events a little before the run's recorded start belong to it: the probes
// attach before the run row is written.
constexpr std::int64_t kRunStartSlackNs = 60'000'000'000;
// A live run's last_wall_ns lags by up to its refresh period (docs/store.md:
// every commit, and every 5 s when idle).
constexpr std::int64_t kRunRefreshSlackNs = 10'000'000'000;

bool kernel_thread(const StoredProcess& p) {
    return p.pid == 2 || p.ppid == 2;
}

void print_branch(const StoredProcess& p, std::int64_t now,
                  const std::multimap<std::uint32_t, const StoredProcess*>& children, int depth,
                  std::string& out) {
    out += fmt::format("{:>7} {:<10} {:<7} {:>7} {:<19} {}{}\n", p.pid, user_name_of(p.uid),
                       p.tty.empty() ? "-" : p.tty, p.sid, local_stamp(p.start_wall_ns, now),
                       std::string(static_cast<std::size_t>(depth) * 2, ' '),
                       command_for_terminal(p.argv, p.comm));
    if (depth > 64) return;  // a cycle from inconsistent data must not recurse forever
    auto [first, last] = children.equal_range(p.pid);
    for (auto it = first; it != last; ++it)
        print_branch(*it->second, now, children, depth + 1, out);
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
        fmt::print(stderr, "hupwatch: --at: {}\n", error);
        return kExitUsage;
    }
    std::vector<StoredProcess> alive;
    StoredRun run;
    try {
        EventStoreReader store(options.db_path);
        auto runs = store.runs();
        auto covering = std::find_if(runs.rbegin(), runs.rend(),
                                     [&](const StoredRun& r) { return r.started_wall_ns <= *at; });
        if (covering == runs.rend()) {
            fmt::print(stderr, "hupwatch: no data at {}: the store begins at {}\n",
                       rfc3339_wall(*at),
                       runs.empty() ? "no run" : rfc3339_wall(runs.front().started_wall_ns));
            return kExitFailure;
        }
        run = *covering;
        // A running daemon refreshes last_wall_ns every few seconds: only a
        // run that stopped, or went quiet, ends before T.
        if (*at > run.last_wall_ns + kRunRefreshSlackNs)
            fmt::print(stderr,
                       "hupwatch: run {} recorded until {}; {} is after it: showing the "
                       "last known state\n",
                       run.id, rfc3339_wall(run.last_wall_ns), rfc3339_wall(*at));
        ProcessHistory history;
        for (const auto& seed : store.seeds_of_run(run.id))
            history.add_seed(seed, run.clock_offset_ns);
        for (const auto& e : store.lifecycle(run.id, run.started_wall_ns - kRunStartSlackNs, *at))
            history.add_event(e);
        for (auto& p : history.processes())
            if (p.alive_at(*at) && !kernel_thread(p)) alive.push_back(std::move(p));
    } catch (const StoreError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return kExitDatabase;
    }
    std::sort(alive.begin(), alive.end(), [](const auto& a, const auto& b) {
        return a.start_wall_ns != b.start_wall_ns ? a.start_wall_ns < b.start_wall_ns
                                                  : a.pid < b.pid;
    });

    std::string out;
    if (options.json) {
        nlohmann::ordered_json j;
        j["at"] = rfc3339_wall(*at);
        j["run"] = run.id;
        j["processes"] = nlohmann::ordered_json::array();
        for (const auto& p : alive) {
            nlohmann::ordered_json item;
            item["pid"] = p.pid;
            item["start_ns"] = p.start_ns;
            item["ppid"] = p.ppid_at(*at);
            item["sid"] = p.sid;
            item["uid"] = p.uid;
            item["user"] = user_name_of(p.uid);
            item["tty"] =
                p.tty.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(p.tty);
            item["comm"] = p.comm;
            item["argv"] = p.argv;
            item["started"] = rfc3339_wall(p.start_wall_ns);
            item["seeded"] = p.seeded;
            j["processes"].push_back(std::move(item));
        }
        out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
        std::map<std::uint32_t, const StoredProcess*> by_pid;
        for (const auto& p : alive) by_pid[p.pid] = &p;
        std::multimap<std::uint32_t, const StoredProcess*> children;
        std::vector<const StoredProcess*> roots;
        for (const auto& p : alive) {
            std::uint32_t parent = p.ppid_at(*at);
            if (parent != p.pid && by_pid.count(parent))
                children.emplace(parent, &p);
            else
                roots.push_back(&p);
        }
        out += fmt::format("{:>7} {:<10} {:<7} {:>7} {:<19} {}\n", "PID", "USER", "TTY", "SID",
                           "STARTED", "COMMAND");
        for (const auto* root : roots) print_branch(*root, now, children, 0, out);
        out = fit_to_terminal(std::move(out), options.wide);
    }
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
