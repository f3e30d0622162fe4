// The standard process_* metrics every Prometheus client library exports,
// read from /proc the way the Go client (procfs) does, so dashboards and
// alerts written for any exporter work on hupwatch too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "prometheus_text.h"

namespace hupwatch {

struct ProcessSelfStats {
    std::optional<double> cpu_seconds;         // utime + stime of /proc/self/stat, / CLK_TCK
    std::optional<double> resident_bytes;      // statm resident pages * page size
    std::optional<double> virtual_bytes;       // statm size pages * page size
    std::optional<double> start_time_seconds;  // btime of /proc/stat + starttime / CLK_TCK
    std::optional<double> open_fds;            // entries of /proc/self/fd
    std::optional<double> max_fds;             // RLIMIT_NOFILE soft limit
};

// A field that cannot be read stays empty (and its family is left out):
// a half-mounted /proc must not break the rest of the exposition.
ProcessSelfStats read_process_self_stats(const std::string& proc_root = "/proc");

void append_process_self_metrics(const ProcessSelfStats& stats, std::vector<MetricFamily>& out);

}  // namespace hupwatch
