#include "process_classification.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace hupwatch {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Units that hold interactive logins rather than supervise a job.
bool is_login_unit(std::string_view unit) {
    static constexpr std::array<std::string_view, 5> kLoginServices = {
        "ssh.service", "sshd.service", "console-getty.service", "systemd-logind.service",
        "dropbear.service"};
    if (starts_with(unit, "session-") && ends_with(unit, ".scope")) return true;
    if (starts_with(unit, "getty@") || starts_with(unit, "serial-getty@") ||
        starts_with(unit, "sshd@") || starts_with(unit, "container-getty@"))
        return true;
    if (unit == "init.scope") return true;  // PID 1 itself
    return std::find(kLoginServices.begin(), kLoginServices.end(), unit) != kLoginServices.end();
}

}  // namespace

std::string_view supervision_name(Supervision supervision) {
    switch (supervision) {
        case Supervision::None: return "none";
        case Supervision::Systemd: return "systemd";
        case Supervision::Tmux: return "tmux";
        case Supervision::Screen: return "screen";
    }
    return "none";
}

std::string_view sighup_disposition_name(SighupDisposition disposition) {
    switch (disposition) {
        case SighupDisposition::Default: return "default";
        case SighupDisposition::Ignored: return "ignored";
        case SighupDisposition::Handled: return "handled";
    }
    return "default";
}

Supervision classify_supervision(std::string_view cgroup_path,
                                 const std::vector<std::string>& ancestor_comms) {
    for (const auto& comm : ancestor_comms) {
        // tmux's server renames itself "tmux: server"; screen's is "SCREEN".
        if (starts_with(comm, "tmux")) return Supervision::Tmux;
        if (lower(comm) == "screen") return Supervision::Screen;
    }
    auto slash = cgroup_path.rfind('/');
    std::string_view unit = slash == std::string_view::npos ? cgroup_path : cgroup_path.substr(slash + 1);
    if ((ends_with(unit, ".service") || ends_with(unit, ".scope")) && !is_login_unit(unit))
        return Supervision::Systemd;
    return Supervision::None;
}

SighupDisposition sighup_disposition(std::uint64_t ignored_mask, std::uint64_t caught_mask) {
    if (ignored_mask & 1) return SighupDisposition::Ignored;
    if (caught_mask & 1) return SighupDisposition::Handled;
    return SighupDisposition::Default;
}

}  // namespace hupwatch
