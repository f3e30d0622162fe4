#include "disconnect_correlator.h"

#include <fmt/format.h>

#include <csignal>

#include "process_classification.h"
#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

constexpr std::size_t kSighupsKept = 4;
constexpr std::uint64_t kPrunePeriodNs = 1'000'000'000ULL;

ProcessRef ref_of(const ProcessInfo& info) {
    return {info.pid, info.start_ns, info.comm};
}

std::string tty_label(std::uint32_t tty_dev) {
    return tty_name(tty_dev).value_or("no tty");
}

bool is_abnormal(const ExitEvent& exit) {
    int sig = exit.term_signal();
    if (sig == SIGPIPE || sig == SIGTERM || sig == SIGINT) return true;
    auto code = exit.exit_code();
    return code && *code != 0;
}

// Does a readlink of an output fd name this (hung-up) terminal? A pty's node
// is removed when its master closes, so the link then ends in " (deleted)".
bool writes_to_tty(const std::string& link, std::uint32_t tty_dev) {
    auto name = tty_name(tty_dev);
    if (!name || link.empty()) return false;
    std::string path = "/dev/" + *name;
    return link == path || link == path + " (deleted)";
}

}  // namespace

DisconnectCorrelator::DisconnectCorrelator(CorrelatorOptions options, HostProbe* probe)
    : options_(options), probe_(probe), kills_(probe) {}

void DisconnectCorrelator::seed(const std::vector<ProcSnapshot>& snapshots) {
    for (const auto& snapshot : snapshots) learn_session(snapshot.info);
}

void DisconnectCorrelator::learn_session(const ProcessInfo& info) {
    if (info.sid == 0) return;
    auto& session = sessions_[info.sid];
    // A session id is its leader's pid, and pids are reused: a new leader
    // with this sid starts a new session, with nothing of the old one's story.
    if (info.pid == info.sid && session.leader.pid == info.pid &&
        session.leader.start_ns != info.start_ns)
        session = SessionState{};
    // The kernel clears signal->tty before it signals a hangup, so a zero tty
    // never overwrites the terminal the session had.
    if (info.tty_dev != 0) session.tty_dev = info.tty_dev;
    if (info.pid == info.sid) {
        session.leader = ref_of(info);
        session.uid = info.uid;
        session.loginuid = info.loginuid;
        session.audit_session = info.audit_session;
    }
}

std::string DisconnectCorrelator::user_name(std::uint32_t uid) const {
    return probe_ ? probe_->user_name(uid) : std::to_string(uid);
}

const DisconnectCorrelator::SessionState* DisconnectCorrelator::disconnected_session(
    std::uint32_t sid, std::uint64_t before_ns) const {
    auto it = sessions_.find(sid);
    if (it == sessions_.end() || !it->second.disconnect) return nullptr;
    if (it->second.disconnect->ktime_ns > before_ns) return nullptr;
    return &it->second;
}

std::vector<Finding> DisconnectCorrelator::on_event(const Event& event, const ProcessTable& table) {
    // Settle what was due before this event, so replay gives the same order.
    std::vector<Finding> out = tick(event.ktime_ns, table);
    learn_session(event.subject());
    kills_.observe(event);

    std::vector<Finding> now;
    if (const auto* signal = std::get_if<SignalEvent>(&event.body)) {
        now = on_signal(event, *signal);
    } else if (const auto* exit = std::get_if<ExitEvent>(&event.body)) {
        now = on_exit(event, *exit, table);
    } else if (const auto* r = std::get_if<ReparentEvent>(&event.body)) {
        original_parent_.try_emplace({r->child.pid, r->child.start_ns},
                                     Key{r->old_ppid, r->old_parent_start_ns});
        pending_orphans_.push_back({event.ktime_ns + options_.orphan_settle_ns, event});
    } else if (const auto* lost = std::get_if<OutputLostEvent>(&event.body)) {
        notes_[{lost->proc.pid, lost->proc.start_ns}].eio_writes = lost->eio_writes;
    }
    out.insert(out.end(), std::make_move_iterator(now.begin()), std::make_move_iterator(now.end()));
    return out;
}

