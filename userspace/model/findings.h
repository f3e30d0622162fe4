// What the correlator concludes from raw events: disconnects, session ends and
// per-process verdicts. Emitted on the same stream as the events
// (docs/events.md: "disconnect", "session_end", "verdict").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events.h"

namespace hupwatch {

enum class VerdictKind {
    KilledByDisconnect,
    KilledByLogout,
    DiedAfterDisconnect,
    Orphaned,
    Daemonized,
    Killed  // died of a signal no disconnect or logout explains (KillAttributor)
};
enum class OrphanCause { Disconnect, ParentExit };
enum class SurvivalReason { SighupIgnored, SighupHandled, NotSignalled, OwnSession };
// Who keeps a job alive through a hangup (a cgroup unit or a multiplexer).
enum class Supervision { None, Systemd, Tmux, Screen };
// What the process does with SIGHUP: /proc's SigIgn/SigCgt, or the kernel's
// signal results when it is gone.
// Unknown: a dead process whose SIGHUP disposition nothing recorded (no
// SIGHUP reached it while hupwatch watched, and /proc is gone).
enum class SighupDisposition { Default, Ignored, Handled, Unknown };
// Certain: the facts name the cause. Inferred: a death close to a disconnect.
enum class Confidence { Certain, Inferred };
// How close after its session's disconnect a death is inferred to be its
// doing (died_after_disconnect), when no signal says so.
inline constexpr std::uint64_t kDiedAfterDisconnectWindowNs = 10'000'000'000ULL;

// Who or what sent a `killed` verdict's signal (docs/events.md, "killed").
enum class KillCause {
    Operator,
    Parent,
    Crash,
    ResourceLimit,
    BrokenPipe,
    OomKernel,
    CgroupKill,
    SessionStop,     // systemd stopping a login's session-N.scope (logout, terminate-session)
    ServiceManager,  // systemd stopping any other unit
    OomUserspace,    // systemd-oomd, earlyoom, nohang
    Unknown
};
inline constexpr std::size_t kKillCauseCount = 11;

// The public names (docs/events.md), one table each in findings.cpp.
std::string_view verdict_kind_name(VerdictKind kind);
std::string_view kill_cause_name(KillCause cause);
std::string_view orphan_cause_name(OrphanCause cause);
std::string_view survival_reason_name(SurvivalReason reason);
std::string_view supervision_name(Supervision supervision);
std::string_view sighup_disposition_name(SighupDisposition disposition);
std::string_view confidence_name(Confidence confidence);
// And back; nullopt for an unknown name.
std::optional<VerdictKind> parse_verdict_kind(std::string_view name);
std::optional<KillCause> parse_kill_cause(std::string_view name);
std::optional<OrphanCause> parse_orphan_cause(std::string_view name);
std::optional<SurvivalReason> parse_survival_reason(std::string_view name);
std::optional<Supervision> parse_supervision(std::string_view name);
std::optional<SighupDisposition> parse_sighup_disposition(std::string_view name);
std::optional<Confidence> parse_confidence(std::string_view name);

// A process named in a finding: identity plus what a reader needs.
struct ProcessRef {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
    std::string comm;

    bool operator==(const ProcessRef&) const = default;
};

inline ProcessRef ref_of(const ProcessInfo& info) {
    return {info.pid, info.start_ns, info.comm};
}

// One fact that led to a verdict, in time order.
struct Evidence {
    std::uint64_t ktime_ns = 0;
    std::string kind;    // "disconnect", "signal", "exit", "reparent", "setsid", ...
    std::string detail;  // one plain sentence

    bool operator==(const Evidence&) const = default;
};

struct DisconnectFinding {
    std::uint64_t ktime_ns = 0;
    std::uint32_t sid = 0;
    std::uint32_t ppid = 0;     // the leader's parent (sshd's session process, login, ...)
    std::uint32_t tty_dev = 0;  // 0: unknown
    ProcessRef leader;
    std::uint32_t uid = 0;
    std::string user;
    std::uint32_t loginuid = UINT32_MAX;
    std::uint32_t audit_session = UINT32_MAX;
    std::uint32_t hung_up_by_pid = 0;
    std::string hung_up_by_comm;

    bool operator==(const DisconnectFinding&) const = default;
};

struct SessionEndFinding {
    std::uint64_t ktime_ns = 0;
    std::uint32_t sid = 0;
    std::uint32_t ppid = 0;
    std::uint32_t tty_dev = 0;
    ProcessRef leader;
    std::uint32_t uid = 0;
    std::string user;
    std::int32_t raw_status = 0;

    bool operator==(const SessionEndFinding&) const = default;
};

// The process that sent a fatal signal, as the process table knew it.
struct Killer {
    ProcessRef process;
    std::vector<std::string> argv;
    std::uint32_t uid = 0;
    std::string user;
    std::uint32_t loginuid = UINT32_MAX;
    std::string login_user;     // the person behind sudo or su; empty when unset
    std::uint32_t tty_dev = 0;  // 0: none
    std::uint32_t sid = 0;

    bool operator==(const Killer&) const = default;
};

// What only a `killed` verdict has.
struct KillDetails {
    KillCause cause = KillCause::Unknown;
    bool job = true;               // false only for an OOM kill of a process that is not a job
    std::optional<Killer> killer;  // none: the kernel, or a sender not seen
    bool core_dumped = false;
    std::optional<std::string> unit;           // systemd unit or scope of the victim's cgroup
    std::optional<std::string> memory_cgroup;  // oom_kernel: the memory cgroup's path

    bool operator==(const KillDetails&) const = default;
};

struct Verdict {
    VerdictKind kind = VerdictKind::Orphaned;
    std::uint64_t ktime_ns = 0;  // when the fact happened (death, reparenting)
    ProcessRef process;
    std::vector<std::string> argv;
    std::uint32_t ppid = 0;
    std::uint32_t uid = 0;
    std::string user;
    std::uint32_t sid = 0;
    std::uint32_t tty_dev = 0;
    std::uint64_t run_time_ns = 0;
    std::vector<ProcessRef> lineage;  // parent first, up to the session leader
    std::vector<Evidence> evidence;
    Supervision supervision = Supervision::None;
    SighupDisposition sighup = SighupDisposition::Default;

    // Death verdicts.
    int signal = 0;                               // the terminating signal, 0 if it exited
    std::optional<int> exit_code;                 // when it exited
    std::optional<ProcessRef> via;                // the shell that forwarded the SIGHUP
    Confidence confidence = Confidence::Certain;  // inferred: died_after_disconnect
    // The disconnect it traces back to, when there is one.
    std::optional<std::uint64_t> disconnect_ktime_ns;
    std::optional<std::uint32_t> disconnect_sid;

    // Orphan verdicts.
    std::optional<OrphanCause> cause;
    std::optional<SurvivalReason> survived_because;
    std::optional<ProcessRef> new_parent;
    std::optional<ReaperKind> reaper;
    bool output_lost = false;
    std::uint64_t eio_writes = 0;  // failed writes to a hung-up terminal, so far (opt-in)
    std::vector<int> dead_fds;     // its fds that are hung-up terminals, as the kernel said

    // Killed verdicts.
    std::optional<KillDetails> kill;

    bool operator==(const Verdict&) const = default;
};

using Finding = std::variant<DisconnectFinding, SessionEndFinding, Verdict>;

}  // namespace hupwatch
