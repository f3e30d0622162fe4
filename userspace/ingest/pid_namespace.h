// The pid namespace hupwatch runs in: every pid it reports is the number
// this namespace gives the process (docs/events.md). BPF reads the kernel's
// struct pid, which holds a number per namespace level; the programs are
// told which level and namespace are the loader's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hupwatch {

// PROC_PID_INIT_INO (include/linux/proc_ns.h): the initial pid namespace's
// inode, fixed since Linux 3.8.
inline constexpr std::uint32_t kInitialPidNamespaceInode = 4026531836U;

struct PidNamespace {
    std::uint32_t level = 0;                          // 0: the initial (host) namespace
    std::uint32_t inode = kInitialPidNamespaceInode;  // nsfs inode: "pid:[inode]"
    bool initial() const { return level == 0; }
    // "the initial (host) one", or "pid:[4026532301], level 1 (not the host's)".
    std::string describe() const;
};

// The inode of /proc/self/ns/pid; nullopt when it cannot be read.
std::optional<std::uint32_t> own_pid_namespace_inode();

// Does /proc show this process's pid namespace (/proc/self is getpid())?
// A /proc of another namespace (unshare --pid without --mount-proc) names
// every process with numbers that are not the ones hupwatch reports.
struct ProcNamespaceCheck {
    bool same = true;
    std::string detail;  // when not: what /proc/self and getpid() say
};
ProcNamespaceCheck check_proc_pid_namespace(const std::string& proc_root = "/proc");

// Level and inode of this process's pid namespace. In the initial one from
// the inode alone; elsewhere the level comes from the kernel
// (bpf/pid_namespace.bpf.c, run once; needs the BPF privilege), checked
// against /proc/self/ns/pid and getpid(). nullopt with a one-line error.
std::optional<PidNamespace> find_own_pid_namespace(std::string& error);

}  // namespace hupwatch
