// hupwatch: the one binary, with subcommands.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <system_error>

#include "cli_commands.h"
#include "log_lines.h"
#include "preflight.h"
#include "query_dispatch.h"
#include "standard_fds.h"
#include "version.h"

namespace {

// The command line parsed; an exit code when there is nothing to run (help,
// version, or bad usage, said in one line).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
    // CLI11 would only say that a subcommand is required: name the word.
    auto is_command = [&](CLI::App* cmd) { return cmd->check_name(argv[1]); };
    if (argc > 1 && argv[1][0] != '-' && app.get_subcommands(is_command).empty()) {
        fmt::print(stderr, "hupwatch: unknown command '{}' (see hupwatch --help)\n", argv[1]);
        return hupwatch::kExitUsage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, then the usage exit code, whatever CLI11's own code is.
        // "A subcommand is required" also answers `hupwatch --frobnicate`:
        // name the option CLI11 passed over instead.
        bool unknown_option =
            dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && argc > 1 && argv[1][0] == '-';
        if (unknown_option)
            hupwatch::say("hupwatch: unknown option '{}' (see hupwatch --help)", argv[1]);
        else
            hupwatch::say("hupwatch: {} (see hupwatch --help)", e.what());
        return hupwatch::kExitUsage;
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    hupwatch::reserve_standard_fds();
    hupwatch::send_logs_to_stderr();
    CLI::App app{
        "hupwatch: who killed my job? eBPF monitor of SSH disconnects, SIGHUP deaths "
        "and orphaned jobs"};
    app.set_version_flag("-V,--version", std::string("hupwatch ") + HUPWATCH_VERSION);
    app.require_subcommand(1);

    hupwatch::WatchOptions watch;
    auto* watch_cmd = app.add_subcommand("watch", "Stream process lifecycle events live");
    hupwatch::add_watch_options(*watch_cmd, watch);

    hupwatch::RunOptions run;
    auto* run_cmd = app.add_subcommand(
        "run", "The daemon: correlate, serve Prometheus metrics, write events to sinks");
    hupwatch::add_run_options(*run_cmd, run);

    auto* check_cmd = app.add_subcommand("check", "Report whether hupwatch can run on this host");

    hupwatch::PsOptions ps;
    auto* ps_cmd = app.add_subcommand(
        "ps", "The interactive sessions as a forest, with each job's risk of dying on hangup");
    hupwatch::add_ps_options(*ps_cmd, ps);

    hupwatch::ReplayOptions replay;
    auto* replay_cmd = app.add_subcommand(
        "replay", "The stored story in time order: disconnects, signals, verdicts (docs/store.md)");
    hupwatch::add_replay_options(*replay_cmd, replay);
    hupwatch::WhyOptions why;
    auto* why_cmd = app.add_subcommand(
        "why", "One process's stored story: lineage, signals, end, disconnect, output");
    hupwatch::add_why_options(*why_cmd, why);
    hupwatch::TreeOptions tree;
    auto* tree_cmd = app.add_subcommand("tree", "The process forest as stored at a past time");
    hupwatch::add_tree_options(*tree_cmd, tree);
    // The readers ask the daemon when the store is not theirs to read.
    std::string query_socket = hupwatch::kDefaultQuerySocket;
    for (auto* reader : {replay_cmd, why_cmd, tree_cmd})
        hupwatch::add_query_client_option(*reader, query_socket);
    auto read_or_ask = [&](CLI::App* cmd, const std::string& db_path, auto read) {
        if (!hupwatch::store_needs_daemon(db_path)) return read();
        return hupwatch::ask_daemon_for(cmd->get_name(), hupwatch::forwarded_args(argc, argv),
                                        query_socket, db_path);
    };

    hupwatch::ReportOptions report;
    auto* report_cmd = app.add_subcommand(
        "report", "A window of the store as one self-contained HTML page: sessions as timelines");
    hupwatch::add_report_options(*report_cmd, report);

    if (auto done = parse(app, argc, argv)) return *done;

    try {
        if (*watch_cmd) return hupwatch::run_watch(watch);
        if (*run_cmd) return hupwatch::run_daemon(run);
        if (*check_cmd) return hupwatch::run_check();
        if (*ps_cmd) return hupwatch::run_ps(ps);
        if (*replay_cmd)
            return read_or_ask(replay_cmd, replay.db_path, [&] { return run_replay(replay); });
        if (*why_cmd) return read_or_ask(why_cmd, why.db_path, [&] { return run_why(why); });
        if (*tree_cmd) return read_or_ask(tree_cmd, tree.db_path, [&] { return run_tree(tree); });
        if (*report_cmd) return hupwatch::run_report(report);
    } catch (const std::system_error&) {
        // A write to a stream that is gone (fmt::print on a closed pipe):
        // nothing more can be said, and the output is incomplete.
        return hupwatch::kExitFailure;
    }
    return hupwatch::kExitUsage;
}
