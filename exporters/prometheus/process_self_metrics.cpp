#include "process_self_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace hupwatch {
namespace {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<double> to_number(std::string_view text) {
    unsigned long long value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return static_cast<double>(value);
}

// Whitespace-separated fields of /proc/self/stat after the comm, which may
// itself contain spaces and parentheses: everything after the last ')'.
// Index 0 is field 3 (state) of proc(5).
std::vector<std::string_view> stat_fields(std::string_view stat) {
    std::vector<std::string_view> fields;
    auto close = stat.rfind(')');
    if (close == std::string_view::npos) return fields;
    stat.remove_prefix(close + 1);
    while (!stat.empty()) {
        auto start = stat.find_first_not_of(" \n");
        if (start == std::string_view::npos) break;
        stat.remove_prefix(start);
        auto end = stat.find_first_of(" \n");
        fields.push_back(stat.substr(0, end));
        if (end == std::string_view::npos) break;
        stat.remove_prefix(end);
    }
    return fields;
}

std::optional<double> boot_time_seconds(const std::string& proc_root) {
    auto stat = read_file(proc_root + "/stat");
    if (!stat) return std::nullopt;
    std::istringstream lines(*stat);
    std::string line;
    constexpr std::string_view kKey = "btime ";
    while (std::getline(lines, line))
        if (line.starts_with(kKey)) return to_number(std::string_view(line).substr(kKey.size()));
    return std::nullopt;
}

// A value /proc could not give is left out, not exported as 0.
void add_if_known(std::vector<MetricFamily>& out, const char* name, MetricType type,
                  const char* help, const std::optional<double>& value) {
    if (value) add_single_sample(out, name, type, help, *value);
}

}  // namespace

ProcessSelfStats read_process_self_stats(const std::string& proc_root) {
    ProcessSelfStats stats;
    const long ticks = sysconf(_SC_CLK_TCK);
    const long page = sysconf(_SC_PAGESIZE);
    const std::string self = proc_root + "/self";

    if (auto stat = read_file(self + "/stat"); stat && ticks > 0) {
        auto fields = stat_fields(*stat);
        // proc(5): utime 14, stime 15, starttime 22; index = field - 3.
        if (fields.size() > 19) {
            auto utime = to_number(fields[11]);
            auto stime = to_number(fields[12]);
            if (utime && stime) stats.cpu_seconds = (*utime + *stime) / static_cast<double>(ticks);
            auto start_ticks = to_number(fields[19]);
            auto btime = boot_time_seconds(proc_root);
            if (start_ticks && btime)
                stats.start_time_seconds = *btime + *start_ticks / static_cast<double>(ticks);
        }
    }
    if (auto statm = read_file(self + "/statm"); statm && page > 0) {
        std::istringstream in(*statm);
        unsigned long long size = 0, resident = 0;
        if (in >> size >> resident) {
            stats.virtual_bytes = static_cast<double>(size) * static_cast<double>(page);
            stats.resident_bytes = static_cast<double>(resident) * static_cast<double>(page);
        }
    }
    std::error_code ec;
    std::filesystem::directory_iterator fds(self + "/fd", ec);
    if (!ec) {
        double count = 0;
        for (auto it = fds; it != std::filesystem::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            ++count;
        }
        if (!ec) stats.open_fds = count;
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        stats.max_fds = static_cast<double>(limit.rlim_cur);
    return stats;
}

void append_process_self_metrics(const ProcessSelfStats& stats, std::vector<MetricFamily>& out) {
    add_if_known(out, "process_cpu_seconds_total", MetricType::Counter,
                 "Total user and system CPU time spent in seconds.", stats.cpu_seconds);
    add_if_known(out, "process_resident_memory_bytes", MetricType::Gauge,
                 "Resident memory size in bytes.", stats.resident_bytes);
    add_if_known(out, "process_virtual_memory_bytes", MetricType::Gauge,
                 "Virtual memory size in bytes.", stats.virtual_bytes);
    add_if_known(out, "process_start_time_seconds", MetricType::Gauge,
                 "Start time of the process since unix epoch in seconds.",
                 stats.start_time_seconds);
    add_if_known(out, "process_open_fds", MetricType::Gauge, "Number of open file descriptors.",
                 stats.open_fds);
    add_if_known(out, "process_max_fds", MetricType::Gauge,
                 "Maximum number of open file descriptors.", stats.max_fds);
}

}  // namespace hupwatch
