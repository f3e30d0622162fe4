// Typed events decoded from the BPF ring buffer (bpf/hupwatch_events.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hupwatch {

enum class EventType {
    Fork,
    Exec,
    Exit,
    Signal,
    Reparent,
    Session,
    OutputLost,
    OomVictim,
    CgroupMkdir,
    ExitUnseen
};
inline constexpr std::size_t kEventTypeCount = 10;
// The types the BPF ring buffer carries, Fork to CgroupMkdir; the rest are
// hupwatch's own conclusions (ExitUnseen).
inline constexpr std::size_t kRingEventTypeCount = 9;

enum class SignalOrigin { User, Kernel };
enum class SignalResult { Delivered, Ignored, AlreadyPending, Overflow, LostInfo, Unknown };
enum class ReaperKind { Init, Subreaper };
// The target's disposition of the signal when it was generated; Unknown
// where the source does not say (events read back from the store).
enum class SignalDisposition { Default, Ignored, Handled, Unknown };
enum class SessionCall { Setsid, Setpgid };

// A process as seen at one event. (pid, start_ns) is its identity.
struct ProcessInfo {
    std::uint32_t pid = 0;  // tgid
    std::uint32_t tid = 0;
    std::uint32_t ppid = 0;
    std::uint32_t pgid = 0;
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::uint32_t loginuid = UINT32_MAX;
    std::uint32_t audit_session = UINT32_MAX;
    std::uint32_t tty_dev = 0;   // kernel dev_t, 0: none
    std::uint64_t start_ns = 0;  // boot-time ns, as task->start_boottime
    std::uint64_t cgroup_id = 0;
    std::string comm;

    bool operator==(const ProcessInfo&) const = default;
};

// kthreadd is pid 2 and the parent of every other kernel thread; in a pid
// namespace neither is visible.
inline bool is_kernel_thread(const ProcessInfo& info) {
    return info.pid == 2 || info.ppid == 2;
}

struct ForkEvent {
    ProcessInfo child;
    std::uint64_t parent_start_ns = 0;

    bool operator==(const ForkEvent&) const = default;
};

struct ExecEvent {
    ProcessInfo proc;
    std::uint32_t old_pid = 0;
    std::string filename;
    std::vector<std::string> argv;
    bool argv_truncated = false;
    bool argv_redacted = false;  // secrets replaced by "***" (model/argv_redactor.h)

    bool operator==(const ExecEvent&) const = default;
};

struct ExitEvent {
    ProcessInfo proc;
    std::int32_t raw_status = 0;  // wait status, as task->exit_code
    std::uint32_t orphans = 0;
    std::uint32_t orphans_overflow = 0;
    std::uint64_t utime_ns = 0;
    std::uint64_t stime_ns = 0;

    // Decoding spelled out once: sig = code & 0x7f, core = code & 0x80, status = code >> 8.
    int term_signal() const { return raw_status & 0x7f; }
    bool core_dumped() const { return (raw_status & 0x80) != 0; }
    std::optional<int> exit_code() const {
        if (term_signal() != 0) return std::nullopt;
        return (raw_status >> 8) & 0xff;
    }

    bool operator==(const ExitEvent&) const = default;
};

struct SignalEvent {
    ProcessInfo target;
    std::uint32_t sender_pid = 0;
    std::uint64_t sender_start_ns = 0;
    std::string sender_comm;
    int sig = 0;
    int si_code = 0;
    SignalOrigin origin = SignalOrigin::User;
    SignalResult result = SignalResult::Delivered;
    bool group = false;
    // The kernel passed no siginfo (send_sig(sig, task, 0)): cgroup.kill,
    // pipe_write's SIGPIPE, RLIMIT_FSIZE. kill() always passes one.
    bool no_info = false;
    std::uint32_t sender_uid = 0;
    std::uint32_t sender_loginuid = UINT32_MAX;  // unset; else the person behind sudo or su
    SignalDisposition disposition = SignalDisposition::Unknown;

