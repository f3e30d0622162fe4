// `hupwatch why PID`: one process's story from the store: lineage up to its
// login session, start and command, how it ended (or that it lives on,
// orphaned), who signalled it, which disconnect it traces to, whether its
// output was lost. A reused pid lists every holder and picks one.
#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "preflight.h"
#include "time_arg.h"
#include "why_render.h"

namespace hupwatch {

void add_why_options(CLI::App& cmd, WhyOptions& options) {
    check_process_id(*cmd.add_option("pid", options.pid, "The process id")->required(), "pid", 1);
    cmd.add_option("--at", options.at,
                   "When several processes had the pid: the one alive then (default: the latest)");
    cmd.add_option("--db", options.db_path, "The event store")->capture_default_str();
    cmd.add_flag("--json", options.json, "One JSON object");
}

int run_why(const WhyOptions& options) {
    const std::int64_t now = wall_now_ns();
    std::string error;
    std::optional<std::int64_t> at;
    if (!options.at.empty()) {
        at = parse_time_arg(options.at, now, error);
        if (!at) {
            say("hupwatch: --at: {}", error);
            return kExitUsage;
        }
    }
    const auto pid = static_cast<std::uint32_t>(options.pid);
    std::string out;
    try {
        EventStoreReader store(options.db_path, options.visibility);
        auto report = build_why_report(store, pid, at);
        if (!report) {
            say("hupwatch: no process with pid {} in {}", pid, options.db_path);
            return kExitFailure;
        }
        out = options.json ? why_json(*report) : why_text(*report, now);
    } catch (const StoreError& e) {
        say("{}", e.what());
        return kExitDatabase;
    }
    return write_stdout(out) ? kExitOk : kExitFailure;
}

}  // namespace hupwatch
