// The live host behind HostProbe: /proc and the passwd database.
#pragma once

#include <cstdint>
#include <string>

#include "bounded_cache.h"
#include "cgroup_id_resolver.h"
#include "host_probe.h"
#include "hung_up_terminal_scan.h"
#include "root_passwd.h"

namespace hupwatch {

// Reads /proc (or another proc root) and the passwd databases (the host's,
// and a container's through its processes' roots).
class ProcHostProbe : public HostProbe {
   public:
    explicit ProcHostProbe(std::string proc_root = "/proc")
        : proc_root_(std::move(proc_root)), passwds_(proc_root_) {}
    std::optional<std::string> cgroup_path(std::uint32_t pid) override;
    std::optional<std::string> cgroup_path_of_id(std::uint64_t id) override {
        return cgroups_.path_of(id);
    }
    std::optional<SignalMasks> signal_masks(std::uint32_t pid) override;
    std::optional<OutputTargets> output_targets(std::uint32_t pid) override;
    std::string user_name(std::uint32_t uid) override;
    std::optional<std::string> user_name_seen_by(std::uint32_t uid, std::uint32_t pid,
                                                 std::uint64_t start_ns) override;
    bool learn_root_of_cgroup(std::uint64_t cgroup_id, std::uint32_t pid) override;
    std::optional<std::string> user_name_in_cgroup(std::uint32_t uid,
                                                   std::uint64_t cgroup_id) override;
    std::optional<double> cpu_seconds(std::uint32_t pid) override;
    std::optional<std::vector<HungUpFd>> hung_up_fds(std::uint32_t pid,
                                                     std::uint64_t start_ns) override;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> session_ids(
        std::uint32_t pid, std::uint64_t start_ns) override;

    // The kernel's own answer for hung_up_fds(); without it, nullopt.
    void use_hung_up_scan(HungUpTerminalScan* scan) { scan_ = scan; }

   private:
    std::string proc_root_;
    HungUpTerminalScan* scan_ = nullptr;
    CgroupIdResolver cgroups_;
    RootPasswd passwds_;
    // Cgroups whose first living member seen had a container's root: its
    // mount namespace, by cgroup id (as many as KillAttributor keeps paths).
    BoundedCache<std::uint64_t, std::string> cgroup_roots_{4096};
};

}  // namespace hupwatch
