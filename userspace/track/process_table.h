// The live model of processes, keyed by identity (pid, start_ns), never by pid
// alone: a pid is reused, a start time is not. Seeded from /proc, then kept
// current by events.
//
// Not thread-safe by design: the event thread owns it and is its only writer
// and reader; others get copies from that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "audit_result.h"
#include "events.h"
#include "monitor_counters.h"
#include "proc_text.h"

namespace hupwatch {

struct ProcessEntry {
    // Latest sighting. info.pid and info.start_ns are the identity; tid is the
    // thread of the last event and means little here.
    ProcessInfo info;
    // nullopt: unknown (seeded, or the ppid changed with no reparent event seen).
    std::optional<std::uint64_t> parent_start_ns;
    std::vector<std::string> argv;
    std::string filename;  // exec filename, or /proc/PID/exe when seeded
    bool argv_truncated = false;
    std::uint32_t exec_count = 0;  // execs seen, not execs made before we attached

    bool alive = true;
    std::uint64_t exit_ns = 0;    // boot ns; when exit_lost, an upper bound
    std::int32_t raw_status = 0;  // wait status; meaningless when exit_lost
    bool exit_lost = false;       // the exit event never came; inferred from pid reuse or a scan

    // Something may ask for it after its exit: it forked a child (lineage,
    // orphans' old parent), sent a signal (the killer), was reparented, or
    // leads a session. An exited entry without this is quiet: its exit
    // verdict is out and nothing names it again, so it goes sooner.
    bool referenced = false;
    bool quiet_exit = false;  // exited while quiet: in the quiet eviction queue

    bool seeded = false;           // first known from /proc
    bool start_from_proc = false;  // start_ns still has /proc's tick precision
    std::uint64_t start_tick_ns = 0;
};

// Whether a scan's process (pid aside) is this entry: the scan's start is
// /proc's, floored to its tick, so it matches a precise start within the
// tick and an entry still known by /proc's start exactly.
bool scanned_as(const ProcessEntry& e, std::uint64_t scan_start_ns, std::uint64_t tick_ns);

class ProcessTable {
   public:
    struct Options {
        std::uint64_t exit_grace_ns = 60'000'000'000ULL;  // exited entries kept this long
        // ... and quiet ones (ProcessEntry::referenced unset) this long: a
        // spawn storm's exits would otherwise fill the table (about 860
        // bytes each with the daemon's other state: 225 MB at the bound).
        // Long enough for what still arrives about a process just gone
        // (a signal to the zombie) to find it.
        std::uint64_t quiet_exit_grace_ns = 1'000'000'000ULL;
        // Bound on memory (about 300 bytes per entry before argv). When full, the
        // oldest exited entry goes first; with no exited entry, the new process
        // is refused: a live process is never forgotten to make room.
        std::size_t max_entries = 262'144;
    };

    using Counters = ProcessTableCounters;  // monitor_counters.h: exported as metrics

    ProcessTable() : ProcessTable(Options{}) {}
    explicit ProcessTable(Options options) : options_(options) {}

    // Adds the processes not yet known; known ones keep what events told us.
    void seed(const std::vector<ProcSnapshot>& snapshots);

    // A live process a later whole /proc scan lacks: it exited unseen (no
    // exit event came: nothing was recording), by by_ns at the latest.
    // Counted as a lost exit.
    void end_unseen(std::uint32_t pid, std::uint64_t start_ns, std::uint64_t by_ns);
    // An ExitUnseenEvent for every live process started before a whole scan
    // that the scan lacks (none when the scan is incomplete), stamped with
    // the scan's start; applying each ends it. The caller asks only once
    // every event made before the scan is in: else a process whose exit
    // event is merely late would be ended unseen.
    std::vector<Event> exits_unseen_by(const ProcessesSeen& scan) const;
    // The live processes `started_before` the scan that a complete scan
    // lacks (none when it is incomplete): one rule for the live table and
    // the stored fold, whose clocks differ.
    std::vector<const ProcessEntry*> missing_from(
        const ProcessesSeen& scan,
        const std::function<bool(const ProcessEntry&)>& started_before) const;

    // Updates the model from one event. The subject is recorded even when it
    // was never seen before, so a partially seen process is not lost.
    void apply(const Event& event);

    // Exact identity; an entry whose start still comes from /proc matches any
    // start_ns within its tick.
    const ProcessEntry* find(std::uint32_t pid, std::uint64_t start_ns) const;
    // The live process holding pid now.
    const ProcessEntry* find_alive(std::uint32_t pid) const;
    // The parent: by (ppid, parent_start_ns) when known, else the holder of
    // ppid that was alive when the child started.
    const ProcessEntry* parent(const ProcessEntry& child) const;
    // Ancestors, nearest first, at most max_depth; stops at the first unknown.
    std::vector<const ProcessEntry*> lineage(std::uint32_t pid, std::uint64_t start_ns,
                                             std::size_t max_depth) const;

    // The session ids of the live processes.
    std::set<std::uint32_t> live_sessions() const;
    // Every entry that holds or held pid, oldest start first.
    std::vector<const ProcessEntry*> holders(std::uint32_t pid) const;
    // Every entry, by (pid, start).
    std::vector<const ProcessEntry*> entries() const;

    // Removes exited entries whose exit is older than their grace period.
    void evict(std::uint64_t now_boot_ns);

    std::size_t size() const { return entries_.size(); }
    std::size_t alive_count() const {
        return entries_.size() - exited_.size() - quiet_exited_.size();
    }
    const Counters& counters() const { return counters_; }

   private:
    using Key = std::pair<std::uint32_t, std::uint64_t>;  // (pid, start_ns)
    using Entries = std::map<Key, ProcessEntry>;          // ordered: a pid's holders are adjacent

    Entries::iterator locate(std::uint32_t pid, std::uint64_t start_ns);
    ProcessEntry* observe(const ProcessInfo& seen, bool exiting);
    // An identity an event names: its start made precise, the entry referenced.
    void sighted(std::uint32_t pid, std::uint64_t start_ns);
    void upgrade_start(Entries::iterator it, std::uint64_t start_ns);
    ProcessEntry* insert(const ProcessInfo& info);
    Entries::iterator alive_holder(std::uint32_t pid);
    void mark_exited(ProcessEntry& entry, std::uint64_t exit_ns);
    void reference(ProcessEntry& entry);
    using ExitQueue = std::set<std::pair<std::uint64_t, Key>>;  // (exit_ns, key): eviction order
    ExitQueue& queue_of(const ProcessEntry& entry) {
        return entry.quiet_exit ? quiet_exited_ : exited_;
    }
    void evict_older(ExitQueue& queue, std::uint64_t now_boot_ns, std::uint64_t grace_ns,
                     std::uint64_t& counter);
    void erase(Entries::iterator it);

    Options options_;
    Entries entries_;
    ExitQueue exited_;        // referenced exited entries
    ExitQueue quiet_exited_;  // quiet ones
    Counters counters_;
};

}  // namespace hupwatch
