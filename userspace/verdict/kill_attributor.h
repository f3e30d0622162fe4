// Names who or what killed a process that died of a signal: the `killed`
// verdict's cause and killer (docs/events.md, "killed"). Pure: it remembers
// the signals and OOM choices it is shown, and reads the process table and
// an optional HostProbe at the victim's exit. The DisconnectCorrelator asks
// it only about deaths no disconnect or logout explains.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bounded_cache.h"
#include "events.h"
#include "findings.h"
#include "host_probe.h"
#include "process_table.h"

namespace hupwatch {

// What the attributor concludes about one death; the correlator adds the
// common verdict fields (lineage, supervision, ...).
struct KillAttribution {
    KillDetails details;
    int signal = 0;
    Confidence confidence = Confidence::Certain;
    bool is_job = false;  // its lineage leads to a login
    std::vector<Evidence> evidence;
};

class KillAttributor {
   public:
    explicit KillAttributor(HostProbe* probe = nullptr) : probe_(probe) {}

    // Signal and OOM-victim events, remembered per victim until its exit.
    void observe(const Event& event);
    // The victim's exit, after `table` applied it, with its ancestors as
    // they were before any reparenting (nearest first): the killer may be
    // one that died first, `timeout -s KILL`, `sh -c 'cmd & kill $!'`.
    // nullopt unless it died of a signal. Forgets the victim.
    std::optional<KillAttribution> attribute(const Event& event, const ExitEvent& exit,
                                             const ProcessTable& table,
                                             const std::vector<const ProcessEntry*>& ancestors);
    // A verdict is due for jobs, and for every OOM kill (kernel or userspace).
    static bool wants_verdict(const KillAttribution& a) {
        return a.is_job || a.details.cause == KillCause::OomKernel ||
               a.details.cause == KillCause::OomUserspace;
    }
    // The cgroup path of process p: its cgroup id's while that cgroup
    // exists, else /proc's while p lives, else as remembered from the
    // cgroup's mkdir or a member's /proc (a dead process's unit).
    std::optional<std::string> cgroup_of(const ProcessInfo& p) const;
    // Drops notes on processes the table no longer knows (their exit lost).
    void prune(const ProcessTable& table);

    // Processes that are not jobs, killed, by cause: counted, no verdict.
    const std::array<std::uint64_t, kKillCauseCount>& non_job_kills() const {
        return non_job_kills_;
    }
    void count_non_job(KillCause cause) { ++non_job_kills_[static_cast<std::size_t>(cause)]; }

    static bool is_job(const ProcessInfo& info, const std::vector<const ProcessEntry*>& ancestors);

   private:
    using Key = std::pair<std::uint32_t, std::uint64_t>;  // (pid, start_ns)

    struct SignalSeen {
        std::uint64_t ktime_ns = 0;
        SignalEvent signal;
    };
    struct VictimNotes {
        std::vector<SignalSeen> signals;  // the last few that can kill
        std::optional<std::pair<std::uint64_t, OomVictimEvent>> oom;
        std::optional<std::string> cgroup;  // read while it still lived
    };

    void classify(KillAttribution& a, const ProcessInfo& victim, const SignalSeen* fatal,
                  const VictimNotes* notes, const ProcessTable& table,
                  const std::vector<const ProcessEntry*>& ancestors) const;
    std::optional<Killer> killer_of(const SignalEvent& s, const ProcessTable& table) const;
    std::string user_name(std::uint32_t uid) const;

    // The cgroup path of each cgroup id, from its cgroup_mkdir event, or
    // read when a process of it forked or exec'd, while it most likely
    // lived: systemd removes a stopped scope's cgroup within milliseconds
    // of its SIGTERM, before the signal event is read, and only the id is
    // left then.
    struct CgroupSeen {
        std::string path;         // empty: not read yet
        bool root_known = false;  // its processes' root learned (HostProbe)
        unsigned misses = 0;
    };
    void learn_cgroup(const ProcessInfo& info, std::uint32_t read_pid);
    std::optional<std::string> known_cgroup(std::uint64_t cgroup_id) const;

    HostProbe* probe_;
    std::map<Key, VictimNotes> notes_;
    // Cgroup paths remembered by id (a host has a few hundred units at most).
    static constexpr std::size_t kCgroupsKept = 4096;
    BoundedCache<std::uint64_t, CgroupSeen> cgroups_{kCgroupsKept};
    std::array<std::uint64_t, kKillCauseCount> non_job_kills_{};
};

// The systemd unit or scope a cgroup path names (the deepest .service or
// .scope), or nullopt.
std::optional<std::string> unit_of_cgroup(std::string_view cgroup_path);

// A program that stands between a login and its jobs (sshd, login, a tmux or
// screen server): it leads to a login, and is no job itself.
bool is_login_program(std::string_view comm);

}  // namespace hupwatch
