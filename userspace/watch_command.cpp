// `hupwatch watch [--json]`: the live stream, one line per event.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "boot_clock.h"
#include "cli_commands.h"
#include "event_json.h"
#include "event_text.h"
#include "finding_format.h"
#include "live_monitor.h"
#include "preflight.h"
#include "signal_names.h"
#include "stop_signals.h"

namespace hupwatch {
namespace {

bool parse_signal_mask(const std::vector<std::string>& names, std::uint64_t& mask,
                       std::string& error) {
    if (names.empty()) {
        mask = kDefaultSignalMask;
        return true;
    }
    mask = 0;
    for (const auto& name : names) {
        auto sig = parse_signal(name);
        if (!sig || *sig <= 0 || *sig >= 64) {
            error = fmt::format("hupwatch: unknown signal '{}' in --signals", name);
            return false;
        }
        mask |= 1ULL << *sig;
    }
    return true;
}

// Prints events and findings to stdout, one line each, flushed per line so
// that a reader (a pipe, a log shipper) sees every event as it happens.
class StreamPrinter : public EventSink {
public:
    StreamPrinter(bool json, bool verdicts_only) : json_(json), verdicts_only_(verdicts_only) {}
    void on_event(const Event& event) override {
        if (verdicts_only_) return;
        write_line(json_ ? to_json_line(event, clock_) : to_text_line(event, clock_));
    }
    void on_finding(const Finding& finding) override {
        write_line(json_ ? to_json_line(finding, clock_) : to_text_line(finding, clock_));
    }
    bool failed() const { return failed_; }

private:
    void write_line(std::string line) {
        if (failed_) return;
        line += '\n';
        if (fwrite(line.data(), 1, line.size(), stdout) != line.size() || fflush(stdout) != 0)
            failed_ = true;
    }
    BootClock clock_;
    bool json_;
    bool verdicts_only_;
    bool failed_ = false;
};

void print_summary(const MonitorCounters& c) {
    std::string lost;
    for (int type = HW_EV_FORK; type < HW_EV_TYPE_MAX; ++type) {
        if (c.kernel[type] == 0) continue;
        lost += fmt::format(" {}={}", event_type_name(static_cast<EventType>(type - 1)),
                            c.kernel[type]);
    }
    fmt::print(stderr,
               "hupwatch: stopped after {} events and {} findings; {} lost in the kernel{}{}; {} "
               "malformed\n",
               c.events, c.findings, c.lost_total(), lost.empty() ? "" : ":", lost, c.malformed);
}

}  // namespace

void add_watch_options(CLI::App& cmd, WatchOptions& options) {
    cmd.add_flag("--json", options.json, "One JSON object per line (schema: docs/events.md)");
    cmd.add_option("--signals", options.signals,
                   "Signals to monitor (names or numbers, comma-separated); default "
                   "HUP,INT,QUIT,KILL,PIPE,TERM,CONT")
        ->delimiter(',');
    cmd.add_option("--argv-max", options.argv_max, "Bytes of argv captured per exec (16..4096)")
        ->check(CLI::Range(16, 4096));
    cmd.add_option("--proc", options.proc_root, "proc filesystem to seed the process table from");
    cmd.add_flag("--verdicts", options.verdicts_only,
                 "Only disconnects, session ends and verdicts, not raw events");
}

int run_watch(const WatchOptions& options) {
    MonitorOptions monitor_options;
    monitor_options.collector.argv_max = options.argv_max;
    monitor_options.proc_root = options.proc_root;
    std::string error;
    if (!parse_signal_mask(options.signals, monitor_options.collector.signal_mask, error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }
    // The correlator needs SIGHUP whatever else is chosen.
    monitor_options.collector.signal_mask |= 1ULL << SIGHUP;
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
               options.proc_root);

    while (!stop_requested() && !printer.failed()) {
        int rc = monitor->poll(250);
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
