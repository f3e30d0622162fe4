// The host's processes as a forest, each classified (process_classification.h):
// what `hupwatch ps` prints. Built from a ProcScanner snapshot plus the
// per-process reads of a HostProbe, both over the same proc root, so a fake
// proc tree in a temp directory stands in for /proc in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host_probe.h"
#include "proc_text.h"
#include "process_classification.h"

namespace hupwatch {

struct ProcessNode {
    ProcessInfo info;  // pid, ppid, pgid, sid, uid, tty_dev, start_ns, comm
    std::vector<std::string> argv;
    std::string user;                // passwd name, else the uid as a number
    std::optional<std::string> tty;  // "pts/3"; nullopt: no controlling terminal
    std::uint64_t run_time_ns = 0;
    std::optional<std::string> cgroup;  // cgroup v2 path; nullopt: not readable
    Supervision supervision = Supervision::None;
    std::optional<SighupDisposition> sighup;  // nullopt: status not readable
    // nullopt: fds not readable (another user's process, without privilege).
    std::optional<bool> output_to_tty;
    std::optional<bool> output_lost;
    RiskAssessment risk;
    std::vector<std::size_t> children;  // indices into ProcessForest::nodes, by pid
};

struct ProcessForest {
    std::vector<ProcessNode> nodes;  // by pid
    std::vector<std::size_t> roots;  // by pid

    const ProcessNode* find(std::uint32_t pid) const;
};

struct ForestOptions {
    // false: interactive sessions only (see select_interactive in the .cpp and
    // docs/ps.md); true: every process.
    bool all = false;
    std::uint64_t now_ns = 0;  // CLOCK_BOOTTIME, for run times
};

// Classifies every snapshot, then keeps the selected ones. A process whose
// parent is not kept is a root.
ProcessForest build_forest(const std::vector<ProcSnapshot>& snapshots, HostProbe& probe,
                           const ForestOptions& options);

}  // namespace hupwatch
