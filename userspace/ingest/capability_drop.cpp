#include "capability_drop.h"

#include <fmt/format.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hupwatch {
namespace {

constexpr cap_value_t kKept[] = {CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH};

bool is_kept(cap_value_t cap) {
    for (cap_value_t kept : kKept)
        if (kept == cap) return true;
    return false;
}

// Out of the bounding set: an exec (there is none, but a bug could add one)
// never regains it. Needs CAP_SETPCAP, which the unit does not grant; then
// the bounding set is already what systemd left (CapabilityBoundingSet=).
void drop_from_bounding_set() {
    if (!CAP_IS_SUPPORTED(CAP_SETPCAP)) return;
    for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; ++cap)
        if (!is_kept(cap) && CAP_IS_SUPPORTED(cap)) cap_drop_bound(cap);
}

}  // namespace

bool drop_capabilities_after_attach(std::string& error) {
    drop_from_bounding_set();
    // Ambient capabilities would come back on an exec; clear them first.
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    cap_t current = cap_get_proc();
    if (!current) {
        error = fmt::format("hupwatch: cannot read capabilities: {}", strerror(errno));
        return false;
    }
    cap_t wanted = cap_init();
    for (cap_value_t cap : kKept) {
        cap_flag_value_t have = CAP_CLEAR;
        // Keep only what we were given: a drop never adds.
        if (cap_get_flag(current, cap, CAP_PERMITTED, &have) != 0 || have != CAP_SET) continue;
        cap_set_flag(wanted, CAP_EFFECTIVE, 1, &cap, CAP_SET);
        cap_set_flag(wanted, CAP_PERMITTED, 1, &cap, CAP_SET);
    }
    bool ok = cap_set_proc(wanted) == 0;
    if (!ok)
        error = fmt::format("hupwatch: cannot drop capabilities after attach: {}", strerror(errno));
    cap_free(wanted);
    cap_free(current);
    return ok;
}

std::string effective_capabilities_hex() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("CapEff:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 7));
    return "unknown";
}

}  // namespace hupwatch
