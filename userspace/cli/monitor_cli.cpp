// Options shared by the commands that run the live monitor.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>

#include "argv_redactor.h"
#include "cli_commands.h"
#include "live_monitor.h"
#include "signal_names.h"

namespace hupwatch {

namespace {

void add_redaction_options(CLI::App& cmd, MonitorCliOptions& options) {
    cmd.add_option("--redact", options.redact,
                   "Also redact what this regex (ECMAScript) matches in any argument; its capture "
                   "groups, or the whole match, become *** (repeatable)")
        ->allow_extra_args(false);
    cmd.add_flag("--no-default-redactions", options.no_default_redactions,
                 "Turn off the built-in secret redactions (--password=, --token=, PASSWORD=, "
                 "user:password@ in URLs, ...)");
}

}  // namespace

void add_monitor_options(CLI::App& cmd, MonitorCliOptions& options) {
    cmd.add_option("--signals", options.signals,
                   "Signals to report (names or numbers, comma-separated); default "
                   "HUP,INT,QUIT,ABRT,KILL,PIPE,TERM,CONT,XCPU,XFSZ. SIGHUP is always watched")
        ->delimiter(',');
    cmd.add_option("--argv-max", options.argv_max, "Bytes of argv captured per exec (16..4096)")
        ->check(CLI::Range(16, 4096));
    cmd.add_option("--proc", options.proc_root, "proc filesystem to seed the process table from");
    cmd.add_flag("--syscall-results", options.syscall_results,
                 "Also attach raw_syscalls:sys_exit for exact setsid/setpgid results and EIO "
                 "write counts (output_lost events); every syscall on the host then takes the "
                 "kernel's slower traced path (docs/cli.md states the price)");
    cmd.add_flag("--no-syscall-results", options.no_syscall_results,
                 "The default: no syscall hook (kept so that old unit files still start)");
    cmd.add_flag("--setsid-moments", options.setsid_moments,
                 "Listen to the kernel's proc connector for PROC_EVENT_SID (event filter only): "
                 "setsid events at the moment of the call instead of derived from the next event; "
                 "the kernel then builds a message for every fork and exit on the host "
                 "(docs/cli.md states the price)");
    add_redaction_options(cmd, options);
    cmd.add_flag("--bpf-stats", options.bpf_stats,
                 "Count each BPF program's runs and run time (hupwatch_bpf_program_*): costs two "
                 "clock reads per run of every BPF program on the host");
}

bool to_monitor_options(const MonitorCliOptions& cli, MonitorOptions& out, std::string& error) {
    out.collector.argv_max = cli.argv_max;
    out.proc_root = cli.proc_root;
    if (cli.syscall_results && cli.no_syscall_results) {
        error = "hupwatch: --syscall-results and --no-syscall-results contradict each other";
        return false;
    }
    out.collector.syscall_results = cli.syscall_results;
    out.redaction = {!cli.no_default_redactions, cli.redact};
    out.collector.program_stats = cli.bpf_stats;
    out.setsid_from_proc_connector = cli.setsid_moments;
    if (!ArgvRedactor::create(out.redaction, error)) return false;
    std::uint64_t mask = cli.signals.empty() ? kDefaultSignalMask : 0;
    for (const auto& name : cli.signals) {
        auto sig = parse_signal(name);
        if (!sig || *sig <= 0 || *sig >= 64) {
            error = fmt::format("hupwatch: unknown signal '{}' in --signals", name);
            return false;
        }
        mask |= 1ULL << *sig;
    }
    // The correlator needs SIGHUP whatever else is chosen.
    out.collector.signal_mask = mask | (1ULL << SIGHUP);
    return true;
}

}  // namespace hupwatch
