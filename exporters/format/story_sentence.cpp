#include "story_sentence.h"

#include <fmt/format.h>

#include <csignal>

#include "event_text.h"
#include "finding_format.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

std::string who(std::string_view comm, std::uint32_t pid) {
    return fmt::format("{} {}", escape_for_terminal(comm), pid);
}

std::string on_tty(std::uint32_t tty_dev) {
    auto name = tty_name(tty_dev);
    return name ? fmt::format(" on {}", *name) : "";
}

std::string argv_line(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out += ' ';
        out += escape_for_terminal(a);
    }
    return out;
}

std::uint64_t since(std::uint64_t ktime_ns, std::uint64_t start_ns) {
    return ktime_ns > start_ns ? ktime_ns - start_ns : 0;
}

struct EventSentence {
    std::uint64_t ktime_ns;
    std::string subject;

    std::string operator()(const ForkEvent& e) const {
        return fmt::format("{} {} started {}", escape_for_terminal(e.child.comm), e.child.ppid,
                           subject);
    }
    std::string operator()(const ExecEvent& e) const {
        return fmt::format("{} ran {}{}", subject, argv_line(e.argv),
                           e.argv_truncated ? " (argv truncated)" : "");
    }
    std::string operator()(const ExitEvent& e) const {
        const std::string after = human_duration(since(ktime_ns, e.proc.start_ns));
        if (e.term_signal() != 0)
            return fmt::format("{} killed by {}{} after {}", subject, signal_name(e.term_signal()),
                               e.core_dumped() ? " (core dumped)" : "", after);
        return fmt::format("{} exited with status {} after {}", subject, e.exit_code().value_or(0),
                           after);
    }
    std::string operator()(const SignalEvent& e) const {
        const std::string sig = signal_name(e.sig);
        const std::string tail = e.result == SignalResult::Delivered
                                     ? ""
                                     : fmt::format(" ({})", signal_result_name(e.result));
        const std::string sender = who(e.sender_comm, e.sender_pid);
        if (e.origin == SignalOrigin::Kernel)
            return fmt::format("the kernel sent {} to {} on behalf of {}{}", sig, subject, sender,
                               tail);
        // A shell passing its own hangup on to its jobs: the sender leads the
        // target's session.
        const bool forwarded = e.sig == SIGHUP && e.target.sid != 0 &&
                               e.sender_pid == e.target.sid && e.target.pid != e.target.sid;
        return fmt::format("{} {} {} to {}{}", sender, forwarded ? "forwarded" : "sent", sig,
                           subject, tail);
    }
    std::string operator()(const ReparentEvent& e) const {
        return fmt::format("{} lost its parent {}; now a child of {} ({})", subject, e.old_ppid,
                           e.new_ppid, reaper_kind_name(e.reaper));
    }
    std::string operator()(const SessionEvent& e) const {
        const auto error = syscall_error_name(e.ret);
        if (e.call == SessionCall::Setsid)
            return error ? fmt::format("{} tried setsid: {}", subject, *error)
                         : fmt::format("{} started its own session {}", subject, e.ret);
        return fmt::format("{} setpgid({}, {}){}", subject, e.arg_pid, e.arg_pgid,
                           error ? " failed " + *error : "");
    }
    std::string operator()(const OutputLostEvent& e) const {
        return fmt::format("{} lost output: {} writes to its hung-up terminal failed (fd {})",
                           subject, e.eio_writes, e.fd);
    }
    std::string operator()(const OomVictimEvent& e) const {
        return fmt::format("the kernel's OOM killer chose {} (memory cgroup {}{})", subject,
                           escape_for_terminal(e.memcg_path), e.memcg_path_truncated ? "..." : "");
    }
    std::string operator()(const CgroupMkdirEvent& e) const {
        return fmt::format("{} made cgroup {}{}", subject, escape_for_terminal(e.path),
                           e.path_truncated ? "..." : "");
    }
    std::string operator()(const ExitUnseenEvent&) const {
        return fmt::format("{} was gone by then, its exit unseen (events were lost)", subject);
    }
};

