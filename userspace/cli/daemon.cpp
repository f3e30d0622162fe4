#include "daemon.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "boot_clock.h"
#include "capability_drop.h"
#include "console.h"
#include "preflight.h"
#include "prometheus_text.h"
#include "query_dispatch.h"
#include "stop_signals.h"
#include "store_schema.h"

namespace hupwatch {
namespace {

// Metrics a scrape sees are at most this old.
constexpr std::uint64_t kPublishPeriodNs = 250'000'000ULL;
// The terminal heartbeat's period.
constexpr std::uint64_t kHeartbeatPeriodNs = 60'000'000'000ULL;

}  // namespace

Daemon::Daemon(DaemonConfig config)
    : config_(std::move(config)),
      metrics_(config_.metrics),
      cpu_probe_(config_.monitor.proc_root),
      // The HTTP thread only ever reads the latest published snapshot: a
      // scrape never waits for the event path, nor the event path for it.
      endpoint_(config_.listen_address, config_.telemetry_path,
                [this] { return render_prometheus_text(*metrics_.snapshot()); }) {
    metrics_.set_orphan_cpu_probe(
        [this](std::uint32_t pid) { return cpu_probe_.cpu_seconds(pid); });
    sinks_.add(metrics_);
}

Daemon::~Daemon() = default;

int Daemon::start() {
    if (int code = open_sinks(); code != kExitOk) return code;
    if (auto failure = run_preflight(); failure.code != kExitOk) {
        say("{}", failure.message);
        return failure.code;
    }
    std::string error;
    if (!endpoint_.start(error)) {
        say("{}", error);
        return kExitUsage;
    }
    if (int code = open_store(); code != kExitOk) return code;
    open_query_socket();
    CollectorError start_error;
    monitor_ = LiveMonitor::start(config_.monitor, sinks_, start_error);
    if (!monitor_) {
        if (store_) store_->close();
        say("{}", start_error.message);
        return start_error.code;
    }
    // Attached: from here on only /proc needs privilege (capability_drop.h).
    std::string drop_error;
    if (!drop_capabilities_after_attach(drop_error)) {
        if (store_) store_->close();
        say("{}", drop_error);
        return kExitFailure;
    }
    // The first audit before "running": the first scrape has the jobs at
    // risk, and the orphan gauges count the jobs orphaned before this start.
    metrics_.set_audit(RiskAudit::audit(config_.monitor.proc_root));
    publish(boot_now_ns());
    if (!monitor_->pid_namespace().initial())
        say("hupwatch: pids are reported in pid namespace {}; processes outside it are not "
            "seen (hupwatch_events_hidden_by_pid_namespace_total counts their events)",
            monitor_->pid_namespace().describe());
    // Port 0 asks the kernel for one: name the address it gave.
    std::string address = config_.listen_address;
    if (address.ends_with(":0"))
        address = address.substr(0, address.size() - 1) + std::to_string(endpoint_.port());
    say("hupwatch: running ({} processes seeded from {}; metrics on {}{}, port {}; CapEff {})",
        monitor_->seeded(), config_.monitor.proc_root, address, config_.telemetry_path,
        endpoint_.port(), effective_capabilities_hex());
    // After "running", which a supervisor (and tests/e2e) waits for first.
    if (const auto& why = monitor_->proc_connector_unused(); !why.empty())
        say("hupwatch: setsid events are derived, not from the proc connector: {}", why);
    // Processes from before the probes have no fork event: the store keeps
    // what /proc showed, for tree --at and why.
    if (store_) store_->record_seed(monitor_->take_seed());
    audit_ = std::make_unique<LostExitRepair>(
        *monitor_, config_.monitor.proc_root, config_.audit_interval,
        [this](AuditResult r) { metrics_.set_audit(std::move(r)); });
    return kExitOk;
}

int Daemon::open_sinks() {
    std::string error;
    if (config_.terminal_log) {
        terminal_log_ = std::make_unique<TerminalLog>(kHeartbeatPeriodNs);
        sinks_.add(*terminal_log_);
    }
    if (config_.json) {
        json_sink_ = std::make_unique<JsonLinesSink>(*config_.json);
        if (!json_sink_->open(error)) {
            say("{}", error);
            return kExitUsage;
        }
        sinks_.add(*json_sink_);
    }
    if (config_.journald) {
        journald_sink_ = std::make_unique<JournaldSink>();
        // No journal is no reason to stop monitoring: say it once, count
        // each lost finding (hupwatch_journald_errors_total), go on.
        if (!journald_sink_->check(error)) say("{}", error);
        sinks_.add(*journald_sink_);
    }
    return kExitOk;
}

int Daemon::open_store() {
    if (!config_.store) return kExitOk;
    std::string error;
    if (!(store_ = SqliteStore::open(*config_.store, error))) {
        say("{}", error);
        return kExitDatabase;
    }
    sinks_.add(*store_);
    return kExitOk;
}

void Daemon::open_query_socket() {
    if (config_.query_socket.empty()) return;
    QueryServerOptions options;
    options.path = config_.query_socket;
    // The same readers as the CLI, on the store this daemon writes.
    queries_ = std::make_unique<QueryServer>(
        options, [db = config_.store->path](const QueryRequest& r, const QueryCaller& c) {
            return answer_query(r, c, db);
        });
    std::string error;
    // Answers for ordinary users are no reason to stop monitoring (another
    // hupwatch on the socket, a read-only /run): say it once, go on.
    if (!queries_->start(error)) {
        say("{}; running without a query socket", error);
        queries_.reset();
    }
}

int Daemon::loop() {
    std::string error;
    while (!stop_requested()) {
        audit_->before_poll(boot_now_ns());
        int rc = monitor_->poll(kMonitorPollMs);
        if (rc < 0 && rc != -EINTR) {
            say("hupwatch: reading the ring buffer failed: {}", strerror(-rc));
            return kExitFailure;
        }
        if (take_reload_request() && json_sink_ && !json_sink_->reopen(error))
            spdlog::error("{}", error);
        if (json_sink_) json_sink_->flush();
        if (std::uint64_t now = boot_now_ns(); now - last_publish_ns_ >= kPublishPeriodNs)
            publish(now);
    }
    return kExitOk;
}

void Daemon::publish(std::uint64_t now_ns) {
    if (store_)
        metrics_.set_store_counters({store_->rows_written(), store_->rows_pruned(),
                                     store_->dropped(), store_->write_errors(),
                                     store_->rows_lost_to_write_errors()});
    MetricsState::SinkCounters sinks;
    if (json_sink_) {
        sinks.json_lines_written = json_sink_->lines_written();
        sinks.json_write_errors = json_sink_->write_errors();
        sinks.json_rotations = json_sink_->rotations();
    }
    if (journald_sink_) {
        sinks.journald_sent = journald_sink_->sent();
        sinks.journald_errors = journald_sink_->errors();
    }
    metrics_.set_sink_counters(sinks);
    if (queries_) {
        auto q = queries_->counters();
        metrics_.set_query_counters({q.answered, q.bad_requests, q.refused, q.failed});
    }
    MonitorCounters counters = monitor_->counters();
    metrics_.publish(now_ns, counters, monitor_->table().size());
    if (terminal_log_) terminal_log_->tick(now_ns, counters, monitor_->table().size());
    last_publish_ns_ = now_ns;
}

void Daemon::stop() {
    audit_.reset();
    if (queries_) queries_->stop();
    if (json_sink_) json_sink_->flush();
    if (store_) {
        store_->close();
        say("hupwatch: store: {} rows written, {} dropped, {} write errors ({} rows lost)",
            store_->rows_written(), store_->dropped(), store_->write_errors(),
            store_->rows_lost_to_write_errors());
    }
    if (monitor_) say("hupwatch: stopped after {}", monitor_->counters().summary());
}

}  // namespace hupwatch
