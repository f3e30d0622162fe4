#include "kill_attributor.h"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>

#include "signal_names.h"

namespace hupwatch {
namespace {

constexpr std::size_t kSignalsKept = 4;
// Unreadable sightings of one cgroup before it is given up on.
constexpr unsigned kCgroupMisses = 8;
constexpr std::size_t kMaxAncestors = 32;

// A fault of the process itself: the kernel's force_sig_fault() and
// friends, or abort(). Their default action dumps core.
bool is_crash_signal(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGSYS ||
           sig == SIGTRAP || sig == SIGABRT;
}

// Userspace OOM killers, told apart by the sender's executable (its comm:
// nohang is a script, whose comm is its file's name).
bool is_userspace_oom_killer(const std::string& comm) {
    return comm == "systemd-oomd" || comm == "earlyoom" || comm == "nohang";
}

// A login's scope: logind asks systemd for session-N.scope at each login
// (pam_systemd), and systemd stops it at logout or terminate-session.
bool is_session_scope(const std::optional<std::string>& unit) {
    return unit && unit->starts_with("session-") && unit->ends_with(".scope");
}

// What the nearest ancestor that decides shows: a service manager, or a
// login (a terminal, a loginuid, sshd, a multiplexer); nullopt: none does.
enum class Anchor { Login, ServiceManager };
std::optional<Anchor> nearest_anchor(const std::vector<const ProcessEntry*>& ancestors) {
    for (const auto* ancestor : ancestors) {
        const auto& a = ancestor->info;
        if (a.comm == "systemd") return Anchor::ServiceManager;
        if (a.tty_dev != 0 || a.loginuid != UINT32_MAX || is_login_program(a.comm))
            return Anchor::Login;
    }
    return std::nullopt;
}

}  // namespace

// Ancestors of a login: sshd (its listener and its per-connection
// processes), login(1), and the multiplexers whose windows are logins too.
bool is_login_program(std::string_view comm) {
    return comm == "sshd" || comm == "sshd-session" || comm == "login" || comm == "tmux: server" ||
           comm == "SCREEN" || comm == "screen";
}

std::optional<std::string> unit_of_cgroup(std::string_view path) {
    std::optional<std::string> unit;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(start, end - start);
        if (part.ends_with(".service") || part.ends_with(".scope")) unit = std::string(part);
        start = end + 1;
    }
    return unit;
}

std::string KillAttributor::user_name(std::uint32_t uid) const {
    return probe_ ? probe_->user_name(uid) : std::to_string(uid);
}

void KillAttributor::learn_cgroup(const ProcessInfo& info, std::uint32_t read_pid) {
    if (!probe_ || info.cgroup_id == 0) return;
    CgroupSeen& seen = cgroups_.obtain(info.cgroup_id);
    // A process gone before its event is read tells nothing: the next ones
    // of the same cgroup are asked, a few times, so a short-lived first
    // sighting does not hide a unit and a storm of them costs no more.
    // A path named by the cgroup's mkdir still leaves its root to learn
    // (a container's users are named by it once its processes are gone).
    if ((!seen.path.empty() && seen.root_known) || seen.misses >= kCgroupMisses) return;
    if (seen.path.empty()) {
        auto path = probe_->cgroup_path(read_pid);
        if (!path) {
            ++seen.misses;
            return;
        }
        seen.path = std::move(*path);
    }
    seen.root_known = probe_->learn_root_of_cgroup(info.cgroup_id, read_pid);
    if (!seen.root_known) ++seen.misses;
}

std::optional<std::string> KillAttributor::cgroup_of(const ProcessInfo& p) const {
    if (probe_) {
        if (p.cgroup_id != 0)
            if (auto path = probe_->cgroup_path_of_id(p.cgroup_id)) return path;
        if (auto path = probe_->cgroup_path(p.pid)) return path;
    }
    return known_cgroup(p.cgroup_id);
}

std::optional<std::string> KillAttributor::known_cgroup(std::uint64_t cgroup_id) const {
    const CgroupSeen* seen = cgroups_.find(cgroup_id);
    if (!seen || seen->path.empty()) return std::nullopt;
    return seen->path;
}

