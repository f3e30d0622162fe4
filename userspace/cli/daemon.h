// `hupwatch run` once its options are checked: the sinks, the metrics and
// their endpoint, the store, the live monitor and the audit, started in that
// order, run until a stop signal, and stopped with every sink flushed.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "fanout_sink.h"
#include "journald_sink.h"
#include "json_lines_sink.h"
#include "live_monitor.h"
#include "lost_exit_repair.h"
#include "metrics_state.h"
#include "proc_host_probe.h"
#include "prometheus_endpoint.h"
#include "query_server.h"
#include "sqlite_store.h"
#include "terminal_log.h"

namespace hupwatch {

struct DaemonConfig {
    MonitorOptions monitor;
    MetricsStateOptions metrics;
    std::string listen_address;
    std::string telemetry_path;
    std::optional<JsonLinesOptions> json;  // --events.json
    bool journald = false;
    std::optional<StoreOptions> store;  // nullopt: --no-db
    std::string query_socket;           // empty: none (--no-query-socket, --no-db)
    std::chrono::seconds audit_interval{30};
    bool terminal_log = false;  // findings and a heartbeat on stderr (a tty)
};

class Daemon {
   public:
    explicit Daemon(DaemonConfig config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Everything up to "hupwatch: running"; kExitOk, or the exit code after
    // a one-line error.
    int start();
    // Polls until a stop signal (kExitOk) or a ring-buffer failure.
    int loop();
    // Flushes and closes every sink; the summary lines.
    void stop();

   private:
    int open_sinks();
    int open_store();
    void open_query_socket();
    void publish(std::uint64_t now_ns);

    DaemonConfig config_;
    FanoutSink sinks_;
    MetricsState metrics_;
    ProcHostProbe cpu_probe_;
    PrometheusEndpoint endpoint_;
    std::unique_ptr<TerminalLog> terminal_log_;
    std::unique_ptr<JsonLinesSink> json_sink_;
    std::unique_ptr<JournaldSink> journald_sink_;
    std::unique_ptr<SqliteStore> store_;
    std::unique_ptr<QueryServer> queries_;
    std::unique_ptr<LiveMonitor> monitor_;
    // The periodic audit, whose scans also end the exits the kernel lost.
    std::unique_ptr<LostExitRepair> audit_;
    std::uint64_t last_publish_ns_ = 0;
};

}  // namespace hupwatch