std::string verdict_sentence(const Verdict& v, const std::string& subject) {
    const std::string run = human_duration(v.run_time_ns);
    switch (v.kind) {
        case VerdictKind::KilledByDisconnect:
        case VerdictKind::KilledByLogout: {
            std::string via =
                v.via ? fmt::format(", forwarded by {}", who(v.via->comm, v.via->pid)) : "";
            return fmt::format("{} killed by {} after {} ({} of session {}{})", subject,
                               signal_name(v.signal ? v.signal : SIGHUP), run,
                               v.kind == VerdictKind::KilledByLogout ? "logout" : "disconnect",
                               v.disconnect_sid.value_or(v.sid), via);
        }
        case VerdictKind::Killed:
            return fmt::format("{} {} after {} (cause {})", subject,
                               escape_for_terminal(kill_sentence(v)), run,
                               kill_cause_name(v.kill ? v.kill->cause : KillCause::Unknown));
        case VerdictKind::DiedAfterDisconnect:
            return fmt::format(
                "{} died ({}) after {}, within {} s of its session's disconnect (inferred)",
                subject,
                v.signal ? signal_name(v.signal)
                         : fmt::format("status {}", v.exit_code.value_or(0)),
                run, kDiedAfterDisconnectWindowNs / 1'000'000'000);
        case VerdictKind::Daemonized:
        case VerdictKind::Orphaned:
            break;
    }
    const std::string parent =
        v.new_parent
            ? fmt::format(", now under {} ({})", who(v.new_parent->comm, v.new_parent->pid),
                          v.reaper ? reaper_kind_name(*v.reaper) : "init")
            : "";
    if (v.kind == VerdictKind::Daemonized)
        return fmt::format("{} daemonized (own session){}", subject, parent);
    const std::string survived =
        v.survived_because
            ? fmt::format(", survived: {}", survival_reason_name(*v.survived_because))
            : "";
    return fmt::format("{} orphaned by {}{}{}{}", subject,
                       v.cause == OrphanCause::Disconnect ? "the disconnect" : "its parent's exit",
                       survived, parent, v.output_lost ? "; its output is lost" : "");
}

}  // namespace

std::string process_phrase(std::string_view comm, std::uint32_t pid,
                           std::string_view earlier_comm) {
    if (earlier_comm.empty() || earlier_comm == comm) return who(comm, pid);
    return fmt::format("{} (later {})", who(earlier_comm, pid), escape_for_terminal(comm));
}

std::string story_sentence(const Event& event, std::string_view subject_comm) {
    const ProcessInfo& p = event.subject();
    // An exec's own sentence names the process by what it was before.
    std::string subject = process_phrase(p.comm, p.pid);
    if (!subject_comm.empty() && subject_comm != p.comm) subject = who(subject_comm, p.pid);
    return std::visit(EventSentence{event.ktime_ns, subject}, event.body);
}

std::string story_sentence(const Finding& finding, std::string_view subject_comm) {
    if (const auto* d = std::get_if<DisconnectFinding>(&finding)) {
        const bool ssh = d->hung_up_by_comm.rfind("sshd", 0) == 0;
        return fmt::format("{}session {} of {}{} hung up ({}); leader {}", ssh ? "ssh " : "",
                           d->sid, escape_for_terminal(d->user), on_tty(d->tty_dev),
                           who(d->hung_up_by_comm, d->hung_up_by_pid),
                           who(d->leader.comm, d->leader.pid));
    }
    if (const auto* e = std::get_if<SessionEndFinding>(&finding))
        return fmt::format("session {} of {}{} ended (logout by {})", e->sid,
                           escape_for_terminal(e->user), on_tty(e->tty_dev),
                           who(e->leader.comm, e->leader.pid));
    const auto& v = std::get<Verdict>(finding);
    return verdict_sentence(v, process_phrase(v.process.comm, v.process.pid, subject_comm));
}

std::string verdict_line(const Verdict& verdict) {
    return fmt::format("{}: {}", verdict_kind_name(verdict.kind), story_sentence(Finding{verdict}));
}

bool tells_death(const Finding& finding) {
    const auto* v = std::get_if<Verdict>(&finding);
    return v &&
           (v->kind == VerdictKind::KilledByDisconnect || v->kind == VerdictKind::KilledByLogout ||
            v->kind == VerdictKind::Killed || v->kind == VerdictKind::DiedAfterDisconnect);
}

}  // namespace hupwatch