void KillAttributor::observe(const Event& event) {
    // A fork's child is in its parent's cgroup, and the parent most likely
    // still runs when the event is read (a vfork storm's children do not).
    if (const auto* fork = std::get_if<ForkEvent>(&event.body))
        learn_cgroup(fork->child, fork->child.ppid);
    else if (const auto* mkdir = std::get_if<CgroupMkdirEvent>(&event.body)) {
        // Named at its making: a scope stopped before any of its processes'
        // events are read is gone from the cgroup filesystem by then.
        if (mkdir->cgroup_id != 0 && !mkdir->path_truncated)
            cgroups_.obtain(mkdir->cgroup_id).path = mkdir->path;
        return;
    } else if (event.type() == EventType::Exec)
        learn_cgroup(event.subject(), event.subject().pid);
    if (const auto* s = std::get_if<SignalEvent>(&event.body)) {
        if (s->sig == SIGCONT) return;  // never kills
        auto& notes = notes_[{s->target.pid, s->target.start_ns}];
        notes.signals.push_back({event.ktime_ns, *s});
        if (notes.signals.size() > kSignalsKept) notes.signals.erase(notes.signals.begin());
        // The victim's cgroup names its unit; it is gone from /proc soon,
        // often before this event is read (systemd's SIGTERM kills at
        // once): its cgroup id at the signal names it while the unit lives.
        if (!notes.cgroup) notes.cgroup = cgroup_of(s->target);
    } else if (const auto* oom = std::get_if<OomVictimEvent>(&event.body)) {
        notes_[{oom->proc.pid, oom->proc.start_ns}].oom = std::make_pair(event.ktime_ns, *oom);
    }
}

bool KillAttributor::is_job(const ProcessInfo& info,
                            const std::vector<const ProcessEntry*>& ancestors) {
    // Started by a service manager before any login: a service, unless it
    // has a terminal of its own. Its loginuid says nothing then (systemd
    // --user's services inherit the user's), nor the manager's terminal
    // (a container's systemd booted on its console pty, then let it go
    // without an event: the table still has it).
    const auto anchor = nearest_anchor(ancestors);
    if (anchor == Anchor::ServiceManager) return info.tty_dev != 0;
    // loginuid is set by pam_loginuid at a login and inherited by all it runs.
    if (info.loginuid != UINT32_MAX || info.tty_dev != 0) return true;
    return anchor == Anchor::Login;
}

std::optional<Killer> KillAttributor::killer_of(const SignalEvent& s,
                                                const ProcessTable& table) const {
    Killer k;
    k.process = {s.sender_pid, s.sender_start_ns, s.sender_comm};
    // Credentials as they were at the send (the event's); the terminal and
    // session, and argv, from the table.
    k.uid = s.sender_uid;
    // Names as the sender sees them (a container's passwd), while it lives.
    auto name = [&](std::uint32_t uid) {
        if (probe_) {
            if (auto seen = probe_->user_name_seen_by(uid, s.sender_pid, s.sender_start_ns))
                return *seen;
        }
        return user_name(uid);
    };
    k.user = name(s.sender_uid);
    k.loginuid = s.sender_loginuid;
    if (k.loginuid != UINT32_MAX) k.login_user = name(k.loginuid);
    if (const auto* entry = table.find(s.sender_pid, s.sender_start_ns)) {
        k.argv = entry->argv;
        k.tty_dev = entry->info.tty_dev;
        k.sid = entry->info.sid;
    }
    return k;
}

std::optional<KillAttribution> KillAttributor::attribute(
    const Event& event, const ExitEvent& exit, const ProcessTable& table,
    const std::vector<const ProcessEntry*>& ancestors) {
    const auto& proc = exit.proc;
    auto it = notes_.find({proc.pid, proc.start_ns});
    std::optional<VictimNotes> notes;
    if (it != notes_.end()) {
        notes = std::move(it->second);
        notes_.erase(it);
    }
    const int sig = exit.term_signal();
    if (sig == 0) return std::nullopt;

    KillAttribution a;
    a.signal = sig;
    a.details.core_dumped = exit.core_dumped();
    a.is_job = is_job(proc, ancestors);

    // The signal that killed it: the first of its number that landed.
    const SignalSeen* fatal = nullptr;
    if (notes) {
        for (const auto& seen : notes->signals) {
            if (seen.signal.sig != sig) continue;
            if (!fatal || (fatal->signal.result != SignalResult::Delivered &&
                           seen.signal.result == SignalResult::Delivered))
                fatal = &seen;
        }
    }
    // The unit first: it tells systemd's session stops from its unit stops.
    std::optional<std::string> cgroup = notes ? notes->cgroup : std::nullopt;
    if (!cgroup) cgroup = cgroup_of(proc);
    if (cgroup) a.details.unit = unit_of_cgroup(*cgroup);

    classify(a, proc, fatal, notes ? &*notes : nullptr, table, ancestors);

    a.evidence.push_back({event.ktime_ns, "exit",
                          fmt::format("{} {} killed by {}{}", proc.comm, proc.pid, signal_name(sig),
                                      exit.core_dumped() ? " (core dumped)" : "")});
    std::sort(a.evidence.begin(), a.evidence.end(),
              [](const Evidence& x, const Evidence& y) { return x.ktime_ns < y.ktime_ns; });
    return a;
}

