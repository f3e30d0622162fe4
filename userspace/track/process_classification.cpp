#include "process_classification.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "ascii_text.h"

namespace hupwatch {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
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

Supervision classify_supervision(std::string_view cgroup_path,
                                 const std::vector<std::string>& ancestor_comms) {
    for (const auto& comm : ancestor_comms) {
        // tmux's server renames itself "tmux: server"; screen's is "SCREEN".
        if (starts_with(comm, "tmux")) return Supervision::Tmux;
        if (ascii_lower(comm) == "screen") return Supervision::Screen;
    }
    // The deepest unit on the path: a service with Delegate=yes may hold
    // sub-cgroups of its own below its unit ("/system.slice/x.service/worker").
    std::string_view unit;
    for (std::string_view rest = cgroup_path; !rest.empty();) {
        auto slash = rest.find('/');
        std::string_view part = rest.substr(0, slash);
        if (ends_with(part, ".service") || ends_with(part, ".scope")) unit = part;
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    if (!unit.empty() && !is_login_unit(unit)) return Supervision::Systemd;
    return Supervision::None;
}

SighupDisposition sighup_disposition(std::uint64_t ignored_mask, std::uint64_t caught_mask) {
    if (ignored_mask & 1) return SighupDisposition::Ignored;
    if (caught_mask & 1) return SighupDisposition::Handled;
    return SighupDisposition::Default;
}

std::string_view risk_name(Risk risk) {
    switch (risk) {
        case Risk::AtRisk:
            return "at_risk";
        case Risk::Protected:
            return "protected";
        case Risk::Orphaned:
            return "orphaned";
        case Risk::NotAJob:
            return "not_a_job";
    }
    return "not_a_job";
}

bool is_shell_comm(std::string_view comm) {
    if (!comm.empty() && comm.front() == '-') comm.remove_prefix(1);
    for (std::string_view shell :
         {"bash", "sh", "dash", "zsh", "fish", "ksh", "mksh", "tcsh", "csh"})
        if (comm == shell) return true;
    return false;
}

RiskAssessment assess_risk(const RiskFacts& facts) {
    if (facts.kernel_thread) return {Risk::NotAJob, "kernel_thread"};
    if (facts.is_init) return {Risk::NotAJob, "init"};
    // The login shell is the session: the hangup is its own end, not a job's.
    // A command run directly as a tmux or screen window leads its session
    // too, but it is the job there, not a shell.
    bool window_command = facts.supervision != Supervision::None &&
                          facts.supervision != Supervision::Systemd && !facts.is_shell;
    if (facts.is_session_leader && facts.has_tty && !window_command)
        return {Risk::NotAJob, "session_leader"};
    // A supervisor outlives the login and holds the job's terminal (tmux,
    // screen) or its lifetime (systemd), whatever the job does with SIGHUP.
    if (facts.supervision != Supervision::None)
        return {Risk::Protected, std::string(supervision_name(facts.supervision))};
    if (facts.orphaned) return {Risk::Orphaned, "reparented"};
    // The kernel signals only the session of the terminal that hangs up
    // (tty_signal_session_leader() walks tty->ctrl.session).
    if (!facts.in_interactive_session) return {Risk::Protected, "own_session"};
    switch (facts.sighup) {
        case SighupDisposition::Ignored:
            return {Risk::Protected, "sighup_ignored"};
        case SighupDisposition::Handled:
            return {Risk::Protected, "sighup_handled"};
        case SighupDisposition::Default:
        case SighupDisposition::Unknown:
            break;
    }
    return {Risk::AtRisk, "sighup_default"};
}

bool is_terminal_link(std::string_view link) {
    static constexpr std::string_view kDeleted = " (deleted)";
    if (ends_with(link, kDeleted)) link.remove_suffix(kDeleted.size());
    if (starts_with(link, "/dev/pts/")) {
        std::string_view n = link.substr(9);
        return !n.empty() &&
               std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    return starts_with(link, "/dev/tty") || link == "/dev/console";
}

bool is_lost_terminal_link(std::string_view link) {
    return ends_with(link, " (deleted)") && is_terminal_link(link);
}

bool output_to_tty(std::string_view stdout_link, std::string_view stderr_link) {
    return is_terminal_link(stdout_link) || is_terminal_link(stderr_link);
}

bool output_lost(std::string_view stdout_link, std::string_view stderr_link) {
    return is_lost_terminal_link(stdout_link) || is_lost_terminal_link(stderr_link);
}

}  // namespace hupwatch
