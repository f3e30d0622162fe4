// `hupwatch watch [--json]`: the live stream, one line per event.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>

#include "boot_clock.h"
#include "cli_commands.h"
#include "event_json.h"
#include "event_text.h"
#include "finding_format.h"
#include "fleet_fields.h"
#include "live_monitor.h"
#include "lost_exit_repair.h"
#include "output_lost_digest.h"
#include "preflight.h"
#include "standard_fds.h"
#include "stop_signals.h"
#include "time_ordered_lines.h"

namespace hupwatch {

namespace {

// Lines wait this long to be put in time order: a verdict comes at most
// about this long after its fact (the correlator's orphan settle window,
// 400 ms, plus poll periods). Longer waits (a logout kill) come out late.
constexpr std::uint64_t kOrderWindowNs = 1'000'000'000ULL;

constexpr std::string_view kLateMark = " (late)";

std::uint64_t ktime_of(const Finding& finding) {
    return std::visit([](const auto& f) { return f.ktime_ns; }, finding);
}

// Prints events and findings to stdout, one line each, in time order, flushed
// per batch so that a reader (a pipe, a log shipper) sees every event within
// about a second. A job's repeated output_lost reports become one line at
// its first failed write and one with the total at its exit.
class StreamPrinter : public EventSink {
   public:
    StreamPrinter(bool json, bool verdicts_only)
        : json_(json), verdicts_only_(verdicts_only), lines_(kOrderWindowNs) {}
    void on_event(const Event& event) override {
        if (verdicts_only_) return;
        if (event.type() == EventType::OutputLost) {
            if (!digest_.admit(event)) return;
        } else if (const auto* exit = std::get_if<ExitEvent>(&event.body)) {
            if (auto last = digest_.on_exit(exit->proc.pid, exit->proc.start_ns)) add(*last);
        }
        add(event);
    }
    void on_finding(const Finding& finding) override {
        lines_.add(ktime_of(finding),
                   json_ ? to_json_line(finding, clock_) : to_text_line(finding, clock_));
    }
    // Writes the lines due by now (all of them with TimeOrderedLines::kAll).
    void release(std::uint64_t now_ns) {
        std::string out;
        for (auto& line : lines_.release(now_ns)) {
            // JSON lines carry host, boot_id and seq here as in the daemon's
            // file; seq numbers them in the order they are written.
            out +=
                json_ ? with_fleet_fields(std::move(line.text), identity_, seq_.next()) : line.text;
            if (line.late && !json_) out += kLateMark;
            out += '\n';
        }
        if (failed_) return;
        // A stop asked for while the reader is not reading ends the write:
        // Ctrl-C must stop `hupwatch watch | stalled-reader`.
        std::size_t unwritten = 0;
        if (!out.empty() && !write_stdout_unless(out, stop_requested, unwritten)) {
            failed_ = true;
            errno_ = errno;
        } else if (unwritten > 0) {
            unwritten_bytes_ += unwritten;
        } else if (stdout_reader_gone()) {
            failed_ = true;
            errno_ = EPIPE;
        }
    }
    bool failed() const { return failed_; }
    int write_errno() const { return errno_; }
    std::uint64_t unwritten_bytes() const { return unwritten_bytes_; }

   private:
    void add(const Event& event) {
        lines_.add(event.ktime_ns,
                   json_ ? to_json_line(event, clock_) : to_text_line(event, clock_));
    }
    BootClock clock_;
    HostIdentity identity_ = HostIdentity::of_this_host();
    LineSequence seq_;
    bool json_;
    bool verdicts_only_;
    TimeOrderedLines lines_;
    OutputLostDigest digest_;
    bool failed_ = false;
    int errno_ = 0;
    std::uint64_t unwritten_bytes_ = 0;
};

void print_summary(const MonitorCounters& c) {
    say("hupwatch: stopped after {}", c.summary());
}

}  // namespace

void add_watch_options(CLI::App& cmd, WatchOptions& options) {
    cmd.add_flag("--json", options.json, "One JSON object per line (schema: docs/events.md)");
    add_monitor_options(cmd, options.monitor);
    cmd.add_flag("--verdicts", options.verdicts_only,
                 "Only disconnects, session ends and verdicts, not raw events");
}

int run_watch(const WatchOptions& options) {
    // Closed (`>&-`; main() holds its number with a read-only /dev/null):
    // every line would fail, so say it now rather than at the first event.
    if (!open_for_writing(STDOUT_FILENO)) {
        say("hupwatch: cannot write events to stdout: {}", strerror(EBADF));
        return kExitFailure;
    }
    MonitorOptions monitor_options;
    std::string error;
    if (!to_monitor_options(options.monitor, monitor_options, error)) {
        say("{}", error);
        return kExitUsage;
    }
    if (auto failure = run_preflight(); failure.code != kExitOk) {
        say("{}", failure.message);
        return failure.code;
    }

    install_stop_signals();
    StreamPrinter printer(options.json, options.verdicts_only);
    CollectorError start_error;
    auto monitor = LiveMonitor::start(monitor_options, printer, start_error);
    if (!monitor) {
        say("{}", start_error.message);
        return start_error.code;
    }
    say("hupwatch: watching ({} processes seeded from {})", monitor->seeded(),
        options.monitor.proc_root);
    if (const auto& why = monitor->proc_connector_unused(); !why.empty())
        say("hupwatch: setsid events are derived, not from the proc connector: {}", why);

    // No periodic audit here: a /proc scan only after the kernel lost
    // events, so that the jobs whose exits it lost end (exit_unseen lines).
    LostExitRepair repair(*monitor, options.monitor.proc_root, std::nullopt, {});
    while (!stop_requested() && !printer.failed()) {
        repair.before_poll(boot_now_ns());
        int rc = monitor->poll(kMonitorPollMs);
        if (rc < 0 && rc != -EINTR) {
            printer.release(TimeOrderedLines::kAll);
            say("hupwatch: reading the ring buffer failed: {}", strerror(-rc));
            print_summary(monitor->counters());
            return kExitFailure;
        }
        printer.release(boot_now_ns());
    }
    if (!printer.failed()) printer.release(TimeOrderedLines::kAll);
    if (printer.failed()) {
        // The reader went away (a closed pipe): not a crash, but not a
        // success. stderr may be that same pipe: say so only if it is not.
        if (say("hupwatch: cannot write events to stdout: {}", strerror(printer.write_errno())))
            print_summary(monitor->counters());
        return kExitFailure;
    }
    if (printer.unwritten_bytes() > 0)
        say("hupwatch: stopped with {} bytes of lines unwritten: stdout was not being read",
            printer.unwritten_bytes());
    print_summary(monitor->counters());
    return kExitOk;
}

}  // namespace hupwatch
