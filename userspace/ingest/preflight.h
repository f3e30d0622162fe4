// Checks that hupwatch can run here, each failure with one clear line and a
// distinct exit code, before anything is loaded into the kernel.
#pragma once

#include <string>
#include <vector>

#include "exit_codes.h"

namespace hupwatch {

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
