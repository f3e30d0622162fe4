// `hupwatch replay`: the stored story in time order, in plain sentences (or
// the stored JSON lines), with hupwatch's own starts, stops and blind spots.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "finding_format.h"
#include "preflight.h"
#include "stored_story.h"
#include "time_arg.h"

namespace hupwatch {
void add_replay_options(CLI::App& cmd, ReplayOptions& options) {
    add_store_window_options(cmd, options, "Every event of this pid (any process that had it)",
                             "Every event of this session id", "Only this user (name or uid)");
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
        say("hupwatch: {}", error);
        return kExitUsage;
    }
    if (window->since_wall_ns) filter.since_wall_ns = *window->since_wall_ns;
    if (window->until_wall_ns) filter.until_wall_ns = *window->until_wall_ns;
    if (options.pid >= 0) filter.pid = static_cast<std::uint32_t>(options.pid);
    if (options.session >= 0) filter.sid = static_cast<std::uint32_t>(options.session);
    if (!options.user.empty()) {
        filter.uid = uid_of_user(options.user);
        if (!filter.uid) {
            say("hupwatch: --user: no user '{}'", options.user);
            return kExitUsage;
        }
    }
    if (options.reanalyze) return run_reanalyze(options.db_path, filter, options.json);
    // Without a process or session to follow, the host's every fork and exec
    // would drown the story.
    filter.significant_only = !filter.pid && !filter.sid;

    Story story;
    try {
        EventStoreReader store(options.db_path, options.visibility);
        story = tell_story(store, filter, {options.json, now});
    } catch (const StoreError& e) {
        say("{}", e.what());
        return kExitDatabase;
    }
    if (story.undecodable != 0)
        say("hupwatch: {} stored lines did not decode (the last: {})", story.undecodable,
            story.last_error);
    std::string out;
    for (const auto& line : story.lines) {
        out += options.json ? line.json : line.text;
        out += '\n';
    }
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
