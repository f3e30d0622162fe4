#include "findings.h"

namespace hupwatch {

std::string_view verdict_kind_name(VerdictKind kind) {
    switch (kind) {
        case VerdictKind::KilledByDisconnect:
            return "killed_by_disconnect";
        case VerdictKind::KilledByLogout:
            return "killed_by_logout";
        case VerdictKind::DiedAfterDisconnect:
            return "died_after_disconnect";
        case VerdictKind::Orphaned:
            return "orphaned";
        case VerdictKind::Daemonized:
            return "daemonized";
        case VerdictKind::Killed:
            return "killed";
    }
    return "unknown";
}

std::string_view kill_cause_name(KillCause cause) {
    switch (cause) {
        case KillCause::Operator:
            return "operator";
        case KillCause::Parent:
            return "parent";
        case KillCause::Crash:
            return "crash";
        case KillCause::ResourceLimit:
            return "resource_limit";
        case KillCause::BrokenPipe:
            return "broken_pipe";
        case KillCause::OomKernel:
            return "oom_kernel";
        case KillCause::CgroupKill:
            return "cgroup_kill";
        case KillCause::Unknown:
            break;
    }
    return "unknown";
}

std::string_view orphan_cause_name(OrphanCause cause) {
    return cause == OrphanCause::Disconnect ? "disconnect" : "parent_exit";
}

std::string_view survival_reason_name(SurvivalReason reason) {
    switch (reason) {
        case SurvivalReason::SighupIgnored:
            return "sighup_ignored";
        case SurvivalReason::SighupHandled:
            return "sighup_handled";
        case SurvivalReason::NotSignalled:
            return "not_signalled";
        case SurvivalReason::OwnSession:
            return "own_session";
    }
    return "unknown";
}

}  // namespace hupwatch
