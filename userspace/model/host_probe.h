// What the correlator asks of the live host beyond the event stream: the
// cgroup, signal dispositions and output files of a running process, and user
// names. Behind an interface so the correlator stays pure: tests and replay
// pass a fake or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hupwatch {

struct SignalMasks {
    std::uint64_t ignored = 0;  // /proc/PID/status SigIgn
    std::uint64_t caught = 0;   // SigCgt
};

struct OutputTargets {
    std::string stdout_path;  // readlink of fd 1, empty if unknown
    std::string stderr_path;
};

// The passwd name of uid, or the number when it has none.
std::string user_name_of(std::uint32_t uid);

class HostProbe {
   public:
    virtual ~HostProbe() = default;
    virtual std::optional<std::string> cgroup_path(std::uint32_t pid) = 0;
    virtual std::optional<SignalMasks> signal_masks(std::uint32_t pid) = 0;
    virtual std::optional<OutputTargets> output_targets(std::uint32_t pid) = 0;
    virtual std::string user_name(std::uint32_t uid) = 0;
    // utime + stime of a live process, in seconds.
    virtual std::optional<double> cpu_seconds(std::uint32_t pid) = 0;
};

}  // namespace hupwatch
