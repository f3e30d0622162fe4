#include "pid_namespace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pid_namespace_probe.skel.h"

namespace hupwatch {

std::string PidNamespace::describe() const {
    if (initial()) return "the initial (host) one";
    return fmt::format("pid:[{}], level {} (not the host's)", inode, level);
}

std::optional<std::uint32_t> own_pid_namespace_inode() {
    struct stat st {};
    if (stat("/proc/self/ns/pid", &st) != 0) return std::nullopt;
    return static_cast<std::uint32_t>(st.st_ino);
}

ProcNamespaceCheck check_proc_pid_namespace(const std::string& proc_root) {
    char buf[32] = {};
    ssize_t n = readlink((proc_root + "/self").c_str(), buf, sizeof buf - 1);
    const std::string self = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    const std::string pid = std::to_string(getpid());
    if (self == pid) return {true, ""};
    return {false, fmt::format("{}/self is {}, this process is {} here", proc_root,
                               self.empty() ? "unreadable" : self, pid)};
}

namespace {

// One run of the probe program in this process's own context.
std::optional<PidNamespace> probe_level(std::uint32_t inode, std::string& error) {
    struct ::pid_namespace_probe* skel = pid_namespace_probe__open_and_load();
    if (!skel) {
        error = fmt::format("hupwatch: cannot load the pid namespace probe: {}", strerror(errno));
        return std::nullopt;
    }
    LIBBPF_OPTS(bpf_test_run_opts, run);
    int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.find_pid_namespace), &run);
    const auto& found = *skel->bss;
    std::optional<PidNamespace> ns;
    if (err != 0 || !found.found) {
        error = fmt::format("hupwatch: cannot run the pid namespace probe: {}",
                            strerror(err != 0 ? errno : ENOENT));
    } else if (found.found_inum != inode || found.found_tgid != static_cast<__u32>(getpid())) {
        error = fmt::format(
            "hupwatch: the kernel names this pid namespace pid:[{}] and this process {}, "
            "/proc/self/ns/pid says pid:[{}] and getpid() {}",
            found.found_inum, found.found_tgid, inode, getpid());
    } else {
        ns = PidNamespace{found.found_level, inode};
    }
    pid_namespace_probe__destroy(skel);
    return ns;
}

}  // namespace

std::optional<PidNamespace> find_own_pid_namespace(std::string& error) {
    auto inode = own_pid_namespace_inode();
    if (!inode) {
        error = fmt::format("hupwatch: cannot read /proc/self/ns/pid: {}", strerror(errno));
        return std::nullopt;
    }
    if (*inode == kInitialPidNamespaceInode) return PidNamespace{};
    return probe_level(*inode, error);
}

}  // namespace hupwatch
