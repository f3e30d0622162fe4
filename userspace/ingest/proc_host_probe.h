// The live host behind HostProbe: /proc and the passwd database.
#pragma once

#include <string>

#include "host_probe.h"

namespace hupwatch {

// Reads /proc (or another proc root) and the passwd database.
class ProcHostProbe : public HostProbe {
   public:
    explicit ProcHostProbe(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}
    std::optional<std::string> cgroup_path(std::uint32_t pid) override;
    std::optional<SignalMasks> signal_masks(std::uint32_t pid) override;
    std::optional<OutputTargets> output_targets(std::uint32_t pid) override;
    std::string user_name(std::uint32_t uid) override;
    std::optional<double> cpu_seconds(std::uint32_t pid) override;

   private:
    std::string proc_root_;
};

}  // namespace hupwatch
