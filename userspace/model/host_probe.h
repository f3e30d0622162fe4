// What the correlator asks of the live host beyond the event stream: the
// cgroup, signal dispositions and output files of a running process, and user
// names. Behind an interface so the correlator stays pure: tests and replay
// pass a fake or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hupwatch {

struct SignalMasks {
    std::uint64_t ignored = 0;  // /proc/PID/status SigIgn
    std::uint64_t caught = 0;   // SigCgt
};

struct OutputTargets {
    std::string stdout_path;  // readlink of fd 1, empty if unknown
    std::string stderr_path;
};

// An fd whose writes reach nobody: a hung-up terminal (they fail with EIO),
// or a pipe whose readers all closed (they raise SIGPIPE).
enum class DeadFdKind { HungUpTerminal, WidowedPipe };
struct HungUpFd {
    int fd = 0;
    std::uint32_t tty_dev = 0;  // the terminal it was; 0 if unknown or a pipe
    DeadFdKind kind = DeadFdKind::HungUpTerminal;
};

// The passwd name of uid, or the number when it has none.
std::string user_name_of(std::uint32_t uid);

class HostProbe {
   public:
    virtual ~HostProbe() = default;
    virtual std::optional<std::string> cgroup_path(std::uint32_t pid) = 0;
    // The cgroup v2 path of a cgroup id (an event's cgroup_id), while that
    // cgroup exists, even after the process is gone; nullopt when unknown.
    virtual std::optional<std::string> cgroup_path_of_id(std::uint64_t /*id*/) {
        return std::nullopt;
    }
    virtual std::optional<SignalMasks> signal_masks(std::uint32_t pid) = 0;
    virtual std::optional<OutputTargets> output_targets(std::uint32_t pid) = 0;
    virtual std::string user_name(std::uint32_t uid) = 0;
    // The name of uid as the live process (pid, start_ns) sees it: from its
    // own root's /etc/passwd when it is in another mount namespace (a
    // container), else user_name(). nullopt when that process is gone (the
    // caller asks a living ancestor, or user_name()).
    virtual std::optional<std::string> user_name_seen_by(std::uint32_t /*uid*/,
                                                         std::uint32_t /*pid*/,
                                                         std::uint64_t /*start_ns*/) {
        return std::nullopt;
    }
    // Remember the root of the live process pid, a member of cgroup
    // `cgroup_id`, as that cgroup's: a container's session torn down at
    // once takes its jobs and all their ancestors there before the deaths
    // are read, and user_name_in_cgroup() still names them as it saw them.
    // False when pid could not tell its root (a zombie, or gone): ask again
    // with the cgroup's next process.
    virtual bool learn_root_of_cgroup(std::uint64_t /*cgroup_id*/, std::uint32_t /*pid*/) {
        return true;
    }
    // The name of uid in the root learned for cgroup_id, when that root is
    // another than the host's (a container's); nullopt otherwise.
    virtual std::optional<std::string> user_name_in_cgroup(std::uint32_t /*uid*/,
                                                           std::uint64_t /*cgroup_id*/) {
        return std::nullopt;
    }
    // utime + stime of a live process, in seconds.
    virtual std::optional<double> cpu_seconds(std::uint32_t pid) = 0;
    // Every fd of process (pid, start_ns) that is a hung-up terminal or a
    // widowed pipe, asked of the kernel itself; nullopt when it cannot be asked (no BPF
    // iterator, replay), and the caller falls back to output_targets().
    virtual std::optional<std::vector<HungUpFd>> hung_up_fds(std::uint32_t /*pid*/,
                                                             std::uint64_t /*start_ns*/) {
        return std::nullopt;
    }
    // (sid, pgid) of the live process (pid, start_ns) as /proc shows them
    // now; nullopt when it is gone or the pid belongs to another process.
    virtual std::optional<std::pair<std::uint32_t, std::uint32_t>> session_ids(
        std::uint32_t /*pid*/, std::uint64_t /*start_ns*/) {
        return std::nullopt;
    }
};

}  // namespace hupwatch