    bool operator==(const SignalEvent&) const = default;
};

struct ReparentEvent {
    ProcessInfo child;
    std::uint32_t old_ppid = 0;
    std::uint64_t old_parent_start_ns = 0;
    std::uint32_t new_ppid = 0;
    std::uint64_t new_parent_start_ns = 0;
    ReaperKind reaper = ReaperKind::Init;

    bool operator==(const ReparentEvent&) const = default;
};

struct SessionEvent {
    ProcessInfo proc;  // the caller, after the call
    SessionCall call = SessionCall::Setsid;
    std::int64_t ret = 0;  // new sid / 0, or -errno
    std::uint32_t arg_pid = 0;
    std::uint32_t arg_pgid = 0;

    bool operator==(const SessionEvent&) const = default;
};

// Writes failing with EIO: the process's terminal was hung up.
struct OutputLostEvent {
    ProcessInfo proc;
    std::uint64_t eio_writes = 0;  // so far, by this process
    std::uint32_t fd = 0;          // of the latest failed write

    bool operator==(const OutputLostEvent&) const = default;
};

// The kernel's OOM killer chose this process (oom:mark_victim).
struct OomVictimEvent {
    ProcessInfo proc;               // the victim
    std::uint32_t trigger_pid = 0;  // whose allocation ran the OOM killer
    std::uint64_t trigger_start_ns = 0;
    std::uint64_t memcg_id = 0;  // kernfs id of its memory cgroup, 0: none
    std::string memcg_path;      // in the memory controller's hierarchy; "/": the host
    bool memcg_path_truncated = false;

    bool operator==(const OomVictimEvent&) const = default;
};

// A cgroup was made in the unified hierarchy (cgroup:cgroup_mkdir). Its path
// names its unit after it is gone.
struct CgroupMkdirEvent {
    ProcessInfo proc;             // the process that made it
    std::uint64_t cgroup_id = 0;  // the new cgroup's id, as ProcessInfo::cgroup_id
    std::string path;             // below the hierarchy's root: "/system.slice/x.scope"
    bool path_truncated = false;

    bool operator==(const CgroupMkdirEvent&) const = default;
};

// A live process whose exit event never came (the ring buffer was full): a
// whole /proc scan no longer found it. Event::ktime_ns is the scan's start,
// by which it was gone; how and exactly when it ended is unknown. Made by
// hupwatch (ProcessTable::exits_unseen_by), not read from the kernel.
struct ExitUnseenEvent {
    ProcessInfo proc;  // as last seen alive
    bool operator==(const ExitUnseenEvent&) const = default;
};

using EventBody =
    std::variant<ForkEvent, ExecEvent, ExitEvent, SignalEvent, ReparentEvent, SessionEvent,
                 OutputLostEvent, OomVictimEvent, CgroupMkdirEvent, ExitUnseenEvent>;

struct Event {
    std::uint64_t ktime_ns = 0;  // CLOCK_BOOTTIME
    EventBody body;

    EventType type() const { return static_cast<EventType>(body.index()); }
    // The process the event is about (fork: the child; signal: the target).
    const ProcessInfo& subject() const;
    ProcessInfo& subject();

    bool operator==(const Event&) const = default;
};

std::string_view event_type_name(EventType type);  // "fork", "exec", ...
std::string_view signal_result_name(SignalResult result);
std::string_view signal_origin_name(SignalOrigin origin);
std::string_view reaper_kind_name(ReaperKind kind);
std::string_view session_call_name(SessionCall call);
// The names back to values (the JSON decoder); nullopt for an unknown name.
std::optional<EventType> parse_event_type(std::string_view name);
std::optional<SignalResult> parse_signal_result(std::string_view name);
std::optional<SignalOrigin> parse_signal_origin(std::string_view name);
std::optional<ReaperKind> parse_reaper_kind(std::string_view name);
std::optional<SessionCall> parse_session_call(std::string_view name);

}  // namespace hupwatch
