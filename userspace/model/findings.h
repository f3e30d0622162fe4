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

namespace hupwatch {

enum class VerdictKind {
    KilledByDisconnect,
    KilledByLogout,
    DiedAfterDisconnect,
    Orphaned,
    Daemonized
};
enum class OrphanCause { Disconnect, ParentExit };
enum class SurvivalReason { SighupIgnored, SighupHandled, NotSignalled, OwnSession };

std::string_view verdict_kind_name(VerdictKind kind);
std::string_view orphan_cause_name(OrphanCause cause);
std::string_view survival_reason_name(SurvivalReason reason);

// A process named in a finding: identity plus what a reader needs.
struct ProcessRef {
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
    std::string comm;
};

// One fact that led to a verdict, in time order.
struct Evidence {
    std::uint64_t ktime_ns = 0;
    std::string kind;    // "disconnect", "signal", "exit", "reparent", "setsid", ...
    std::string detail;  // one plain sentence
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
    std::string supervision = "none";  // none, systemd, tmux, screen
    std::string sighup = "default";    // default, ignored, handled

    // Death verdicts.
    int signal = 0;                      // the terminating signal, 0 if it exited
    std::optional<int> exit_code;        // when it exited
    std::optional<ProcessRef> via;       // the shell that forwarded the SIGHUP
    std::string confidence = "certain";  // "inferred" for died_after_disconnect
    // The disconnect it traces back to, when there is one.
    std::optional<std::uint64_t> disconnect_ktime_ns;
    std::optional<std::uint32_t> disconnect_sid;

    // Orphan verdicts.
    std::optional<OrphanCause> cause;
    std::optional<SurvivalReason> survived_because;
    std::optional<ProcessRef> new_parent;
    std::string reaper;  // "init" or "subreaper"
    bool output_lost = false;
    std::uint64_t eio_writes = 0;  // failed writes to a hung-up terminal, so far (opt-in)
    std::vector<int> dead_fds;     // its fds that are hung-up terminals, as the kernel said
};

using Finding = std::variant<DisconnectFinding, SessionEndFinding, Verdict>;

}  // namespace hupwatch
