// Turns raw events into findings: disconnects, session ends, and one verdict
// per affected process. Pure: events in, findings out, time passed in; the
// live host is consulted only through an optional HostProbe. So it is tested
// with synthetic streams and can run again over stored events.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "events.h"
#include "findings.h"
#include "host_probe.h"
#include "kill_attributor.h"
#include "process_table.h"

namespace hupwatch {

struct CorrelatorOptions {
    // An abnormal death this soon after its session's disconnect, without a
    // SIGHUP, is reported as died_after_disconnect (an inference).
    std::uint64_t died_after_window_ns = kDiedAfterDisconnectWindowNs;
    // A SIGHUP from the session's shell counts as a logout kill when the shell
    // exits this soon after sending it (bash's huponexit).
    std::uint64_t logout_window_ns = 3'000'000'000ULL;
    // An orphan verdict waits this long for the process to die of a SIGHUP
    // still pending, so a dying job is not also called an orphan. Together
    // with the tick period this keeps verdicts within 1 s of the fact.
    std::uint64_t orphan_settle_ns = 400'000'000ULL;
    std::size_t max_lineage = 16;
    // A session inside a session (script, sudo -i, su -, a nested login)
    // that ends this soon after its enclosing session's disconnect ended
    // because of it: its orphans trace back to the outer disconnect.
    std::uint64_t nested_window_ns = 10'000'000'000ULL;
    // Bounds on memory. A session is forgotten this long after its leader
    // exited once no process the table knows is still in it; past
    // max_sessions the oldest ended ones go first (counted).
    std::uint64_t session_keep_ns = 15'000'000'000ULL;
    std::size_t max_sessions = 65'536;
    // Reparent events waiting to settle; beyond this, new ones are dropped (counted).
    std::size_t max_pending_orphans = 65'536;
};

// The correlator's state, for the metrics: sizes now, and what a bound dropped.
struct CorrelatorSizes {
    std::size_t sessions = 0;
    std::size_t process_notes = 0;
    std::size_t pending_orphans = 0;
    std::size_t pending_logouts = 0;
    std::size_t original_parents = 0;
    std::uint64_t sessions_dropped = 0;  // forgotten at max_sessions while still relevant
    std::uint64_t orphans_dropped = 0;   // reparents not settled: max_pending_orphans
};

class DisconnectCorrelator {
   public:
    explicit DisconnectCorrelator(CorrelatorOptions options = {}, HostProbe* probe = nullptr);

    // Learns sessions (leaders, terminals) from the /proc scan at start.
    void seed(const std::vector<ProcSnapshot>& snapshots);
    // One event, after `table` has applied it. Returns the findings it settles.
    std::vector<Finding> on_event(const Event& event, const ProcessTable& table);
    // Time passes: settles findings whose waiting period is over.
    std::vector<Finding> tick(std::uint64_t now_ns, const ProcessTable& table);

    std::size_t pending() const { return pending_orphans_.size() + pending_logout_.size(); }
    // Deaths by signal of processes that are not jobs, by cause (no verdict).
    const std::array<std::uint64_t, kKillCauseCount>& non_job_kills() const {
        return kills_.non_job_kills();
    }
    CorrelatorSizes sizes() const;

   private:
    using Key = std::pair<std::uint32_t, std::uint64_t>;  // (pid, start_ns)

    struct SessionState {
        ProcessRef leader;
        std::uint32_t tty_dev = 0;
        std::uint32_t uid = 0;
        std::uint32_t loginuid = UINT32_MAX;
        std::uint32_t audit_session = UINT32_MAX;
        std::optional<DisconnectFinding> disconnect;
        // `ssh host CMD` (no pty): the sshd session process whose exit left
        // the command behind was the disconnect.
        std::optional<ProcessRef> vanished_sshd;
        // `ssh host CMD`: the sshd session process whose child leads this
        // session, remembered because that leader may exit long before
        // sshd does (`ssh host 'nohup job &'`), leaving the job on its pipes.
        std::optional<ProcessRef> ssh_server;
        // That sshd exited on its own long after the leader, with jobs
        // left in the session: it had waited on their pipes to it, and
        // left when the client did. When (boot ns); 0: it did not.
        std::uint64_t ssh_server_left_ns = 0;
        // Hung up because an enclosing session was (sudo -i hangs up its
        // pty when its own terminal goes): that session's sid.
        std::optional<std::uint32_t> enclosing_sid;
        bool ended = false;
        std::uint64_t ended_ns = 0;
    };

    struct SighupSeen {
        std::uint64_t ktime_ns = 0;
        std::uint32_t sender_pid = 0;
        std::uint64_t sender_start_ns = 0;
        std::string sender_comm;
        SignalOrigin origin = SignalOrigin::User;
        SignalResult result = SignalResult::Delivered;
        SignalDisposition disposition = SignalDisposition::Unknown;
    };

    struct ProcessNotes {
        std::vector<SighupSeen> sighups;  // the last few
        std::uint64_t eio_writes = 0;
    };

    // The parent a process had before it was reparented, for its lineage.
    std::map<Key, Key> original_parent_;

    struct PendingOrphan {
        std::uint64_t due_ns = 0;
        Event reparent;
    };

    struct PendingLogout {
        std::uint64_t deadline_ns = 0;
        Verdict verdict;  // killed_by_logout, if the shell exits in time
        std::uint32_t shell_pid = 0;
        std::uint64_t shell_start_ns = 0;
    };

