#include "proc_host_probe.h"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "proc_text.h"

namespace hupwatch {
namespace {

std::optional<std::string> read_link(const std::string& path) {
    std::vector<char> buf(4096);
    ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::string> ProcHostProbe::cgroup_path(std::uint32_t pid) {
    std::ifstream in(proc_root_ + "/" + std::to_string(pid) + "/cgroup");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0) return line.substr(3);  // cgroup v2
    return std::nullopt;
}

std::optional<SignalMasks> ProcHostProbe::signal_masks(std::uint32_t pid) {
    std::ifstream in(proc_root_ + "/" + std::to_string(pid) + "/status");
    std::string line;
    SignalMasks masks;
    int found = 0;
    while (std::getline(in, line)) {
        try {
            if (line.rfind("SigIgn:", 0) == 0) {
                masks.ignored = std::stoull(line.substr(7), nullptr, 16);
                ++found;
            } else if (line.rfind("SigCgt:", 0) == 0) {
                masks.caught = std::stoull(line.substr(7), nullptr, 16);
                ++found;
            }
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    if (found != 2) return std::nullopt;
    return masks;
}

std::optional<OutputTargets> ProcHostProbe::output_targets(std::uint32_t pid) {
    std::string fd = proc_root_ + "/" + std::to_string(pid) + "/fd/";
    auto out = read_link(fd + "1");
    auto err = read_link(fd + "2");
    if (!out && !err) return std::nullopt;
    return OutputTargets{out.value_or(""), err.value_or("")};
}

std::optional<double> ProcHostProbe::cpu_seconds(std::uint32_t pid) {
    std::ifstream in(proc_root_ + "/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');  // comm may hold spaces and parentheses
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        try {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    return static_cast<double>(utime + stime) / ticks;
}

std::optional<std::vector<HungUpFd>> ProcHostProbe::hung_up_fds(std::uint32_t pid,
                                                                std::uint64_t start_ns) {
    if (!scan_) return std::nullopt;
    return scan_->scan(pid, start_ns);
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> ProcHostProbe::session_ids(
    std::uint32_t pid, std::uint64_t start_ns) {
    std::ifstream in(proc_root_ + "/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    auto stat = parse_proc_stat(line);
    if (!stat) return std::nullopt;
    // /proc floors the start to a clock tick: the same process starts in
    // [ticks * tick_ns, (ticks + 1) * tick_ns).
    static const std::uint64_t tick_ns =
        1'000'000'000ULL / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK));
    std::uint64_t floor_ns = stat->starttime_ticks * tick_ns;
    if (start_ns < floor_ns || start_ns >= floor_ns + tick_ns) return std::nullopt;
    return std::pair{stat->session, stat->pgrp};
}

std::string ProcHostProbe::user_name(std::uint32_t uid) {
    return user_name_of(uid);
}

std::optional<std::string> ProcHostProbe::user_name_seen_by(std::uint32_t uid, std::uint32_t pid,
                                                            std::uint64_t start_ns) {
    if (!session_ids(pid, start_ns)) return std::nullopt;  // gone, or its pid reused
    auto root = passwds_.root_seen(pid);
    // A zombie (a job killed with its shell, not reaped yet) no longer
    // tells its root: the caller asks its ancestors, not the host.
    if (!root.told) return std::nullopt;
    if (root.foreign)
        if (auto name = passwds_.name_in_root(*root.foreign, uid)) return name;
    return user_name_of(uid);
}

bool ProcHostProbe::learn_root_of_cgroup(std::uint64_t cgroup_id, std::uint32_t pid) {
    if (cgroup_id == 0 || cgroup_roots_.find(cgroup_id)) return true;
    auto root = passwds_.root_seen(pid);
    // The host's root needs nothing kept (the host's database names it); a
    // zombie that cannot tell leaves it to the cgroup's next process.
    if (root.foreign) cgroup_roots_.obtain(cgroup_id) = std::move(*root.foreign);
    return root.told;
}

std::optional<std::string> ProcHostProbe::user_name_in_cgroup(std::uint32_t uid,
                                                              std::uint64_t cgroup_id) {
    const std::string* mnt_ns = cgroup_roots_.find(cgroup_id);
    if (!mnt_ns) return std::nullopt;
    return passwds_.name_in_root(*mnt_ns, uid);
}

}  // namespace hupwatch
