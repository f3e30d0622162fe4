// `ssh host CMD` without a pty (also scp, rsync, Ansible): no terminal hangs
// up, so the disconnect is the sshd session process going away while the
// command it started lives on. OpenSSH's do_exec_no_pty() gives the command
// (a session leader of its own, setsid() in the child) pipes to sshd; when
// the client vanishes sshd exits without signalling it, its pipes lose their
// reader, and the command's next write raises SIGPIPE (pipe_write()).
#include <fmt/format.h>

#include <csignal>

#include "disconnect_correlator.h"
#include "signal_names.h"

namespace hupwatch {
namespace {

// The per-connection sshd processes: "sshd: user@notty" (comm sshd) up to
// OpenSSH 9.7, sshd-session since 9.8.
bool is_sshd(const std::string& comm) {
    return comm == "sshd" || comm == "sshd-session";
}

}  // namespace

std::optional<DisconnectFinding> DisconnectCorrelator::on_vanished_sshd(const Event& event,
                                                                        const ReparentEvent& r,
                                                                        const ProcessTable& table) {
    const auto& child = r.child;
    // The command leads its own session, without a terminal; a pty login's
    // shell had one (the session remembers it: a hangup clears the
    // process's), and its disconnect is the hangup.
    if (child.pid != child.sid || child.tty_dev != 0 || is_sshd(child.comm)) return std::nullopt;
    const auto* sshd = table.find(r.old_ppid, r.old_parent_start_ns);
    if (!sshd || !is_sshd(sshd->info.comm)) return std::nullopt;
    // A dropped connection: sshd exits on its own (cleanup_exit(255)). One
    // killed by a signal was stopped (systemd stopping the session's scope,
    // an operator): that kill, not a disconnect, is the story.
    if (!sshd->alive && !sshd->exit_lost && (sshd->raw_status & 0x7f) != 0) return std::nullopt;
    auto& session = sessions_[child.sid];
    if (session.disconnect || session.tty_dev != 0) return std::nullopt;
    if (session.leader.pid != child.pid) session.leader = ref_of(child);

    // No terminal: the session has none (tty_dev 0, checked above).
    DisconnectFinding d =
        disconnect_of(event.ktime_ns, child, r.old_ppid, 0, sshd->info.pid, sshd->info.comm);
    session.disconnect = d;
    session.vanished_sshd = ref_of(sshd->info);
    return d;
}

std::optional<Verdict> DisconnectCorrelator::broken_pipe_after_disconnect(
    const Event& event, const ExitEvent& exit, const ProcessTable& table) const {
    if (exit.term_signal() != SIGPIPE) return std::nullopt;
    const auto& proc = exit.proc;
    const SessionState* session = disconnected_session(proc.sid, event.ktime_ns);
    if (!session || !session->vanished_sshd) return std::nullopt;
    Verdict v = base_verdict(VerdictKind::KilledByDisconnect, event.ktime_ns, proc, table, false);
    add_disconnect_evidence(v, *session);
    v.via = *session->vanished_sshd;
    v.signal = SIGPIPE;
    v.evidence.push_back(
        {event.ktime_ns, "exit",
         fmt::format("{} {} killed by {} writing to a pipe whose reader, {} {}, is gone", proc.comm,
                     proc.pid, signal_name(SIGPIPE), session->vanished_sshd->comm,
                     session->vanished_sshd->pid)});
    return v;
}

}  // namespace hupwatch