    void learn_session(const ProcessInfo& info);
    std::vector<Finding> on_signal(const Event& event, const SignalEvent& signal,
                                   const ProcessTable& table);
    // death_verdicts.cpp: what an exit means, asked in order.
    std::vector<Finding> on_exit(const Event& event, const ExitEvent& exit,
                                 const ProcessTable& table);
    SessionState& end_session(std::uint32_t sid, std::uint64_t ktime_ns);
    void on_leader_exit(const Event& event, const ExitEvent& exit,
                        std::optional<KillAttribution>& kill, const ProcessTable& table,
                        std::vector<Finding>& out);
    bool sighup_death(const Event& event, const ExitEvent& exit, const ProcessTable& table,
                      std::vector<Finding>& out);
    bool died_after_disconnect(const Event& event, const ExitEvent& exit, const ProcessTable& table,
                               std::vector<Finding>& out);
    std::optional<Finding> settle_orphan(const PendingOrphan& pending, const ProcessTable& table);
    void add_output_facts(Verdict& v, const ProcessInfo& child, std::uint32_t tty) const;
    void prune(std::uint64_t now_ns, const ProcessTable& table);

    // `alive`: the process still runs, so /proc speaks for it (its own
    // dispositions, after its last exec); a dead one's pid may be another's.
    Verdict base_verdict(VerdictKind kind, std::uint64_t ktime_ns, const ProcessInfo& info,
                         const ProcessTable& table, bool alive) const;
    SighupDisposition sighup_of(const ProcessInfo& info, bool alive) const;
    std::vector<const ProcessEntry*> original_lineage(const ProcessInfo& info,
                                                      const ProcessTable& table) const;
    void add_disconnect_evidence(Verdict& verdict, const SessionState& session) const;
    // ssh_command_disconnect.cpp: a command run by `ssh host CMD` outlived
    // its sshd session process. Returns the disconnect it makes, if any.
    std::optional<DisconnectFinding> on_vanished_sshd(const Event& event, const ReparentEvent& r,
                                                      const ProcessTable& table);
    // Remembers the sshd session process that started a no-tty session's
    // leader (`parent`: the leader's, if known).
    void learn_ssh_server(const ProcessInfo& leader, const ProcessInfo* parent);
    // An sshd session process gone on its own, after the command it started
    // ended: the disconnect of that command's session, if jobs still run in it.
    void on_sshd_exit(const Event& event, const ExitEvent& exit, const ProcessTable& table,
                      std::vector<Finding>& out);
    // A death by SIGPIPE after such a disconnect: its output's reader is
    // gone. Adds the verdict (and a disconnect first found by it) to `out`.
    bool broken_pipe_after_disconnect(const Event& event, const ExitEvent& exit,
                                      const ProcessTable& table, std::vector<Finding>& out);
    // The disconnect of session `sid` when its sshd left it with jobs (see
    // SessionState::ssh_server_left_ns): stamped then, made once.
    DisconnectFinding ssh_server_left(std::uint32_t sid, SessionState& session,
                                      const ProcessTable& table) const;
    // The disconnect of a session enclosing the dead parent's own (a job of
    // `script` or `sudo -i` run in a login that hung up), or null.
    const SessionState* enclosing_disconnect(const ProcessInfo& child, std::uint32_t parent_sid,
                                             std::uint64_t when, const ProcessTable& table) const;
    // The disconnect a hung-up session's traces back to: its own, or that
    // of the session whose hangup caused it (followed outwards).
    const SessionState& root_disconnect(const SessionState& session) const;
    // The disconnect of a verdict about `info`: that of hung-up `session`
    // (its own, or with `enclosing` one around its own), followed to its
    // root. Through inner sessions, the lineage goes up to the root's
    // leader, and an inner hangup is evidence too.
    void add_traced_disconnect(Verdict& v, const SessionState& session, const ProcessInfo& info,
                               const ProcessTable& table, bool enclosing = false) const;
    // The lineage up to the leader of session `sid`, through inner sessions.
    void extend_lineage_to(Verdict& v, const ProcessInfo& info, std::uint32_t sid,
                           const ProcessTable& table) const;
    void drop_pending_orphan(const ProcessInfo& proc);
    const SessionState* disconnected_session(std::uint32_t sid, std::uint64_t before_ns) const;
    // A disconnect of the session `leader` leads, hung up by (by_pid,
    // by_comm): the facts every kind of disconnect reports alike.
    DisconnectFinding disconnect_of(std::uint64_t ktime_ns, const ProcessInfo& leader,
                                    std::uint32_t ppid, std::uint32_t tty_dev, std::uint32_t by_pid,
                                    const std::string& by_comm, const ProcessTable& table) const;
    // uid's name as the process sees it (a container's own passwd), asked
    // of it or, once it is gone, of its nearest living ancestor.
    std::string user_name_of_process(std::uint32_t uid, const ProcessInfo& info,
                                     const ProcessTable& table) const;
    // The `killed` verdict, for a death by signal nothing above explained.
    void add_killed_verdict(std::vector<Finding>& out, KillAttribution attribution,
                            const Event& event, const ExitEvent& exit, const ProcessTable& table);

    CorrelatorOptions options_;
    HostProbe* probe_;
    KillAttributor kills_;
    std::map<std::uint32_t, SessionState> sessions_;  // by sid
    std::map<Key, ProcessNotes> notes_;
    std::deque<PendingOrphan> pending_orphans_;
    std::vector<PendingLogout> pending_logout_;
    std::uint64_t last_now_ns_ = 0;
    std::uint64_t last_prune_ns_ = 0;
    std::uint64_t sessions_dropped_ = 0;
    std::uint64_t orphans_dropped_ = 0;
};

}  // namespace hupwatch