std::vector<Finding> DisconnectCorrelator::on_signal(const Event& event,
                                                     const SignalEvent& signal) {
    if (signal.sig != SIGHUP) return {};
    const auto& target = signal.target;
    auto& notes = notes_[{target.pid, target.start_ns}];
    notes.sighups.push_back({event.ktime_ns, signal.sender_pid, signal.sender_start_ns,
                             signal.sender_comm, signal.origin, signal.result});
    if (notes.sighups.size() > kSighupsKept) notes.sighups.erase(notes.sighups.begin());

    // A hangup: the kernel (__tty_hangup) signals the session leader on
    // behalf of whoever closed or hung up the line. A leader's own exit
    // (disassociate_ctty) also sends kernel SIGHUPs, but never to itself
    // from another process.
    bool is_leader = target.pid == target.sid;
    if (signal.origin != SignalOrigin::Kernel || !is_leader || signal.sender_pid == target.pid)
        return {};
    auto& session = sessions_[target.sid];
    if (session.disconnect) return {};  // one disconnect per session
    if (session.leader.pid != target.pid) session.leader = ref_of(target);

    DisconnectFinding d;
    d.ktime_ns = event.ktime_ns;
    d.sid = target.sid;
    d.ppid = target.ppid;
    d.tty_dev = session.tty_dev;
    d.leader = ref_of(target);
    d.uid = target.uid;
    d.user = user_name(target.uid);
    d.loginuid = target.loginuid;
    d.audit_session = target.audit_session;
    d.hung_up_by_pid = signal.sender_pid;
    d.hung_up_by_comm = signal.sender_comm;
    session.disconnect = d;
    return {d};
}

// Ancestors as they were in the session: at every step, the parent a process
// had before any reparenting, not its new reaper.
std::vector<const ProcessEntry*> DisconnectCorrelator::original_lineage(
    const ProcessInfo& info, const ProcessTable& table) const {
    std::vector<const ProcessEntry*> out;
    Key key{info.pid, info.start_ns};
    const ProcessEntry* current = table.find(info.pid, info.start_ns);
    while (out.size() < options_.max_lineage) {
        const ProcessEntry* parent = nullptr;
        if (auto orig = original_parent_.find(key); orig != original_parent_.end())
            parent = table.find(orig->second.first, orig->second.second);
        else if (current)
            parent = table.parent(*current);
        if (!parent) break;
        out.push_back(parent);
        current = parent;
        key = {parent->info.pid, parent->info.start_ns};
    }
    return out;
}

Verdict DisconnectCorrelator::base_verdict(VerdictKind kind, std::uint64_t ktime_ns,
                                           const ProcessInfo& info,
                                           const ProcessTable& table) const {
    Verdict v;
    v.kind = kind;
    v.ktime_ns = ktime_ns;
    v.process = ref_of(info);
    v.ppid = info.ppid;
    v.uid = info.uid;
    v.user = user_name(info.uid);
    v.sid = info.sid;
    v.tty_dev = info.tty_dev;
    if (auto it = sessions_.find(info.sid); v.tty_dev == 0 && it != sessions_.end())
        v.tty_dev = it->second.tty_dev;
    v.run_time_ns = ktime_ns > info.start_ns ? ktime_ns - info.start_ns : 0;
    if (const auto* entry = table.find(info.pid, info.start_ns)) v.argv = entry->argv;

    std::vector<const ProcessEntry*> ancestors = original_lineage(info, table);
    std::vector<std::string> ancestor_comms;
    bool reached_leader = false;
    for (const auto* ancestor : ancestors) {
        ancestor_comms.push_back(ancestor->info.comm);
        // Up to the first session leader: the login shell of its session.
        if (reached_leader) continue;
        v.lineage.push_back(ref_of(ancestor->info));
        reached_leader = ancestor->info.pid == ancestor->info.sid;
    }

    std::optional<std::string> cgroup;
    std::optional<SignalMasks> masks;
    if (probe_) {
        cgroup = probe_->cgroup_path(info.pid);
        masks = probe_->signal_masks(info.pid);
    }
    v.supervision = classify_supervision(cgroup.value_or(""), ancestor_comms);

    // The disposition seen in /proc when the process is still there; else
    // what the kernel's signal results showed.
    if (masks) {
        v.sighup = sighup_disposition(masks->ignored, masks->caught);
    } else if (auto it = notes_.find({info.pid, info.start_ns}); it != notes_.end()) {
        for (const auto& s : it->second.sighups) {
            if (s.result == SignalResult::Ignored)
                v.sighup = SighupDisposition::Ignored;
            else if (s.result == SignalResult::Delivered && v.sighup == SighupDisposition::Default)
                v.sighup = SighupDisposition::Handled;
        }
    }
    if (auto it = notes_.find({info.pid, info.start_ns}); it != notes_.end())
        v.eio_writes = it->second.eio_writes;
    return v;
}

void DisconnectCorrelator::add_disconnect_evidence(Verdict& v, const SessionState& session) const {
    const auto& d = *session.disconnect;
    v.disconnect_ktime_ns = d.ktime_ns;
    v.disconnect_sid = d.sid;
    v.evidence.push_back({d.ktime_ns, "disconnect",
                          fmt::format("session {} of {} on {} hung up by {} {}", d.sid, d.user,
                                      tty_label(d.tty_dev), d.hung_up_by_comm, d.hung_up_by_pid)});
}

