// `hupwatch check`: what hupwatch needs from this host, and whether it has it.
#include <fmt/format.h>

#include <cstdio>
#include <string_view>

#include "bpf_collector.h"
#include "cli_commands.h"
#include "heap_release.h"
#include "hung_up_terminal_scan.h"
#include "preflight.h"
#include "proc_sid_listener.h"

namespace hupwatch {
namespace {

// One row of the report: the label padded to the longest one ("proc
// connector (--setsid-moments)"), so every value starts in one column.
void row(std::string_view label, std::string_view value) {
    fmt::print("{:<34} {}\n", label, value);
}

int cannot_run(int code, const std::string& reason) {
    fmt::print("result: cannot run\n");
    std::fflush(stdout);  // the result line before the reason, on a shared terminal
    fmt::print(stderr, "{}\n", reason);
    return code;
}

}  // namespace

int run_check() {
    for (const auto& fact : describe_environment())
        row(fact.name, fact.ok ? fact.value : fact.value + "  <- problem");
    // What keeps `run`'s memory at its working set (bench/soak.py).
    row("heap allocator", heap_allocator() == HeapAllocator::Jemalloc
                              ? "jemalloc (freed pages go back to the system)"
                              : "glibc malloc (a sanitizer or test build)");

    // A /proc of another pid namespace stops `run`, but loading still tells
    // whether the kernel, the privileges and a sandbox would allow it.
    auto failure = run_preflight();
    if (failure.code != kExitOk && failure.code != kExitPidNamespace)
        return cannot_run(failure.code, failure.message);
    // The real proof: load and attach every program, then let go.
    CollectorError error;
    auto collector = BpfCollector::start(CollectorOptions{}, error);
    if (!collector) return cannot_run(error.code, error.message);
    row("BPF programs", "loaded and attached");
    row("pids reported in", collector->pid_namespace().describe());
    // Exactly what `run` and `watch` attach by default, and what the opt-in adds.
    for (const auto& hook : collector->attached_hooks()) row("hook (default)", hook);
    row("hook (--syscall-results)", collector->syscall_results_hook());
    row("iterator (on demand)",
        collector->iterator_hook() + ": run over one process per orphan verdict");
    // Learned from a terminal hung up here, not from /proc/kallsyms (which
    // hides the address from a daemon without CAP_SYSLOG).
    HungUpTerminalScan hung_up(collector->hung_up_iterator(),
                               collector->hung_up_iterator_globals());
    std::string hung_up_why;
    if (hung_up.calibrate(hung_up_why))
        row("hung-up terminals", "told by the kernel (learned from a pty hung up here)");
    else
        row("hung-up terminals",
            fmt::format("unknown ({}): output_lost falls back to the names of fds 1 and 2",
                        hung_up_why));
    // Opt-in, not needed to run: without it setsid events are derived (docs/events.md).
    std::string sid_unused;
    if (auto listener = ProcSidListener::start(sid_unused))
        row("proc connector (--setsid-moments)",
            "PROC_EVENT_SID with the event filter works: setsid at the moment of the call");
    else
        row("proc connector (--setsid-moments)",
            fmt::format("unavailable ({}): setsid events stay derived", sid_unused));
    if (failure.code != kExitOk) return cannot_run(failure.code, failure.message);
    fmt::print("result: ok\n");
    return kExitOk;
}

}  // namespace hupwatch
