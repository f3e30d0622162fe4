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

std::string tty_label(std::uint32_t tty_dev) {
    return tty_name(tty_dev).value_or("no tty");
}

}  // namespace

DisconnectCorrelator::DisconnectCorrelator(CorrelatorOptions options, HostProbe* probe)
    : options_(options), probe_(probe), kills_(probe) {}

void DisconnectCorrelator::seed(const std::vector<ProcSnapshot>& snapshots) {
    std::map<std::uint32_t, const ProcessInfo*> by_pid;
    for (const auto& snapshot : snapshots) {
        learn_session(snapshot.info);
        by_pid[snapshot.info.pid] = &snapshot.info;
    }
    for (const auto& snapshot : snapshots) {
        const auto& info = snapshot.info;
        if (info.pid != info.sid || info.tty_dev != 0) continue;
        auto parent = by_pid.find(info.ppid);
        learn_ssh_server(info, parent == by_pid.end() ? nullptr : parent->second);
    }
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

std::string DisconnectCorrelator::user_name_of_process(std::uint32_t uid, const ProcessInfo& info,
                                                       const ProcessTable& table) const {
    if (!probe_) return std::to_string(uid);
    if (auto name = probe_->user_name_seen_by(uid, info.pid, info.start_ns)) return *name;
    // A dead process's root was its ancestors': a container's init outlives its jobs.
    for (const auto* ancestor : original_lineage(info, table))
        if (auto name = probe_->user_name_seen_by(uid, ancestor->info.pid, ancestor->info.start_ns))
            return *name;
    // All of them gone (a container's session torn down at once): the root
    // its cgroup was seen with.
    if (auto name = probe_->user_name_in_cgroup(uid, info.cgroup_id)) return *name;
    return probe_->user_name(uid);
}

const DisconnectCorrelator::SessionState* DisconnectCorrelator::disconnected_session(
    std::uint32_t sid, std::uint64_t before_ns) const {
    auto it = sessions_.find(sid);
    if (it == sessions_.end() || !it->second.disconnect) return nullptr;
    if (it->second.disconnect->ktime_ns > before_ns) return nullptr;
    return &it->second;
}

std::vector<Finding> DisconnectCorrelator::on_event(const Event& event, const ProcessTable& table) {
    // An unseen exit is the table's conclusion, stamped with a bound (the
    // scan's start), not a moment: nothing to correlate, no clock to move.
    if (event.type() == EventType::ExitUnseen) return {};
    // Settle what was due before this event, so replay gives the same order.
    std::vector<Finding> out = tick(event.ktime_ns, table);
    const ProcessInfo& subject = event.subject();
    learn_session(subject);
    // sshd's child calls setsid() and execs the user's shell: its exec is
    // the first event that shows it leading its session (seed() covers
    // sessions older than the daemon). Not asked at every other event.
    if (event.type() == EventType::Exec && subject.pid == subject.sid && subject.tty_dev == 0) {
        auto it = sessions_.find(subject.sid);
        if (it != sessions_.end() && !it->second.ssh_server) {
            const auto* entry = table.find(subject.pid, subject.start_ns);
            const auto* parent = entry ? table.parent(*entry) : nullptr;
            learn_ssh_server(subject, parent ? &parent->info : nullptr);
        }
    }
    kills_.observe(event);

    std::vector<Finding> now;
    if (const auto* signal = std::get_if<SignalEvent>(&event.body)) {
        now = on_signal(event, *signal, table);
    } else if (const auto* exit = std::get_if<ExitEvent>(&event.body)) {
        now = on_exit(event, *exit, table);
    } else if (const auto* r = std::get_if<ReparentEvent>(&event.body)) {
        if (pending_orphans_.size() >= options_.max_pending_orphans) {
            ++orphans_dropped_;  // a flood of orphans: counted, never unbounded
        } else {
            Key old_parent{r->old_ppid, r->old_parent_start_ns};
            auto [it, inserted] =
                original_parent_.try_emplace({r->child.pid, r->child.start_ns}, old_parent);
            // One orphan verdict per process: the same orphaning reported
            // twice (two exit walks of one group, before Linux 6.16), and a
            // second reparenting (its subreaper died too, to init), are
            // the one orphaning it already had, counted once.
            if (inserted)
                pending_orphans_.push_back({event.ktime_ns + options_.orphan_settle_ns, event});
        }
        if (auto d = on_vanished_sshd(event, *r, table)) now.push_back(std::move(*d));
    } else if (const auto* lost = std::get_if<OutputLostEvent>(&event.body)) {
        notes_[{lost->proc.pid, lost->proc.start_ns}].eio_writes = lost->eio_writes;
    }
    out.insert(out.end(), std::make_move_iterator(now.begin()), std::make_move_iterator(now.end()));
    return out;
}

std::vector<Finding> DisconnectCorrelator::on_signal(const Event& event, const SignalEvent& signal,
                                                     const ProcessTable& table) {
    if (signal.sig != SIGHUP) return {};
    const auto& target = signal.target;
    auto& notes = notes_[{target.pid, target.start_ns}];
    notes.sighups.push_back({event.ktime_ns, signal.sender_pid, signal.sender_start_ns,
                             signal.sender_comm, signal.origin, signal.result, signal.disposition});
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

    DisconnectFinding d = disconnect_of(event.ktime_ns, target, target.ppid, session.tty_dev,
                                        signal.sender_pid, signal.sender_comm, table);
    session.disconnect = d;
    // A session inside a hung-up login, hung up in turn (sudo's use_pty).
    if (const auto* outer = enclosing_disconnect(target, target.sid, event.ktime_ns, table))
        session.enclosing_sid = outer->disconnect->sid;
    return {d};
}

DisconnectFinding DisconnectCorrelator::disconnect_of(std::uint64_t ktime_ns,
                                                      const ProcessInfo& leader, std::uint32_t ppid,
                                                      std::uint32_t tty_dev, std::uint32_t by_pid,
                                                      const std::string& by_comm,
                                                      const ProcessTable& table) const {
    DisconnectFinding d;
    d.ktime_ns = ktime_ns;
    d.sid = leader.sid;
    d.ppid = ppid;
    d.tty_dev = tty_dev;
    d.leader = ref_of(leader);
    d.uid = leader.uid;
    // As the session's processes name it: a container's own passwd.
    d.user = user_name_of_process(leader.uid, leader, table);
    d.loginuid = leader.loginuid;
    d.audit_session = leader.audit_session;
    d.hung_up_by_pid = by_pid;
    d.hung_up_by_comm = by_comm;
    return d;
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
                                           const ProcessInfo& info, const ProcessTable& table,
                                           bool alive) const {
    Verdict v;
    v.kind = kind;
    v.ktime_ns = ktime_ns;
    v.process = ref_of(info);
    v.ppid = info.ppid;
    v.uid = info.uid;
    v.user = user_name_of_process(info.uid, info, table);
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

    // Also of one dead already (a unit's process killed by its stop).
    const std::optional<std::string> cgroup = kills_.cgroup_of(info);
    v.supervision = classify_supervision(cgroup.value_or(""), ancestor_comms);
    v.sighup = sighup_of(info, alive);
    if (auto it = notes_.find({info.pid, info.start_ns}); it != notes_.end())
        v.eio_writes = it->second.eio_writes;
    return v;
}

// The disposition that decided: at its latest SIGHUP, as signal_generate saw
// it in the process itself; else, for a live process, /proc now (its own,
// after its last exec). Never a parent's: exec resets handlers.
SighupDisposition DisconnectCorrelator::sighup_of(const ProcessInfo& info, bool alive) const {
    if (auto it = notes_.find({info.pid, info.start_ns});
        it != notes_.end() && !it->second.sighups.empty()) {
        const auto& last = it->second.sighups.back();
        switch (last.disposition) {
            case SignalDisposition::Default:
                return SighupDisposition::Default;
            case SignalDisposition::Ignored:
                return SighupDisposition::Ignored;
            case SignalDisposition::Handled:
                return SighupDisposition::Handled;
            case SignalDisposition::Unknown:
                // Not recorded (events from the store): the kernel's result
                // still tells an ignored one, and a process alive after a
                // delivered SIGHUP handled it. A dead one may have died of it:
                // the default action.
                if (last.result == SignalResult::Ignored) return SighupDisposition::Ignored;
                if (last.result == SignalResult::Delivered)
                    return alive ? SighupDisposition::Handled : SighupDisposition::Default;
                break;
        }
    }
    if (probe_ && alive) {
        if (auto masks = probe_->signal_masks(info.pid))
            return sighup_disposition(masks->ignored, masks->caught);
    }
    // Dead (a nohup'd job killed by SIGTERM): nothing says.
    return alive ? SighupDisposition::Default : SighupDisposition::Unknown;
}

void DisconnectCorrelator::add_disconnect_evidence(Verdict& v, const SessionState& session) const {
    const auto& d = *session.disconnect;
    v.disconnect_ktime_ns = d.ktime_ns;
    v.disconnect_sid = d.sid;
    v.evidence.push_back(
        {d.ktime_ns, "disconnect",
         session.vanished_sshd
             ? fmt::format("session {} of {} (no tty) lost its sshd session process {} {}", d.sid,
                           d.user, d.hung_up_by_comm, d.hung_up_by_pid)
             : fmt::format("session {} of {} on {} hung up by {} {}", d.sid, d.user,
                           tty_label(d.tty_dev), d.hung_up_by_comm, d.hung_up_by_pid)});
}

void DisconnectCorrelator::add_killed_verdict(std::vector<Finding>& out, KillAttribution a,
                                              const Event& event, const ExitEvent& exit,
                                              const ProcessTable& table) {
    if (!KillAttributor::wants_verdict(a)) {
        kills_.count_non_job(a.details.cause);
        return;
    }
    Verdict v = base_verdict(VerdictKind::Killed, event.ktime_ns, exit.proc, table, false);
    v.signal = a.signal;
    v.confidence = a.confidence;
    a.details.job = a.is_job;
    v.evidence = std::move(a.evidence);
    v.kill = std::move(a.details);
    // In place: GCC 12 warns (falsely) of an uninitialized temporary variant.
    out.emplace_back(std::in_place_type<Verdict>, std::move(v));
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
    if (now_ns - last_prune_ns_ >= kPrunePeriodNs) {  // off the per-event path
        last_prune_ns_ = now_ns;
        prune(now_ns, table);
        kills_.prune(table);
    }
    // A shell that did not exit in time sent an operator's SIGHUP: no verdict.
    std::erase_if(pending_logout_, [&](const PendingLogout& p) { return p.deadline_ns <= now_ns; });
    return out;
}

// Everything kept is bounded by what the table still knows (itself bounded)
// or by an age: nothing grows with the number of sessions or processes seen.
void DisconnectCorrelator::prune(std::uint64_t now_ns, const ProcessTable& table) {
    // Original parents are kept while the table remembers the process: a
    // dead parent still links its orphans to their session.
    std::erase_if(original_parent_, [&](const auto& entry) {
        return table.find(entry.first.first, entry.first.second) == nullptr;
    });
    // Notes of a process the table forgot (its exit was lost, or long past).
    std::erase_if(notes_, [&](const auto& entry) {
        return table.find(entry.first.first, entry.first.second) == nullptr;
    });
    // A session is needed while a process of it may still die or be
    // orphaned: while the table knows a live member, and a while after its
    // end (died_after_disconnect, late reparents).
    std::set<std::uint32_t> live_sids = table.live_sessions();
    auto expired = [&](const SessionState& s) {
        return s.ended && now_ns - s.ended_ns >= options_.session_keep_ns;
    };
    std::erase_if(sessions_, [&](const auto& entry) {
        if (live_sids.count(entry.first)) return false;
        if (expired(entry.second)) return true;
        // Never ended as far as we saw (its leader's exit predates us or
        // was lost) and nobody is left in it: nothing more can happen there.
        const auto* leader = table.find(entry.second.leader.pid, entry.second.leader.start_ns);
        return !entry.second.ended && (!leader || !leader->alive);
    });
    // The hard bound: the oldest ended sessions first.
    while (sessions_.size() > options_.max_sessions) {
        auto victim = sessions_.end();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
            if (live_sids.count(it->first)) continue;
            if (victim == sessions_.end() || it->second.ended_ns < victim->second.ended_ns)
                victim = it;
        }
        if (victim == sessions_.end()) break;  // every one has a live member
        sessions_.erase(victim);
        ++sessions_dropped_;
    }
}

void DisconnectCorrelator::drop_pending_orphan(const ProcessInfo& proc) {
    std::erase_if(pending_orphans_, [&](const PendingOrphan& p) {
        const auto& c = std::get<ReparentEvent>(p.reparent.body).child;
        return c.pid == proc.pid && c.start_ns == proc.start_ns;
    });
}

CorrelatorSizes DisconnectCorrelator::sizes() const {
    return {sessions_.size(),       notes_.size(),           pending_orphans_.size(),
            pending_logout_.size(), original_parent_.size(), sessions_dropped_,
            orphans_dropped_};
}

}  // namespace hupwatch