std::vector<Finding> DisconnectCorrelator::on_exit(const Event& event, const ExitEvent& exit,
                                                   const ProcessTable& table) {
    const auto& proc = exit.proc;
    std::vector<Finding> out;
    auto key = Key{proc.pid, proc.start_ns};
    // Who killed it, if a signal did; used only when nothing below explains it.
    std::optional<KillAttribution> kill = kills_.attribute(event, exit, table);

    if (proc.pid == proc.sid) {
        // A session leader's exit ends its session. Without a hangup it is a
        // logout; the shell's SIGHUPs sent just before are logout kills.
        auto& session = sessions_[proc.sid];
        session.ended = true;
        session.ended_ns = event.ktime_ns;
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
            end.user = user_name(proc.uid);
            end.raw_status = exit.raw_status;
            out.push_back(end);
            for (auto it = pending_logout_.begin(); it != pending_logout_.end();) {
                if (it->shell_pid == proc.pid && it->shell_start_ns == proc.start_ns) {
                    it->verdict.evidence.push_back(
                        {event.ktime_ns, "session_end",
                         fmt::format("{} {} exited without a hangup (logout)", proc.comm,
                                     proc.pid)});
                    out.push_back(std::move(it->verdict));
                    it = pending_logout_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        if (kill && !session.disconnect)
            add_killed_verdict(out, std::move(*kill), event, exit, table);
        notes_.erase(key);
        return out;
    }

    auto notes_it = notes_.find(key);
    const SighupSeen* fatal = nullptr;
    if (exit.term_signal() == SIGHUP && notes_it != notes_.end()) {
        for (const auto& s : notes_it->second.sighups)
            if (s.result == SignalResult::Delivered && !fatal) fatal = &s;  // the first that landed
    }

    auto exit_evidence = [&](Verdict& v) {
        v.signal = exit.term_signal();
        v.exit_code = exit.exit_code();
        v.evidence.push_back({event.ktime_ns, "exit",
                              exit.term_signal()
                                  ? fmt::format("{} {} killed by {}", proc.comm, proc.pid,
                                                signal_name(exit.term_signal()))
                                  : fmt::format("{} {} exited with status {}", proc.comm, proc.pid,
                                                exit.exit_code().value_or(-1))});
    };
    auto signal_evidence = [&](Verdict& v, const SighupSeen& s) {
        v.evidence.push_back(
            {s.ktime_ns, "signal",
             fmt::format("SIGHUP to {} {} from {} {} ({})", proc.comm, proc.pid, s.sender_comm,
                         s.sender_pid, signal_origin_name(s.origin))});
    };

    bool decided = false;
    if (fatal) {
        const auto* session = disconnected_session(proc.sid, fatal->ktime_ns);
        bool from_leader = fatal->sender_pid == proc.sid;
        // After a hangup, a SIGHUP from inside the session is part of the
        // cascade: usually the login shell, but a subshell can do it too (a
        // PROMPT_COMMAND hook's fork gets the hangup while bash runs it).
        bool from_session = from_leader;
        if (const auto* sender = table.find(fatal->sender_pid, fatal->sender_start_ns))
            from_session = from_session || sender->info.sid == proc.sid;
        if (session && (fatal->origin == SignalOrigin::Kernel || from_session)) {
            // Directly from the kernel (a foreground job, on the hung-up
            // leader's exit), or forwarded by a shell of the session.
            Verdict v = base_verdict(VerdictKind::KilledByDisconnect, event.ktime_ns, proc, table);
            add_disconnect_evidence(v, *session);
            if (fatal->origin == SignalOrigin::User)
                v.via = ProcessRef{fatal->sender_pid, fatal->sender_start_ns, fatal->sender_comm};
            signal_evidence(v, *fatal);
            exit_evidence(v);
            out.push_back(std::move(v));
            decided = true;
        } else if (!session && from_leader) {
            // The shell sent it: a logout (huponexit, or the kernel hupping
            // the foreground job as the leader exits) if the shell goes away
            // soon; an operator's `kill -HUP` typed in the shell if it stays.
            Verdict v = base_verdict(VerdictKind::KilledByLogout, event.ktime_ns, proc, table);
            v.via = ProcessRef{fatal->sender_pid, fatal->sender_start_ns, fatal->sender_comm};
            signal_evidence(v, *fatal);
            exit_evidence(v);
            auto sess = sessions_.find(proc.sid);
            bool shell_gone = sess != sessions_.end() && sess->second.ended &&
                              sess->second.leader.pid == fatal->sender_pid;
            if (shell_gone || fatal->origin == SignalOrigin::Kernel) {
                out.push_back(std::move(v));
            } else {
                pending_logout_.push_back({fatal->ktime_ns + options_.logout_window_ns,
                                           std::move(v), fatal->sender_pid,
                                           fatal->sender_start_ns});
            }
            decided = true;
        }
    }
    if (!decided && is_abnormal(exit) && exit.term_signal() != SIGHUP) {
        const auto* session = disconnected_session(proc.sid, event.ktime_ns);
        if (session &&
            event.ktime_ns - session->disconnect->ktime_ns <= options_.died_after_window_ns) {
            Verdict v = base_verdict(VerdictKind::DiedAfterDisconnect, event.ktime_ns, proc, table);
            v.confidence = Confidence::Inferred;
            add_disconnect_evidence(v, *session);
            exit_evidence(v);
            out.push_back(std::move(v));
            decided = true;
        }
    }
    if (decided) {
        // Its death is the story: not also an orphan.
        std::erase_if(pending_orphans_, [&](const PendingOrphan& p) {
            const auto& c = std::get<ReparentEvent>(p.reparent.body).child;
            return c.pid == proc.pid && c.start_ns == proc.start_ns;
        });
    }
    if (!decided && kill) add_killed_verdict(out, std::move(*kill), event, exit, table);
    if (notes_it != notes_.end()) notes_.erase(notes_it);
    return out;
}

void DisconnectCorrelator::add_killed_verdict(std::vector<Finding>& out, KillAttribution a,
                                              const Event& event, const ExitEvent& exit,
                                              const ProcessTable& table) {
    if (!KillAttributor::wants_verdict(a)) {
        kills_.count_non_job(a.details.cause);
        return;
    }
    Verdict v = base_verdict(VerdictKind::Killed, event.ktime_ns, exit.proc, table);
    v.signal = a.signal;
    v.confidence = a.confidence;
    a.details.job = a.is_job;
    v.evidence = std::move(a.evidence);
    v.kill = std::move(a.details);
    // In place: GCC 12 warns (falsely) of an uninitialized temporary variant.
    out.emplace_back(std::in_place_type<Verdict>, std::move(v));
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

    // The table's view is newer than the event's: a forked server may call
    // setsid() just after its parent exits (tmux does).
    std::uint32_t child_sid = entry ? entry->info.sid : child.sid;
    // Its own session: it (or an ancestor after its parent) called setsid().
    // Or the dead parent led the child's session: a daemon's double fork,
    // whose session has no terminal; a login shell's session has one, and a
    // job a plain `exit` leaves behind there is orphaned, not a daemon.
    bool own_session = child_sid != parent_sid || (child_sid == r.old_ppid && child.tty_dev == 0);
    VerdictKind kind = (!session && own_session) ? VerdictKind::Daemonized : VerdictKind::Orphaned;
    ProcessInfo info = child;
    if (entry) info.comm = entry->info.comm;
    Verdict v = base_verdict(kind, when, info, table);
    v.ppid = r.new_ppid;
    std::string old_comm = old_parent ? old_parent->info.comm : "?";
    const auto* new_parent = table.find(r.new_ppid, r.new_parent_start_ns);
    v.new_parent =
        ProcessRef{r.new_ppid, r.new_parent_start_ns, new_parent ? new_parent->info.comm : ""};
    v.reaper = r.reaper;
    if (session) add_disconnect_evidence(v, *session);
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
        std::uint32_t tty = session->disconnect->tty_dev;
        if (probe_ && tty != 0) {
            if (auto targets = probe_->output_targets(child.pid))
                v.output_lost = writes_to_tty(targets->stdout_path, tty) ||
                                writes_to_tty(targets->stderr_path, tty);
        }
        if (v.eio_writes > 0) v.output_lost = true;
    }
    return v;
}

std::vector<Finding> DisconnectCorrelator::tick(std::uint64_t now_ns, const ProcessTable& table) {
    if (now_ns < last_now_ns_) now_ns = last_now_ns_;  // time never runs backwards here
    last_now_ns_ = now_ns;
    std::vector<Finding> out;
    while (!pending_orphans_.empty() && pending_orphans_.front().due_ns <= now_ns) {
        PendingOrphan pending = std::move(pending_orphans_.front());
        pending_orphans_.pop_front();
        if (auto finding = settle_orphan(pending, table)) out.push_back(std::move(*finding));
    }
    // Original parents are kept while the table remembers the process: a
    // dead parent still links its orphans to their session.
    if (now_ns - last_prune_ns_ >= kPrunePeriodNs) {  // off the per-event path
        last_prune_ns_ = now_ns;
        std::erase_if(original_parent_, [&](const auto& entry) {
            return table.find(entry.first.first, entry.first.second) == nullptr;
        });
        kills_.prune(table);
    }
    // A shell that did not exit in time sent an operator's SIGHUP: no verdict.
    std::erase_if(pending_logout_, [&](const PendingLogout& p) { return p.deadline_ns <= now_ns; });
    return out;
}

}  // namespace hupwatch
