// Orphan verdicts: a reparented process, once its settling time has passed.
#include <fmt/format.h>

#include "disconnect_correlator.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

// Does a readlink of an output fd name this (hung-up) terminal? A pty's node
// is removed when its master closes, so the link then ends in " (deleted)".
// Only a fallback: a name cannot tell a dead terminal from a live one that
// reuses it (vhangup, then a new login on the same line).
bool writes_to_tty(const std::string& link, std::uint32_t tty_dev) {
    auto name = tty_name(tty_dev);
    if (!name || link.empty()) return false;
    std::string path = "/dev/" + *name;
    return link == path || link == path + " (deleted)";
}

}  // namespace

// Is its output lost? Asked of the kernel: which of its fds are hung-up
// terminals or widowed pipes (an iterator over its files, at this moment). Where the kernel
// cannot be asked, its stdout and stderr's names against the session's line.
void DisconnectCorrelator::add_output_facts(Verdict& v, const ProcessInfo& child,
                                            std::uint32_t tty) const {
    if (probe_) {
        if (auto dead = probe_->hung_up_fds(child.pid, child.start_ns)) {
            for (const auto& f : *dead) {
                // dead_fds lists terminals only (docs/events.md); a widowed
                // pipe on stdout or stderr loses the output all the same.
                if (f.kind == DeadFdKind::HungUpTerminal) v.dead_fds.push_back(f.fd);
                if (f.fd == 1 || f.fd == 2) v.output_lost = true;
            }
        } else if (tty != 0) {
            if (auto targets = probe_->output_targets(child.pid))
                v.output_lost = writes_to_tty(targets->stdout_path, tty) ||
                                writes_to_tty(targets->stderr_path, tty);
        }
    }
    if (v.eio_writes > 0) v.output_lost = true;
}

std::optional<Finding> DisconnectCorrelator::settle_orphan(const PendingOrphan& pending,
                                                           const ProcessTable& table) {
    const auto& r = std::get<ReparentEvent>(pending.reparent.body);
    const auto& child = r.child;
    const auto* entry = table.find(child.pid, child.start_ns);
    if (entry && !entry->alive) return std::nullopt;  // it died meanwhile: no orphan story

    const auto* old_parent = table.find(r.old_ppid, r.old_parent_start_ns);
    std::uint32_t parent_sid = old_parent ? old_parent->info.sid : child.sid;
    std::uint64_t when = pending.reparent.ktime_ns;
    const SessionState* session = disconnected_session(parent_sid, when);
    if (!session) session = disconnected_session(child.sid, when);
    bool nested = false;  // the disconnect of a session around the parent's
    if (!session) {
        session = enclosing_disconnect(child, parent_sid, when, table);
        nested = session != nullptr;
    }

    // The table's view is newer than the event's, and /proc's newer still: a
    // forked server may call setsid() just after its parent exits (tmux
    // does), with no event of its own since.
    std::uint32_t child_sid = entry ? entry->info.sid : child.sid;
    if (probe_) {
        if (auto ids = probe_->session_ids(child.pid, child.start_ns)) child_sid = ids->first;
    }
    // Its own session: it (or an ancestor after its parent) called setsid().
    // Or the dead parent led the child's session: a daemon's double fork,
    // whose session has no terminal; a login shell's session has one, and a
    // job a plain `exit` leaves behind there is orphaned, not a daemon. So is
    // one the shell of `ssh host 'nohup job &'` left: sshd made that
    // session for the user's command, the job did not ask for it.
    auto parent_session = sessions_.find(parent_sid);
    bool ssh_command_session = parent_session != sessions_.end() &&
                               parent_session->second.ssh_server &&
                               parent_session->second.leader.pid == r.old_ppid;
    bool own_session = child_sid != parent_sid ||
                       (child_sid == r.old_ppid && child.tty_dev == 0 && !ssh_command_session);
    VerdictKind kind = (!session && own_session) ? VerdictKind::Daemonized : VerdictKind::Orphaned;
    ProcessInfo info = child;
    if (entry) info.comm = entry->info.comm;
    Verdict v = base_verdict(kind, when, info, table, /*alive=*/true);
    v.ppid = r.new_ppid;
    std::string old_comm = old_parent ? old_parent->info.comm : "?";
    const auto* new_parent = table.find(r.new_ppid, r.new_parent_start_ns);
    v.new_parent =
        ProcessRef{r.new_ppid, r.new_parent_start_ns, new_parent ? new_parent->info.comm : ""};
    v.reaper = r.reaper;
    // Its own session's disconnect may trace back to an enclosing one's too
    // (sudo -i hangs up its pty when its terminal goes).
    if (session) add_traced_disconnect(v, *session, info, table, nested);
    v.evidence.push_back(
        {when, "reparent",
         fmt::format("parent {} {} exited; {} {} reparented to {} ({})", old_comm, r.old_ppid,
                     info.comm, child.pid, r.new_ppid, reaper_kind_name(r.reaper))});
    if (kind == VerdictKind::Daemonized) return v;

    v.cause = session ? OrphanCause::Disconnect : OrphanCause::ParentExit;
    if (session) {
        if (child_sid != session->disconnect->sid) {
            v.survived_because = SurvivalReason::OwnSession;
        } else {
            v.survived_because = SurvivalReason::NotSignalled;
            if (auto it = notes_.find({child.pid, child.start_ns}); it != notes_.end()) {
                for (const auto& s : it->second.sighups) {
                    if (s.ktime_ns < session->disconnect->ktime_ns) continue;
                    v.evidence.push_back({s.ktime_ns, "signal",
                                          fmt::format("SIGHUP from {} {} {}", s.sender_comm,
                                                      s.sender_pid, signal_result_name(s.result))});
                    if (s.result == SignalResult::Ignored)
                        v.survived_because = SurvivalReason::SighupIgnored;
                    else if (s.result == SignalResult::Delivered &&
                             v.survived_because != SurvivalReason::SighupIgnored)
                        v.survived_because = SurvivalReason::SighupHandled;
                }
            }
        }
        add_output_facts(v, child, session->disconnect->tty_dev);
    }
    return v;
}

}  // namespace hupwatch
