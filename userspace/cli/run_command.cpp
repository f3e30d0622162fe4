// `hupwatch run`: the always-on daemon. Attaches, correlates and feeds every
// sink; SIGTERM/SIGINT stop it with every sink flushed; SIGHUP reopens its
// log files (it never dies of SIGHUP).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>

#include "boot_clock.h"
#include "capability_drop.h"
#include "cli_commands.h"
#include "fanout_sink.h"
#include "journald_sink.h"
#include "json_lines_sink.h"
#include "live_monitor.h"
#include "metrics_state.h"
#include "preflight.h"
#include "proc_host_probe.h"
#include "proc_scanner.h"
#include "prometheus_endpoint.h"
#include "prometheus_text.h"
#include "risk_audit.h"
#include "size_arg.h"
#include "sqlite_store.h"
#include "stop_signals.h"
#include "store_schema.h"

namespace hupwatch {

// Metrics a scrape sees are at most this old.
constexpr std::uint64_t kPublishPeriodNs = 250'000'000ULL;

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
                   "Prune the oldest events beyond this size (e.g. 1G; 0: unlimited)")
        ->capture_default_str();
    cmd.add_flag("--no-db", options.no_db, "Do not keep an event store");
    cmd.add_option("--metrics.comm-limit", options.comm_label_limit,
                   "Distinct comm label values per metric family before folding into \"other\"")
        ->capture_default_str();
}

int run_daemon(const RunOptions& options) {
    // First of all: a SIGTERM or SIGHUP during start-up (loading BPF takes a
    // second) must not kill the daemon by signal. A stop asked for then is
    // honoured once the main loop starts, through the same clean path.
    install_stop_signals();
    install_reload_signal();
    MonitorOptions monitor_options;
    std::string error;
    if (!to_monitor_options(options.monitor, monitor_options, error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }
    auto max_size = parse_size(options.events_json_max_size);
    if (!max_size) {
        fmt::print(stderr, "hupwatch: bad --events.json.max-size '{}' (use e.g. 100M)\n",
                   options.events_json_max_size);
        return kExitUsage;
    }
    if (options.telemetry_path.empty() || options.telemetry_path[0] != '/') {
        fmt::print(stderr, "hupwatch: --web.telemetry-path must start with '/'\n");
        return kExitUsage;
    }

    StoreOptions store_options;
    if (!options.no_db && !store_options_from_cli(options.db_path, options.retention,
                                                  options.db_max_size, store_options, error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }

    FanoutSink sinks;
    MetricsStateOptions metrics_options;
    metrics_options.comm_label_limit = options.comm_label_limit;
    metrics_options.proc_root = options.monitor.proc_root;
    MetricsState metrics(metrics_options);
    ProcHostProbe cpu_probe(options.monitor.proc_root);
    metrics.set_orphan_cpu_probe(
        [&cpu_probe](std::uint32_t pid) { return cpu_probe.cpu_seconds(pid); });
    sinks.add(metrics);
    // The HTTP thread only ever reads the latest published snapshot: a
    // scrape never waits for the event path, nor the event path for it.
    PrometheusEndpoint endpoint(options.listen_address, options.telemetry_path,
                                [&metrics] { return render_prometheus_text(*metrics.snapshot()); });
    std::unique_ptr<JsonLinesSink> json_sink;
    if (!options.events_json.empty()) {
        json_sink = std::make_unique<JsonLinesSink>(
            JsonLinesOptions{options.events_json, *max_size, options.events_json_max_files});
        if (!json_sink->open(error)) {
            fmt::print(stderr, "{}\n", error);
            return kExitUsage;
        }
        sinks.add(*json_sink);
    }
    std::unique_ptr<JournaldSink> journald_sink;
    if (options.events_journald) {
        journald_sink = std::make_unique<JournaldSink>();
        sinks.add(*journald_sink);
    }

    if (auto failure = run_preflight(); failure.code != kExitOk) {
        fmt::print(stderr, "{}\n", failure.message);
        return failure.code;
    }
    if (!endpoint.start(error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }
    std::unique_ptr<SqliteStore> store;
    if (!options.no_db) {
        if (!(store = SqliteStore::open(store_options, error))) {
            fmt::print(stderr, "{}\n", error);
            return kExitDatabase;
        }
        sinks.add(*store);
    }
    CollectorError start_error;
    auto monitor = LiveMonitor::start(monitor_options, sinks, start_error);
    if (!monitor) {
        if (store) store->close();
        fmt::print(stderr, "{}\n", start_error.message);
        return start_error.code;
    }
    // Attached: from here on only /proc needs privilege (capability_drop.h).
    if (!drop_capabilities_after_attach(error)) {
        if (store) store->close();
        fmt::print(stderr, "{}\n", error);
        return kExitFailure;
    }
    fmt::print(stderr,
               "hupwatch: running ({} processes seeded from {}; metrics on {}{}, port {}; "
               "CapEff {})\n",
               monitor->seeded(), options.monitor.proc_root, options.listen_address,
               options.telemetry_path, endpoint.port(), effective_capabilities_hex());
    // Processes from before the probes have no fork event: the store keeps
    // what /proc showed, for tree --at and why.
    if (store) store->record_seed(monitor->take_seed());
    RiskAudit audit(options.monitor.proc_root, std::chrono::seconds(options.audit_interval_s),
                    [&metrics](auto by_user) { metrics.set_jobs_at_risk(std::move(by_user)); });
    std::uint64_t last_publish_ns = 0;

    int exit_code = kExitOk;
    while (!stop_requested()) {
        int rc = monitor->poll(kMonitorPollMs);
        if (rc < 0 && rc != -EINTR) {
            fmt::print(stderr, "hupwatch: reading the ring buffer failed: {}\n", strerror(-rc));
            exit_code = kExitFailure;
            break;
        }
        if (take_reload_request() && json_sink && !json_sink->reopen(error))
            spdlog::error("{}", error);
        if (json_sink) json_sink->flush();
        if (std::uint64_t now = boot_now_ns(); now - last_publish_ns >= kPublishPeriodNs) {
            if (store)
                metrics.set_store_counters({store->rows_written(), store->rows_pruned(),
                                            store->dropped(), store->write_errors()});
            metrics.publish(now, monitor->counters(), monitor->table().size());
            last_publish_ns = now;
        }
    }
    if (json_sink) json_sink->flush();
    if (store) {
        store->close();
        fmt::print(stderr, "hupwatch: store: {} rows written, {} dropped, {} write errors\n",
                   store->rows_written(), store->dropped(), store->write_errors());
    }
    fmt::print(stderr, "hupwatch: stopped after {}\n", monitor->counters().summary());
    return exit_code;
}

}  // namespace hupwatch