void KillAttributor::classify(KillAttribution& a, const ProcessInfo& victim,
                              const SignalSeen* fatal, const VictimNotes* notes,
                              const ProcessTable& table,
                              const std::vector<const ProcessEntry*>& ancestors) const {
    const int sig = a.signal;
    auto& d = a.details;
    if (notes && notes->oom && sig == SIGKILL) {
        // __oom_kill_process() sends SIGKILL, then marks the victim.
        const auto& [when, oom] = *notes->oom;
        d.cause = KillCause::OomKernel;
        d.memory_cgroup = oom.memcg_path;
        a.evidence.push_back(
            {when, "oom",
             fmt::format("chosen by the kernel's OOM killer in memory cgroup {}", oom.memcg_path)});
        return;
    }
    if (!fatal) {
        // Crash signals are outside the default --signals set (a JVM raises
        // SIGSEGV routinely): the exit status alone says it.
        d.cause = is_crash_signal(sig) ? KillCause::Crash : KillCause::Unknown;
        a.confidence = Confidence::Inferred;
        return;
    }
    const SignalEvent& s = fatal->signal;
    a.evidence.push_back(
        {fatal->ktime_ns, "signal",
         fmt::format("{} to {} {} from {} {} ({}{})", signal_name(s.sig), victim.comm, victim.pid,
                     s.sender_comm, s.sender_pid, signal_origin_name(s.origin),
                     s.no_info ? ", no siginfo" : "")});
    const bool self = s.sender_pid == victim.pid;
    if (self) {
        // Sent in the victim's own context: the kernel acting on what it did.
        if (sig == SIGXCPU || sig == SIGXFSZ ||
            (sig == SIGKILL && s.origin == SignalOrigin::Kernel))
            d.cause = KillCause::ResourceLimit;  // RLIMIT_CPU (soft, then SIGKILL), RLIMIT_FSIZE
        else if (sig == SIGPIPE)
            d.cause = KillCause::BrokenPipe;  // pipe_write() with no reader
        else if (is_crash_signal(sig))
            d.cause = KillCause::Crash;  // a fault, or abort()
        else
            d.cause = KillCause::Unknown;  // it signalled itself
        if (d.cause == KillCause::Unknown) d.killer = killer_of(s, table);
        return;
    }
    d.killer = killer_of(s, table);
    if (s.origin == SignalOrigin::Kernel) {
        d.cause = KillCause::Unknown;
    } else if (s.sender_comm == "systemd") {
        // PID 1 or a user's systemd --user stopping a unit: cg_kill() sends
        // SIGTERM (then SIGCONT, SIGHUP for scopes, SIGKILL at
        // TimeoutStopSec) with kill(), to every process of its cgroup. It is
        // often the victim's ancestor too (the reaper of its orphans).
        d.cause = is_session_scope(d.unit) ? KillCause::SessionStop : KillCause::ServiceManager;
        // Without the unit a login's scope cannot be told from another unit.
        if (!d.unit) a.confidence = Confidence::Inferred;
    } else if (is_userspace_oom_killer(s.sender_comm)) {
        d.cause = KillCause::OomUserspace;
    } else if (s.no_info && sig == SIGKILL) {
        d.cause = KillCause::CgroupKill;  // __cgroup_kill(): send_sig(SIGKILL, task, 0)
    } else {
        // An ancestor: timeout(1), make, a supervising script.
        const auto* sender = table.find(s.sender_pid, s.sender_start_ns);
        bool ancestor = false;
        // Within its own session only: past a daemonized ancestor (a tmux
        // server's window) an operator who started it long ago is no parent.
        for (const auto* p : ancestors) {
            if (p->info.sid != victim.sid) break;
            ancestor = ancestor || (sender ? p == sender : p->info.pid == s.sender_pid);
        }
        d.cause = ancestor ? KillCause::Parent : KillCause::Operator;
    }
}

void KillAttributor::prune(const ProcessTable& table) {
    std::erase_if(notes_, [&](const auto& entry) {
        return table.find(entry.first.first, entry.first.second) == nullptr;
    });
}

}  // namespace hupwatch
