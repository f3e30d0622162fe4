// `ssh host CMD` without a pty (also scp, rsync, Ansible): no terminal hangs
// up, so the disconnect is the sshd session process going away while the
// command it started lives on. OpenSSH's do_exec_no_pty() gives the command
// (a session leader of its own, setsid() in the child) pipes to sshd; when
// the client vanishes sshd exits without signalling it, its pipes lose their
// reader, and the command's next write raises SIGPIPE (pipe_write()).
#include <fmt/format.h>

#include <csignal>
#include <map>

#include "disconnect_correlator.h"
#include "signal_names.h"

namespace hupwatch {
namespace {

// The per-connection sshd processes: "sshd: user@notty" (comm sshd) up to
// OpenSSH 9.7, sshd-session since 9.8.
bool is_sshd(const std::string& comm) {
    return comm == "sshd" || comm == "sshd-session";
}

// sshd ends a session whose command is gone within a network round trip of
// its exit (it sends the exit status, the client closes). One that stays
// this much longer was waiting on a job still holding its pipes.
constexpr std::uint64_t kSshdLingerNs = 2'000'000'000ULL;

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
        disconnect_of(event.ktime_ns, child, r.old_ppid, 0, sshd->info.pid, sshd->info.comm, table);
    session.disconnect = d;
    session.vanished_sshd = ref_of(sshd->info);
    return d;
}

void DisconnectCorrelator::learn_ssh_server(const ProcessInfo& leader, const ProcessInfo* parent) {
    if (leader.pid != leader.sid || leader.tty_dev != 0 || !parent || !is_sshd(parent->comm) ||
        is_sshd(leader.comm))
        return;
    auto it = sessions_.find(leader.sid);
    if (it == sessions_.end() || it->second.leader.pid != leader.pid ||
        it->second.leader.start_ns != leader.start_ns || it->second.tty_dev != 0)
        return;
    it->second.ssh_server = ref_of(*parent);
}

// `ssh host 'nohup job &'`: the remote shell forks the job into its session
// and exits at once. sshd cannot end the session while the job holds its
// pipes (it waits for their EOF), so it stays until the client goes, then
// exits with no child left to reparent (on_vanished_sshd sees none). OpenSSH
// exits 0 either way here (9.2), so what tells a dropped client from a
// session that simply ended is the job: still writing into a pipe whose
// only reader was sshd. Asked of the live job's files now (certain), or, for
// one already dead when asked (and in replay), told by its SIGPIPE death
// later, provided sshd outlived the shell long enough to have been waiting.
void DisconnectCorrelator::on_sshd_exit(const Event& event, const ExitEvent& exit,
                                        const ProcessTable& table, std::vector<Finding>& out) {
    const auto& sshd = exit.proc;
    if (!is_sshd(sshd.comm) || (exit.raw_status & 0x7f) != 0) return;  // a kill is no disconnect
    std::vector<std::pair<std::uint32_t, SessionState*>> left;
    for (auto& [sid, session] : sessions_) {
        if (session.ssh_server && session.ssh_server->pid == sshd.pid &&
            session.ssh_server->start_ns == sshd.start_ns && !session.disconnect &&
            session.tty_dev == 0)
            left.emplace_back(sid, &session);
    }
    if (left.empty()) return;
    std::map<std::uint32_t, std::vector<const ProcessEntry*>> members;
    for (const auto* entry : table.entries())  // rare: an sshd that started a command exits
        if (entry->alive) members[entry->info.sid].push_back(entry);
    for (auto [sid, session] : left) {
        auto it = members.find(sid);
        if (it == members.end()) continue;  // nobody left: the session just ended
        bool lingered = session->ended && event.ktime_ns - session->ended_ns >= kSshdLingerNs;
        bool writes_to_sshd = false;
        for (const auto* member : it->second) {
            auto dead = probe_ ? probe_->hung_up_fds(member->info.pid, member->info.start_ns)
                               : std::nullopt;
            for (const auto& fd : dead.value_or(std::vector<HungUpFd>{}))
                writes_to_sshd |= fd.kind == DeadFdKind::WidowedPipe && (fd.fd == 1 || fd.fd == 2);
        }
        if (!lingered && !writes_to_sshd) continue;
        session->vanished_sshd = ref_of(sshd);
        session->ssh_server_left_ns = event.ktime_ns;
        if (writes_to_sshd)
            out.emplace_back(std::in_place_type<DisconnectFinding>,
                             ssh_server_left(sid, *session, table));
    }
}

DisconnectFinding DisconnectCorrelator::ssh_server_left(std::uint32_t sid, SessionState& session,
                                                        const ProcessTable& table) const {
    ProcessInfo leader;
    leader.pid = session.leader.pid;
    leader.start_ns = session.leader.start_ns;
    leader.comm = session.leader.comm;
    leader.sid = sid;
    leader.uid = session.uid;
    leader.loginuid = session.loginuid;
    leader.audit_session = session.audit_session;
    const auto& sshd = *session.vanished_sshd;
    DisconnectFinding d =
        disconnect_of(session.ssh_server_left_ns, leader, sshd.pid, 0, sshd.pid, sshd.comm, table);
    session.disconnect = d;
    return d;
}

bool DisconnectCorrelator::broken_pipe_after_disconnect(const Event& event, const ExitEvent& exit,
                                                        const ProcessTable& table,
                                                        std::vector<Finding>& out) {
    if (exit.term_signal() != SIGPIPE) return false;
    const auto& proc = exit.proc;
    // A job that died before the daemon could look at its files: its sshd
    // left it (on_sshd_exit), and this SIGPIPE is its first write since.
    if (auto it = sessions_.find(proc.sid); it != sessions_.end() && !it->second.disconnect &&
                                            it->second.ssh_server_left_ns &&
                                            it->second.ssh_server_left_ns <= event.ktime_ns)
        out.emplace_back(std::in_place_type<DisconnectFinding>,
                         ssh_server_left(proc.sid, it->second, table));
    const SessionState* session = disconnected_session(proc.sid, event.ktime_ns);
    if (!session || !session->vanished_sshd) return false;
    Verdict v = base_verdict(VerdictKind::KilledByDisconnect, event.ktime_ns, proc, table, false);
    add_disconnect_evidence(v, *session);
    v.via = *session->vanished_sshd;
    v.signal = SIGPIPE;
    v.evidence.push_back(
        {event.ktime_ns, "exit",
         fmt::format("{} {} killed by {} writing to a pipe whose reader, {} {}, is gone", proc.comm,
                     proc.pid, signal_name(SIGPIPE), session->vanished_sshd->comm,
                     session->vanished_sshd->pid)});
    out.push_back(std::move(v));
    return true;
}

}  // namespace hupwatch
