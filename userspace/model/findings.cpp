#include "findings.h"

#include "enum_names.h"

namespace hupwatch {
namespace {

constexpr NameTable<VerdictKind, 6> kVerdictKinds{{
    {VerdictKind::KilledByDisconnect, "killed_by_disconnect"},
    {VerdictKind::KilledByLogout, "killed_by_logout"},
    {VerdictKind::DiedAfterDisconnect, "died_after_disconnect"},
    {VerdictKind::Orphaned, "orphaned"},
    {VerdictKind::Daemonized, "daemonized"},
    {VerdictKind::Killed, "killed"},
}};
constexpr NameTable<KillCause, kKillCauseCount> kKillCauses{{
    {KillCause::Operator, "operator"},
    {KillCause::Parent, "parent"},
    {KillCause::Crash, "crash"},
    {KillCause::ResourceLimit, "resource_limit"},
    {KillCause::BrokenPipe, "broken_pipe"},
    {KillCause::OomKernel, "oom_kernel"},
    {KillCause::CgroupKill, "cgroup_kill"},
    {KillCause::SessionStop, "session_stop"},
    {KillCause::ServiceManager, "service_manager"},
    {KillCause::OomUserspace, "oom_userspace"},
    {KillCause::Unknown, "unknown"},
}};
constexpr NameTable<OrphanCause, 2> kOrphanCauses{{
    {OrphanCause::Disconnect, "disconnect"},
    {OrphanCause::ParentExit, "parent_exit"},
}};
constexpr NameTable<SurvivalReason, 4> kSurvivalReasons{{
    {SurvivalReason::SighupIgnored, "sighup_ignored"},
    {SurvivalReason::SighupHandled, "sighup_handled"},
    {SurvivalReason::NotSignalled, "not_signalled"},
    {SurvivalReason::OwnSession, "own_session"},
}};
constexpr NameTable<Supervision, 4> kSupervisions{{
    {Supervision::None, "none"},
    {Supervision::Systemd, "systemd"},
    {Supervision::Tmux, "tmux"},
    {Supervision::Screen, "screen"},
}};
constexpr NameTable<SighupDisposition, 4> kSighupDispositions{{
    {SighupDisposition::Default, "default"},
    {SighupDisposition::Ignored, "ignored"},
    {SighupDisposition::Handled, "handled"},
    {SighupDisposition::Unknown, "unknown"},
}};
constexpr NameTable<Confidence, 2> kConfidences{{
    {Confidence::Certain, "certain"},
    {Confidence::Inferred, "inferred"},
}};

}  // namespace

std::string_view verdict_kind_name(VerdictKind kind) {
    return name_of(kVerdictKinds, kind);
}
std::string_view kill_cause_name(KillCause cause) {
    return name_of(kKillCauses, cause);
}
std::string_view orphan_cause_name(OrphanCause cause) {
    return name_of(kOrphanCauses, cause);
}
std::string_view survival_reason_name(SurvivalReason reason) {
    return name_of(kSurvivalReasons, reason);
}
std::string_view supervision_name(Supervision supervision) {
    return name_of(kSupervisions, supervision);
}
std::string_view sighup_disposition_name(SighupDisposition disposition) {
    return name_of(kSighupDispositions, disposition);
}
std::string_view confidence_name(Confidence confidence) {
    return name_of(kConfidences, confidence);
}

std::optional<VerdictKind> parse_verdict_kind(std::string_view name) {
    return value_of(kVerdictKinds, name);
}
std::optional<KillCause> parse_kill_cause(std::string_view name) {
    return value_of(kKillCauses, name);
}
std::optional<OrphanCause> parse_orphan_cause(std::string_view name) {
    return value_of(kOrphanCauses, name);
}
std::optional<SurvivalReason> parse_survival_reason(std::string_view name) {
    return value_of(kSurvivalReasons, name);
}
std::optional<Supervision> parse_supervision(std::string_view name) {
    return value_of(kSupervisions, name);
}
std::optional<SighupDisposition> parse_sighup_disposition(std::string_view name) {
    return value_of(kSighupDispositions, name);
}
std::optional<Confidence> parse_confidence(std::string_view name) {
    return value_of(kConfidences, name);
}

}  // namespace hupwatch
