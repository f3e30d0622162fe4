#include "preflight.h"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/capability.h>
#include <sys/utsname.h>
#include <unistd.h>

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

// The initial pid namespace's inode number, PROC_PID_INIT_INO in the
// kernel's include/linux/proc_ns.h (fixed since Linux 3.8).
constexpr const char* kInitialPidNamespace = "pid:[4026531836]";

std::string pid_namespace_of(const char* link) {
    char buf[64] = {};
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// BPF reports every pid as the initial pid namespace numbers it
// (pid->numbers[0]); /proc, signals and the store speak the namespace the
// daemon runs in. Only in the initial one are they the same numbers.
bool in_initial_pid_namespace() {
    std::string ns = pid_namespace_of("/proc/self/ns/pid");
    return ns.empty() || ns == kInitialPidNamespace;
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
    if (!in_initial_pid_namespace())
        return {kExitNotInitialPidNamespace,
                "hupwatch: runs only in the host's pid namespace (this is a container's): run it "
                "on the host, or in a container that shares the host's pids (docker/podman "
                "--pid=host, Kubernetes hostPID: true)"};
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
    bool initial_ns = in_initial_pid_namespace();
    facts.push_back({"pid namespace",
                     initial_ns ? "initial (host)" : "a container's (needs the host's)",
                     initial_ns});
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
