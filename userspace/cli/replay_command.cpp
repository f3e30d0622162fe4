// `hupwatch replay`: the stored story in time order, in plain sentences (or
// the stored JSON lines), with hupwatch's own starts, stops and blind spots.
#include <fmt/format.h>
#include <pwd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "finding_format.h"
#include "preflight.h"
#include "story_lines.h"
#include "time_arg.h"

namespace hupwatch {
namespace {

struct StoryItem {
    std::int64_t wall_ns = 0;
    int rank = 0;  // orders items at the same instant: runs, events, findings
    std::int64_t id = 0;
    std::string text;
    std::string json;
};

std::optional<std::uint32_t> parse_user(const std::string& text) {
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return static_cast<std::uint32_t>(std::stoul(text));
    passwd pw{};
    passwd* found = nullptr;
    char buffer[4096];
    if (getpwnam_r(text.c_str(), &pw, buffer, sizeof(buffer), &found) == 0 && found)
        return pw.pw_uid;
    return std::nullopt;
}

std::string meta_json(const char* event, std::int64_t wall_ns, const nlohmann::ordered_json& rest) {
    nlohmann::ordered_json j;
    j["event"] = event;
    j["time"] = rfc3339_wall(wall_ns);
    for (const auto& [k, v] : rest.items()) j[k] = v;
    return j.dump();
}

void add_runs(EventStoreReader& store, const StoreFilter& f, std::int64_t now,
              std::vector<StoryItem>& items) {
    auto in_range = [&](std::int64_t t) { return t >= f.since_wall_ns && t <= f.until_wall_ns; };
    for (const auto& run : store.runs()) {
        if (in_range(run.started_wall_ns))
            items.push_back({run.started_wall_ns, 0, run.id,
                             fmt::format("{} hupwatch {} started recording on {} (run {})",
                                         local_stamp(run.started_wall_ns, now), run.version,
                                         run.hostname, run.id),
                             meta_json("hupwatch_start", run.started_wall_ns,
                                       {{"run", run.id},
                                        {"version", run.version},
                                        {"hostname", run.hostname},
                                        {"boot_id", run.boot_id}})});
        if (run.stopped_wall_ns && in_range(*run.stopped_wall_ns))
            items.push_back({*run.stopped_wall_ns, 3, run.id,
                             fmt::format("{} hupwatch stopped (run {})",
                                         local_stamp(*run.stopped_wall_ns, now), run.id),
                             meta_json("hupwatch_stop", *run.stopped_wall_ns, {{"run", run.id}})});
    }
    for (const auto& gap : store.gaps()) {
        if (gap.to_wall_ns < f.since_wall_ns || gap.from_wall_ns > f.until_wall_ns) continue;
        items.push_back(
            {gap.from_wall_ns, 3, gap.run_id,
             // Milliseconds: a quick restart leaves a gap within one second.
             fmt::format("{} no data between {} and {} ({}; hupwatch did not stop cleanly)",
                         local_stamp(gap.from_wall_ns, now), local_stamp_ms(gap.from_wall_ns, now),
                         local_stamp_ms(gap.to_wall_ns, now),
                         human_duration(static_cast<std::uint64_t>(
                             std::max<std::int64_t>(0, gap.to_wall_ns - gap.from_wall_ns)))),
             meta_json("gap", gap.from_wall_ns,
                       {{"from", rfc3339_wall(gap.from_wall_ns)},
                        {"to", rfc3339_wall(gap.to_wall_ns)}})});
    }
}

}  // namespace

void add_replay_options(CLI::App& cmd, ReplayOptions& options) {
    cmd.add_option("--db", options.db_path, "The event store")->capture_default_str();
    cmd.add_option("--since", options.since, std::string("From this time (") + kTimeForms + ")");
    cmd.add_option("--until", options.until, "Up to this time (same forms)");
    cmd.add_option("--pid", options.pid, "Every event of this pid (any process that had it)")
        ->check(CLI::Range(0LL, 4194304LL));
    cmd.add_option("--session", options.session, "Every event of this session id")
        ->check(CLI::Range(0LL, 4194304LL));
    cmd.add_option("--user", options.user, "Only this user (name or uid)");
    cmd.add_flag("--json", options.json, "The stored JSON lines (docs/events.md) instead of text");
    cmd.add_flag("--reanalyze", options.reanalyze,
                 "Run the correlator again over the stored events and print the findings it "
                 "derives (docs/store.md)");
}

int run_replay(const ReplayOptions& options) {
    const std::int64_t now = wall_now_ns();
    StoreFilter filter;
    std::string error;
    auto window = parse_time_window(options.since, options.until, now, error);
    if (!window) {
        fmt::print(stderr, "hupwatch: {}\n", error);
        return kExitUsage;
    }
    if (window->since_wall_ns) filter.since_wall_ns = *window->since_wall_ns;
    if (window->until_wall_ns) filter.until_wall_ns = *window->until_wall_ns;
    if (options.pid >= 0) filter.pid = static_cast<std::uint32_t>(options.pid);
    if (options.session >= 0) filter.sid = static_cast<std::uint32_t>(options.session);
    if (!options.user.empty()) {
        filter.uid = parse_user(options.user);
        if (!filter.uid) {
            fmt::print(stderr, "hupwatch: --user: no user '{}'\n", options.user);
            return kExitUsage;
        }
    }
    if (options.reanalyze) return run_reanalyze(options.db_path, filter, options.json);
    // Without a process or session to follow, the host's every fork and exec
    // would drown the story.
    filter.significant_only = !filter.pid && !filter.sid;

    std::vector<StoryItem> items;
    try {
        EventStoreReader store(options.db_path);
        add_runs(store, filter, now, items);
        for (auto& e : store.events(filter))
            items.push_back({e.wall_ns, 1, e.id,
                             fmt::format("{} {}", local_stamp(e.wall_ns, now), event_sentence(e)),
                             std::move(e.json)});
        if (filter.significant_only)
            for (auto& e : store.exits_with_verdicts(filter))
                items.push_back(
                    {e.wall_ns, 1, e.id,
                     fmt::format("{} {}", local_stamp(e.wall_ns, now), event_sentence(e)),
                     std::move(e.json)});
        for (auto& f : store.findings(filter))
            items.push_back({f.wall_ns, 2, f.id,
                             fmt::format("{} {}", local_stamp(f.wall_ns, now), finding_sentence(f)),
                             std::move(f.json)});
    } catch (const StoreError& e) {
        fmt::print(stderr, "{}\n", e.what());
        return kExitDatabase;
    }
    std::stable_sort(items.begin(), items.end(), [](const StoryItem& a, const StoryItem& b) {
        if (a.wall_ns != b.wall_ns) return a.wall_ns < b.wall_ns;
        if (a.rank != b.rank) return a.rank < b.rank;
        return a.id < b.id;
    });
    std::string out;
    for (const auto& item : items) {
        out += options.json ? item.json : item.text;
        out += '\n';
    }
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
