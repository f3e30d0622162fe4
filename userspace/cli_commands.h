// The subcommands behind main(): each takes parsed options and returns the
// process exit code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hupwatch {

struct WatchOptions {
    bool json = false;
    bool verdicts_only = false;
    std::vector<std::string> signals;  // names or numbers; empty: the default set
    std::uint32_t argv_max = 4096;
    std::string proc_root = "/proc";
};

void add_watch_options(CLI::App& cmd, WatchOptions& options);
int run_watch(const WatchOptions& options);
int run_check();

}  // namespace hupwatch
