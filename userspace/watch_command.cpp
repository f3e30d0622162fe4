// `hupwatch watch [--json]`: the live stream, one line per event.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "boot_clock.h"
#include "cli_commands.h"
#include "event_json.h"
#include "event_text.h"
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

void print_summary(const MonitorCounters& c) {
    std::string lost;
    for (int type = HW_EV_FORK; type < HW_EV_TYPE_MAX; ++type) {
        if (c.kernel[type] == 0) continue;
        lost += fmt::format(" {}={}", event_type_name(static_cast<EventType>(type - 1)),
                            c.kernel[type]);
    }
    fmt::print(stderr, "hupwatch: stopped after {} events; {} lost in the kernel{}{}; {} malformed\n",
               c.events, c.lost_total(), lost.empty() ? "" : ":", lost, c.malformed);
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
}

int run_watch(const WatchOptions& options) {
    CollectorOptions collector_options;
    collector_options.argv_max = options.argv_max;
    std::string error;
    if (!parse_signal_mask(options.signals, collector_options.signal_mask, error)) {
        fmt::print(stderr, "{}\n", error);
        return kExitUsage;
    }
    if (auto failure = run_preflight(); failure.code != kExitOk) {
        fmt::print(stderr, "{}\n", failure.message);
        return failure.code;
    }

    install_stop_signals();
    BootClock clock;
    bool output_failed = false;
    auto print_event = [&](const Event& event, const ProcessTable&) {
        if (output_failed) return;
        std::string line = options.json ? to_json_line(event, clock) : to_text_line(event, clock);
        line += '\n';
        // Flushed per line so that a reader (a pipe, a log shipper) sees every
        // event as it happens.
        if (fwrite(line.data(), 1, line.size(), stdout) != line.size() || fflush(stdout) != 0)
            output_failed = true;
    };

    CollectorError start_error;
    auto monitor = LiveMonitor::start(collector_options, options.proc_root, print_event, start_error);
    if (!monitor) {
        fmt::print(stderr, "{}\n", start_error.message);
        return start_error.code;
    }
    fmt::print(stderr, "hupwatch: watching ({} processes seeded from {})\n", monitor->seeded(),
               options.proc_root);

    while (!stop_requested() && !output_failed) {
        int rc = monitor->poll(250);
        if (rc < 0 && rc != -EINTR) {
            fmt::print(stderr, "hupwatch: reading the ring buffer failed: {}\n", strerror(-rc));
            print_summary(monitor->counters());
            return kExitFailure;
        }
    }
    if (output_failed && !stop_requested()) {
        // The reader went away (closed pipe): not a crash, but not a success.
        fmt::print(stderr, "hupwatch: cannot write events to stdout: {}\n", strerror(errno));
        print_summary(monitor->counters());
        return kExitFailure;
    }
    print_summary(monitor->counters());
    return kExitOk;
}

}  // namespace hupwatch
