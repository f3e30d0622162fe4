// Checks that hupwatch can run here, each failure with one clear line and a
// distinct exit code, before anything is loaded into the kernel.
#pragma once

#include <string>
#include <vector>

namespace hupwatch {

// Exit codes of the CLI; documented in docs/cli.md.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,
    kExitUsage = 2,
    kExitNoPrivilege = 10,
    kExitNoBtf = 11,
    kExitNoRingBuffer = 12,
    kExitVerifierRejected = 13,
    kExitAttachFailed = 14,
    // 15 (kExitDatabase) is the store's, declared with it.
    // A pid namespace hupwatch cannot report in: /proc is another
    // namespace's, or the kernel would not tell its level. (It once meant
    // any namespace but the host's; pids are now translated.)
    kExitPidNamespace = 16,
};

struct PreflightFailure {
    ExitCode code = kExitOk;
    std::string message;  // one line, ready to print
};

struct EnvironmentFact {
    std::string name;
    std::string value;
    bool ok = true;
};

inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

// The first blocking problem, or code kExitOk.
PreflightFailure run_preflight(const std::string& btf_path = kKernelBtfPath);

// Everything `hupwatch check` reports.
std::vector<EnvironmentFact> describe_environment(const std::string& btf_path = kKernelBtfPath);

}  // namespace hupwatch
