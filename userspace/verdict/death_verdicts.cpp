// Death verdicts: what a process's exit means, in the order the correlator
// asks (DisconnectCorrelator::on_exit): a session leader's exit ends its
// session (logout); a SIGHUP that landed is a disconnect's or a logout's
// kill; an abnormal death soon after a disconnect is inferred to be its
// doing; any other death by a signal gets a `killed` verdict.
#include <fmt/format.h>

#include <csignal>

#include "disconnect_correlator.h"
#include "kill_attributor.h"
#include "process_classification.h"
#include "signal_names.h"

namespace hupwatch {
namespace {

bool is_abnormal(const ExitEvent& exit) {
    int sig = exit.term_signal();
    if (sig == SIGPIPE || sig == SIGTERM || sig == SIGINT) return true;
    auto code = exit.exit_code();
    return code && *code != 0;
}

void add_exit_evidence(Verdict& v, const Event& event, const ExitEvent& exit) {
    const auto& proc = exit.proc;
    v.signal = exit.term_signal();
    v.exit_code = exit.exit_code();
    v.evidence.push_back({event.ktime_ns, "exit",
                          exit.term_signal()
                              ? fmt::format("{} {} killed by {}", proc.comm, proc.pid,
                                            signal_name(exit.term_signal()))
                              : fmt::format("{} {} exited with status {}", proc.comm, proc.pid,
                                            exit.exit_code().value_or(-1))});
}

template <typename Sighup>
void add_signal_evidence(Verdict& v, const ProcessInfo& proc, const Sighup& s) {
    v.evidence.push_back({s.ktime_ns, "signal",
                          fmt::format("SIGHUP to {} {} from {} {} ({})", proc.comm, proc.pid,
                                      s.sender_comm, s.sender_pid, signal_origin_name(s.origin))});
}

// A killer the facts name (systemd stopping a unit or scope, an OOM killer,
// another user's kill) beats an inference from the timing: a session scope
// stopped right after its sshd went away is systemd's doing, not the
// disconnect's by guess.
bool names_its_killer(const std::optional<KillAttribution>& kill) {
    if (!kill) return false;
    switch (kill->details.cause) {
        case KillCause::SessionStop:
        case KillCause::ServiceManager:
        case KillCause::OomKernel:
        case KillCause::OomUserspace:
        case KillCause::CgroupKill:
        case KillCause::Operator:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::vector<Finding> DisconnectCorrelator::on_exit(const Event& event, const ExitEvent& exit,
                                                   const ProcessTable& table) {
    const auto& proc = exit.proc;
    std::vector<Finding> out;
    on_sshd_exit(event, exit, table, out);
    auto key = Key{proc.pid, proc.start_ns};
    // Who killed it, if a signal did; used only when nothing below explains it.
    // Its login, and its killer's kinship, are in the lineage it had before
    // reparenting (a nohup job left by a logout, then stopped with its
    // session's scope; a child whose killer died first).
    std::optional<KillAttribution> kill =
        kills_.attribute(event, exit, table, original_lineage(proc, table));

    if (broken_pipe_after_disconnect(event, exit, table, out)) {
        if (proc.pid == proc.sid) end_session(proc.sid, event.ktime_ns);
        drop_pending_orphan(proc);
        notes_.erase(key);
        return out;
    }
    if (proc.pid == proc.sid) {
        // A command that leads its own session is the job itself: a tmux
        // window's (`tmux new -d 'sleep 600'`), `ssh -t host top`. A shell
        // or a login program leading it is the session, not a job.
        if (!is_shell_comm(proc.comm) && !is_login_program(proc.comm) &&
            disconnected_session(proc.sid, event.ktime_ns) && sighup_death(event, exit, table, out))
            kill.reset();
        on_leader_exit(event, exit, kill, table, out);
        notes_.erase(key);
        return out;
    }
    bool decided = sighup_death(event, exit, table, out) ||
                   (!names_its_killer(kill) && died_after_disconnect(event, exit, table, out));
    if (decided) drop_pending_orphan(proc);  // its death is the story: not also an orphan
    if (!decided && kill) add_killed_verdict(out, std::move(*kill), event, exit, table);
    notes_.erase(key);
    return out;
}

DisconnectCorrelator::SessionState& DisconnectCorrelator::end_session(std::uint32_t sid,
                                                                      std::uint64_t ktime_ns) {
    auto& session = sessions_[sid];
    session.ended = true;
    session.ended_ns = ktime_ns;
    return session;
}

// A session leader's exit ends its session. Without a hangup it is a
// logout; the shell's SIGHUPs sent just before are logout kills.
void DisconnectCorrelator::on_leader_exit(const Event& event, const ExitEvent& exit,
                                          std::optional<KillAttribution>& kill,
                                          const ProcessTable& table, std::vector<Finding>& out) {
    const auto& proc = exit.proc;
    auto& session = end_session(proc.sid, event.ktime_ns);
    // Only interactive sessions (with a terminal) log out; a daemon's
    // session ending is no story.
    if (!session.disconnect && session.tty_dev != 0) {
        SessionEndFinding end;
        end.ktime_ns = event.ktime_ns;
        end.sid = proc.sid;
        end.ppid = proc.ppid;
        end.tty_dev = session.tty_dev;
        end.leader = ref_of(proc);
        end.uid = proc.uid;
        end.user = user_name_of_process(proc.uid, proc, table);
        end.raw_status = exit.raw_status;
        out.push_back(end);
        for (auto it = pending_logout_.begin(); it != pending_logout_.end();) {
            if (it->shell_pid == proc.pid && it->shell_start_ns == proc.start_ns) {
                it->verdict.evidence.push_back(
                    {event.ktime_ns, "session_end",
                     fmt::format("{} {} exited without a hangup (logout)", proc.comm, proc.pid)});
                out.push_back(std::move(it->verdict));
                it = pending_logout_.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (kill && !session.disconnect) add_killed_verdict(out, std::move(*kill), event, exit, table);
}

// A death by a SIGHUP that landed: a disconnect's (from the kernel, or passed
// on inside the session), or a logout's (from the session's shell).
bool DisconnectCorrelator::sighup_death(const Event& event, const ExitEvent& exit,
                                        const ProcessTable& table, std::vector<Finding>& out) {
    const auto& proc = exit.proc;
    auto notes_it = notes_.find(Key{proc.pid, proc.start_ns});
    if (exit.term_signal() != SIGHUP || notes_it == notes_.end()) return false;
    const SighupSeen* fatal = nullptr;
    for (const auto& s : notes_it->second.sighups)
        if (s.result == SignalResult::Delivered && !fatal) fatal = &s;  // the first that landed
    if (!fatal) return false;

    const auto* session = disconnected_session(proc.sid, fatal->ktime_ns);
    bool from_leader = fatal->sender_pid == proc.sid;
    // After a hangup, a SIGHUP from inside the session is part of the
    // cascade: usually the login shell, but a subshell can do it too (a
    // PROMPT_COMMAND hook's fork gets the hangup while bash runs it).
    bool from_session = from_leader;
    if (const auto* sender = table.find(fatal->sender_pid, fatal->sender_start_ns))
        from_session = from_session || sender->info.sid == proc.sid;
    // An inner session (sudo -i) whose shell passes on the SIGHUP that sudo
    // relayed from the outer hangup, before its own pty is hung up.
    bool enclosing = false;
    if (!session && fatal->origin == SignalOrigin::User && from_session) {
        session = enclosing_disconnect(proc, proc.sid, fatal->ktime_ns, table);
        enclosing = session != nullptr;
    }
    if (session && (fatal->origin == SignalOrigin::Kernel || from_session)) {
        // Directly from the kernel (a foreground job, on the hung-up
        // leader's exit), or forwarded by a shell of the session.
        Verdict v =
            base_verdict(VerdictKind::KilledByDisconnect, event.ktime_ns, proc, table, false);
        add_traced_disconnect(v, *session, proc, table, enclosing);
        if (fatal->origin == SignalOrigin::User)
            v.via = ProcessRef{fatal->sender_pid, fatal->sender_start_ns, fatal->sender_comm};
        add_signal_evidence(v, proc, *fatal);
        add_exit_evidence(v, event, exit);
        out.push_back(std::move(v));
        return true;
    }
    if (session || !from_leader) return false;
    // The shell sent it: a logout (huponexit, or the kernel hupping the
    // foreground job as the leader exits) if the shell goes away soon; an
    // operator's `kill -HUP` typed in the shell if it stays.
    Verdict v = base_verdict(VerdictKind::KilledByLogout, event.ktime_ns, proc, table, false);
    v.via = ProcessRef{fatal->sender_pid, fatal->sender_start_ns, fatal->sender_comm};
    add_signal_evidence(v, proc, *fatal);
    add_exit_evidence(v, event, exit);
    auto sess = sessions_.find(proc.sid);
    bool shell_gone = sess != sessions_.end() && sess->second.ended &&
                      sess->second.leader.pid == fatal->sender_pid;
    if (shell_gone || fatal->origin == SignalOrigin::Kernel)
        out.push_back(std::move(v));
    else
        pending_logout_.push_back({fatal->ktime_ns + options_.logout_window_ns, std::move(v),
                                   fatal->sender_pid, fatal->sender_start_ns});
    return true;
}

// An abnormal death (not by SIGHUP) soon after its session's disconnect:
// inferred to be the disconnect's doing.
bool DisconnectCorrelator::died_after_disconnect(const Event& event, const ExitEvent& exit,
                                                 const ProcessTable& table,
                                                 std::vector<Finding>& out) {
    const auto& proc = exit.proc;
    if (!is_abnormal(exit) || exit.term_signal() == SIGHUP) return false;
    const auto* session = disconnected_session(proc.sid, event.ktime_ns);
    if (!session || event.ktime_ns - session->disconnect->ktime_ns > options_.died_after_window_ns)
        return false;
    Verdict v = base_verdict(VerdictKind::DiedAfterDisconnect, event.ktime_ns, proc, table, false);
    v.confidence = Confidence::Inferred;
    add_traced_disconnect(v, *session, proc, table);
    add_exit_evidence(v, event, exit);
    // In place: GCC 12 warns (falsely) of an uninitialized temporary variant.
    out.emplace_back(std::in_place_type<Verdict>, std::move(v));
    return true;
}

}  // namespace hupwatch
