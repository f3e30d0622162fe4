// One rule for every test that cannot run here (no root, no BPF, a missing
// tool): outside CI it skips with the reason; under CI=true it fails, so a
// CI machine where it cannot run never passes silently.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace hupwatch::test {

inline bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string_view(ci) == "true";
}

}  // namespace hupwatch::test

// In a test body (it returns from it): skip with `reason`, or fail under CI=true.
#define HUPWATCH_SKIP_OR_FAIL_UNDER_CI(reason)                                   \
    do {                                                                         \
        if (::hupwatch::test::running_in_ci()) FAIL() << reason << " (CI=true)"; \
        GTEST_SKIP() << reason << "; set CI=true to fail";                       \
    } while (0)
