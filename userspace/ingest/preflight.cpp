#include "preflight.h"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pid_namespace.h"

namespace hupwatch {
namespace {

bool has_effective_cap(cap_value_t cap) {
    cap_t caps = cap_get_proc();
    if (!caps) return false;
    cap_flag_value_t value = CAP_CLEAR;
    bool ok = cap_get_flag(caps, cap, CAP_EFFECTIVE, &value) == 0 && value == CAP_SET;
    cap_free(caps);
    return ok;
}

// Loading tracing programs needs CAP_BPF and CAP_PERFMON (v5.8+), or
// CAP_SYS_ADMIN, which implies both.
bool has_bpf_privilege() {
    if (has_effective_cap(CAP_SYS_ADMIN)) return true;
    return has_effective_cap(CAP_BPF) && has_effective_cap(CAP_PERFMON);
}

bool has_ring_buffer() {
    return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
}

std::string kernel_release() {
    struct utsname u {};
    if (uname(&u) != 0) return "unknown";
    return fmt::format("{} {}", u.release, u.machine);
}

}  // namespace

PreflightFailure run_preflight(const std::string& btf_path) {
    if (!has_bpf_privilege())
        return {kExitNoPrivilege,
                "hupwatch: needs root, or CAP_BPF and CAP_PERFMON, to load BPF programs"};
    if (access(btf_path.c_str(), R_OK) != 0)
        return {kExitNoBtf, fmt::format("hupwatch: no kernel BTF at {}: the kernel needs "
                                        "CONFIG_DEBUG_INFO_BTF=y",
                                        btf_path)};
    // Pids are reported in hupwatch's own namespace (pid_namespace.h), and
    // /proc must number processes the same way.
    if (auto proc = check_proc_pid_namespace(); !proc.same)
        return {kExitPidNamespace,
                fmt::format("hupwatch: /proc belongs to another pid namespace than hupwatch's "
                            "({}): mount this namespace's /proc (unshare --pid --fork "
                            "--mount-proc), or run hupwatch where /proc was mounted",
                            proc.detail)};
    if (!has_ring_buffer())
        return {kExitNoRingBuffer,
                "hupwatch: this kernel has no BPF ring buffer (needs Linux 5.8 or later)"};
    return {kExitOk, ""};
}

std::vector<EnvironmentFact> describe_environment(const std::string& btf_path) {
    std::vector<EnvironmentFact> facts;
    facts.push_back({"kernel", kernel_release(), true});
    bool btf = access(btf_path.c_str(), R_OK) == 0;
    facts.push_back({"kernel BTF", btf ? btf_path : "missing (CONFIG_DEBUG_INFO_BTF)", btf});
    bool root = geteuid() == 0;
    facts.push_back({"euid", std::to_string(geteuid()) + (root ? " (root)" : ""), true});
    facts.push_back({"CAP_BPF", has_effective_cap(CAP_BPF) ? "yes" : "no", true});
    facts.push_back({"CAP_PERFMON", has_effective_cap(CAP_PERFMON) ? "yes" : "no", true});
    facts.push_back({"CAP_SYS_ADMIN", has_effective_cap(CAP_SYS_ADMIN) ? "yes" : "no", true});
    auto inode = own_pid_namespace_inode();
    bool initial_ns = !inode || *inode == kInitialPidNamespaceInode;
    facts.push_back({"pid namespace",
                     initial_ns ? "initial (host)"
                                : fmt::format("pid:[{}], not the host's: pids as it numbers them; "
                                              "processes outside it are not seen",
                                              *inode),
                     true});
    auto proc = check_proc_pid_namespace();
    facts.push_back(
        {"/proc",
         proc.same ? "this pid namespace's" : "another pid namespace's (" + proc.detail + ")",
         proc.same});
    bool priv = has_bpf_privilege();
    facts.push_back(
        {"BPF privilege", priv ? "yes" : "no (needs root or CAP_BPF+CAP_PERFMON)", priv});
    if (priv) {
        bool ringbuf = has_ring_buffer();
        facts.push_back({"BPF ring buffer", ringbuf ? "yes" : "no (Linux 5.8+)", ringbuf});
    }
    return facts;
}

}  // namespace hupwatch
