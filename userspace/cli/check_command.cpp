// `hupwatch check`: what hupwatch needs from this host, and whether it has it.
#include <fmt/format.h>

#include <cstdio>

#include "bpf_collector.h"
#include "cli_commands.h"
#include "preflight.h"

namespace hupwatch {

int run_check() {
    for (const auto& fact : describe_environment())
        fmt::print("{:<32} {}{}\n", fact.name, fact.value, fact.ok ? "" : "  <- problem");

    if (auto failure = run_preflight(); failure.code != kExitOk) {
        fmt::print("result: cannot run\n");
        std::fflush(stdout);  // the result line before the reason, on a shared terminal
        fmt::print(stderr, "{}\n", failure.message);
        return failure.code;
    }
    // The real proof: load and attach every program, then let go.
    CollectorError error;
    auto collector = BpfCollector::start(CollectorOptions{}, error);
    if (!collector) {
        fmt::print("result: cannot run\n");
        std::fflush(stdout);  // the result line before the reason, on a shared terminal
        fmt::print(stderr, "{}\n", error.message);
        return error.code;
    }
    fmt::print("{:<32} {}\n", "BPF programs", "loaded and attached");
    fmt::print("result: ok\n");
    return kExitOk;
}

}  // namespace hupwatch
