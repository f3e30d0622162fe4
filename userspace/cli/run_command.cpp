// `hupwatch run`: the always-on daemon. Attaches, correlates and feeds every
// sink; SIGTERM/SIGINT stop it with every sink flushed; SIGHUP reopens its
// log files (it never dies of SIGHUP).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "cli_commands.h"
#include "daemon.h"
#include "query_protocol.h"
#include "size_arg.h"
#include "sqlite_store.h"
#include "standard_fds.h"
#include "stop_signals.h"

namespace hupwatch {

void add_run_options(CLI::App& cmd, RunOptions& options) {
    add_monitor_options(cmd, options.monitor);
    cmd.add_option("--web.listen-address", options.listen_address,
                   "Address of the Prometheus endpoint (host:port; :9776 for every interface)")
        ->capture_default_str();
    cmd.add_option("--web.telemetry-path", options.telemetry_path, "Path of the metrics")
        ->capture_default_str();
    cmd.add_option("--events.json", options.events_json,
                   "Write events and findings as JSON lines to this file ('-': stdout)");
    cmd.add_option("--events.json.max-size", options.events_json_max_size,
                   "Rotate the JSON file before it exceeds this size (e.g. 100M; 0: never)")
        ->capture_default_str();
    cmd.add_option("--events.json.max-files", options.events_json_max_files,
                   "Rotated JSON files kept")
        ->capture_default_str();
    cmd.add_flag("--events.journald", options.events_journald,
                 "Send disconnects, session ends and verdicts to journald");
    cmd.add_option("--audit.interval", options.audit_interval_s,
                   "Seconds between the ps audits behind hupwatch_jobs_at_risk")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    cmd.add_option("--db", options.db_path, "The event store (SQLite; docs/store.md)")
        ->capture_default_str();
    cmd.add_option("--retention", options.retention,
                   "Keep stored events this long (30d, 12h; 0: forever)")
        ->capture_default_str();
    cmd.add_option("--db.max-size", options.db_max_size,
                   "Prune the oldest events beyond this size (e.g. 1G, 500M; 0: unlimited)")
        ->capture_default_str();
    cmd.add_flag("--no-db", options.no_db, "Do not keep an event store");
    cmd.add_option("--query.socket", options.query_socket,
                   "Answer why, replay and tree for ordinary users on this unix socket "
                   "(each sees their own processes)")
        ->default_str(kDefaultQuerySocket);
    cmd.add_flag("--no-query-socket", options.no_query_socket, "Do not answer on a query socket");
    cmd.add_option("--metrics.comm-limit", options.comm_label_limit,
                   "Distinct comm label values per metric family before folding into \"other\"")
        ->capture_default_str();
}

namespace {

// The checked options, or a one-line error.
bool daemon_config(const RunOptions& options, DaemonConfig& config, std::string& error) {
    if (!to_monitor_options(options.monitor, config.monitor, error)) return false;
    auto max_size = parse_size(options.events_json_max_size);
    if (!max_size) {
        error = fmt::format("hupwatch: bad --events.json.max-size '{}' (use e.g. 100M)",
                            options.events_json_max_size);
        return false;
    }
    if (options.telemetry_path.empty() || options.telemetry_path[0] != '/') {
        error = "hupwatch: --web.telemetry-path must start with '/'";
        return false;
    }
    if (!options.no_db) {
        StoreOptions store;
        if (!store_options_from_cli(options.db_path, options.retention, options.db_max_size, store,
                                    error))
            return false;
        config.store = store;
        // Answers come from the store: none without it.
        if (!options.no_query_socket)
            config.query_socket =
                options.query_socket.empty() ? kDefaultQuerySocket : options.query_socket;
    }
    if (options.events_json == "-" && !open_for_writing(STDOUT_FILENO)) {
        error = "hupwatch: --events.json -: stdout is not open for writing";
        return false;
    }
    if (!options.events_json.empty())
        config.json =
            JsonLinesOptions{options.events_json, *max_size, options.events_json_max_files};
    config.journald = options.events_journald;
    config.metrics.comm_label_limit = options.comm_label_limit;
    config.metrics.proc_root = options.monitor.proc_root;
    config.listen_address = options.listen_address;
    config.telemetry_path = options.telemetry_path;
    config.audit_interval = std::chrono::seconds(options.audit_interval_s);
    config.terminal_log = isatty(STDERR_FILENO) == 1;
    return true;
}

}  // namespace

int run_daemon(const RunOptions& options) {
    // First of all: a SIGTERM or SIGHUP during start-up (loading BPF takes a
    // second) must not kill the daemon by signal. A stop asked for then is
    // honoured once the main loop starts, through the same clean path.
    install_stop_signals();
    install_reload_signal();
    DaemonConfig config;
    std::string error;
    if (!daemon_config(options, config, error)) {
        say("{}", error);
        return kExitUsage;
    }
    Daemon daemon(std::move(config));
    if (int code = daemon.start(); code != kExitOk) return code;
    int code = daemon.loop();
    daemon.stop();
    return code;
}

}  // namespace hupwatch
