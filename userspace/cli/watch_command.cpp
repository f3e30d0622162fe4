// `hupwatch watch [--json]`: the live stream, one line per event.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "boot_clock.h"
#include "cli_commands.h"
#include "event_json.h"
#include "event_text.h"
#include "finding_format.h"
#include "fleet_fields.h"
#include "live_monitor.h"
#include "preflight.h"
#include "signal_names.h"
#include "stop_signals.h"

namespace hupwatch {

namespace {

// Prints events and findings to stdout, one line each, flushed per line so
// that a reader (a pipe, a log shipper) sees every event as it happens.
class StreamPrinter : public EventSink {
   public:
    StreamPrinter(bool json, bool verdicts_only) : json_(json), verdicts_only_(verdicts_only) {}
    void on_event(const Event& event) override {
        if (verdicts_only_) return;
        write_line(json_ ? fleet(to_json_line(event, clock_)) : to_text_line(event, clock_));
    }
    void on_finding(const Finding& finding) override {
        write_line(json_ ? fleet(to_json_line(finding, clock_)) : to_text_line(finding, clock_));
    }
    bool failed() const { return failed_; }

   private:
    // JSON lines carry host, boot_id and seq here as in the daemon's file.
    std::string fleet(std::string object) {
        return with_fleet_fields(std::move(object), identity_, seq_.next());
    }
    void write_line(std::string line) {
        if (failed_) return;
        line += '\n';
        if (fwrite(line.data(), 1, line.size(), stdout) != line.size() || fflush(stdout) != 0)
            failed_ = true;
    }
    BootClock clock_;
    HostIdentity identity_ = HostIdentity::of_this_host();
    LineSequence seq_;
    bool json_;
    bool verdicts_only_;
    bool failed_ = false;
};

void print_summary(const MonitorCounters& c) {
    fmt::print(stderr, "hupwatch: stopped after {}\n", c.summary());
}

}  // namespace

void add_watch_options(CLI::App& cmd, WatchOptions& options) {
    cmd.add_flag("--json", options.json, "One JSON object per line (schema: docs/events.md)");
    add_monitor_options(cmd, options.monitor);
    cmd.add_flag("--verdicts", options.verdicts_only,
                 "Only disconnects, session ends and verdicts, not raw events");
}

int run_watch(const WatchOptions& options) {
    MonitorOptions monitor_options;
    std::string error;
    if (!to_monitor_options(options.monitor, monitor_options, error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }
    if (auto failure = run_preflight(); failure.code != kExitOk) {
        fmt::print(stderr, "{}\n", failure.message);
        return failure.code;
    }

    install_stop_signals();
    StreamPrinter printer(options.json, options.verdicts_only);
    CollectorError start_error;
    auto monitor = LiveMonitor::start(monitor_options, printer, start_error);
    if (!monitor) {
        fmt::print(stderr, "{}\n", start_error.message);
        return start_error.code;
    }
    fmt::print(stderr, "hupwatch: watching ({} processes seeded from {})\n", monitor->seeded(),
               options.monitor.proc_root);

    while (!stop_requested() && !printer.failed()) {
        int rc = monitor->poll(kMonitorPollMs);
        if (rc < 0 && rc != -EINTR) {
            fmt::print(stderr, "hupwatch: reading the ring buffer failed: {}\n", strerror(-rc));
            print_summary(monitor->counters());
            return kExitFailure;
        }
    }
    if (printer.failed() && !stop_requested()) {
        // The reader went away (closed pipe): not a crash, but not a success.
        fmt::print(stderr, "hupwatch: cannot write events to stdout: {}\n", strerror(errno));
        print_summary(monitor->counters());
        return kExitFailure;
    }
    print_summary(monitor->counters());
    return kExitOk;
}

}  // namespace hupwatch
