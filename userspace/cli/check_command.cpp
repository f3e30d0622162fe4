// `hupwatch check`: what hupwatch needs from this host, and whether it has it.
#include <fmt/format.h>

#include <cstdio>

#include "bpf_collector.h"
#include "cli_commands.h"
#include "heap_release.h"
#include "hung_up_terminal_scan.h"
#include "preflight.h"
#include "proc_sid_listener.h"

namespace hupwatch {
namespace {

int cannot_run(int code, const std::string& reason) {
    fmt::print("result: cannot run\n");
    std::fflush(stdout);  // the result line before the reason, on a shared terminal
    fmt::print(stderr, "{}\n", reason);
    return code;
}

}  // namespace

int run_check() {
    for (const auto& fact : describe_environment())
        fmt::print("{:<32} {}{}\n", fact.name, fact.value, fact.ok ? "" : "  <- problem");
    // What keeps `run`'s memory at its working set (bench/soak.py).
    fmt::print("{:<32} {}\n", "heap allocator",
               heap_allocator() == HeapAllocator::Jemalloc
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
    fmt::print("{:<32} {}\n", "BPF programs", "loaded and attached");
    fmt::print("{:<32} {}\n", "pids reported in", collector->pid_namespace().describe());
    // Exactly what `run` and `watch` attach by default, and what the opt-in adds.
    for (const auto& hook : collector->attached_hooks())
        fmt::print("{:<32} {}\n", "hook (default)", hook);
    fmt::print("{:<32} {}\n", "hook (--syscall-results)", collector->syscall_results_hook());
    fmt::print("{:<32} {}: run over one process per orphan verdict\n", "iterator (on demand)",
               collector->iterator_hook());
    // Learned from a terminal hung up here, not from /proc/kallsyms (which
    // hides the address from a daemon without CAP_SYSLOG).
    HungUpTerminalScan hung_up(collector->hung_up_iterator(),
                               collector->hung_up_iterator_globals());
    std::string hung_up_why;
    if (hung_up.calibrate(hung_up_why))
        fmt::print("{:<32} {}\n", "hung-up terminals",
                   "told by the kernel (learned from a pty hung up here)");
    else
        fmt::print("{:<32} unknown ({}): output_lost falls back to the names of fds 1 and 2\n",
                   "hung-up terminals", hung_up_why);
    // Opt-in, not needed to run: without it setsid events are derived (docs/events.md).
    std::string sid_unused;
    if (auto listener = ProcSidListener::start(sid_unused))
        fmt::print("{:<32} {}\n", "proc connector (--setsid-moments)",
                   "PROC_EVENT_SID with the event filter works: setsid at the moment of the call");
    else
        fmt::print("{:<32} unavailable ({}): setsid events stay derived\n",
                   "proc connector (--setsid-moments)", sid_unused);
    if (failure.code != kExitOk) return cannot_run(failure.code, failure.message);
    fmt::print("result: ok\n");
    return kExitOk;
}

}  // namespace hupwatch
