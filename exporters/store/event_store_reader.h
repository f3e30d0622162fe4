// Read-only queries on the event store (docs/store.md), for replay, tree and
// why. Opens with SQLITE_OPEN_READONLY: WAL lets it read while the daemon
// writes. Every failure is a StoreError whose message is one line naming
// the file; the commands print it and exit with kExitDatabase.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "events.h"
#include "findings.h"
#include "proc_text.h"
#include "store_schema.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hupwatch {

class StoreError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

struct StoredEvent {
    std::int64_t id = 0;
    std::int64_t run_id = 0;
    std::uint64_t ktime_ns = 0;
    std::int64_t wall_ns = 0;
    std::string type;  // the JSON "event" value: fork, exec, ..., setsid, setpgid
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
    std::uint32_t ppid = 0;
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::string tty;  // empty: none
    std::string comm;
    std::uint32_t peer_pid = 0;  // fork: parent; signal: sender; reparent: new parent
    std::uint64_t peer_start_ns = 0;
    std::string json;  // the line of docs/events.md
};

// A stored event or finding as the type it was written from (json_decoder.h),
// its time exact from the row's ktime_ns. nullopt with a one-line error for a
// line that does not decode.
std::optional<Event> decode_stored(const StoredEvent& stored, std::string& error);

struct StoredFinding {
    std::int64_t id = 0;
    std::int64_t run_id = 0;
    std::uint64_t ktime_ns = 0;
    std::int64_t wall_ns = 0;
    std::string kind;     // disconnect, session_end, verdict
    std::string verdict;  // empty unless kind == verdict
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::string json;
};

std::optional<Finding> decode_stored(const StoredFinding& stored, std::string& error);

// A running daemon refreshes its run's last_wall_ns at every commit and at
// least every 5 s when idle (docs/store.md): a run with no clean stop whose
// last write is older than this slack is no longer recording (killed, or
// its host went down) since that write.
constexpr std::int64_t kRunRefreshSlackNs = 10'000'000'000;

struct StoredRun {
    std::int64_t id = 0;
    std::int64_t started_wall_ns = 0;
    std::int64_t last_wall_ns = 0;
    std::optional<std::int64_t> stopped_wall_ns;
    bool clean = false;
    std::string boot_id;  // 32 hex digits, as JSON lines carry it (origin_keys.h)
    std::string hostname;
    std::string version;
    std::int64_t clock_offset_ns = 0;
};

struct StoredGap {
    std::int64_t run_id = 0;  // the run that started after the gap
    std::int64_t from_wall_ns = 0;
    std::int64_t to_wall_ns = 0;
    std::string reason;  // empty: an unclean stop; else e.g. "store write errors: disk full"
};

struct StoredSeed {
    std::int64_t run_id = 0;
    std::int64_t wall_ns = 0;
    std::uint32_t pid = 0;
    std::uint64_t start_ns = 0;  // /proc's tick precision: exact start in [start_ns, + tick)
    std::uint64_t start_tick_ns = 0;
    std::uint32_t ppid = 0;
    std::uint32_t pgid = 0;
    std::uint32_t sid = 0;
    std::uint32_t uid = 0;
    std::uint32_t loginuid = UINT32_MAX;  // unset, or stored before seeds had it
    std::string tty;
    std::string comm;
    std::vector<std::string> argv;
    std::string exe;
};

// A seed as the /proc snapshot it was recorded from (for the correlator).
ProcSnapshot snapshot_of(const StoredSeed& seed);

struct StoreFilter {
    std::int64_t since_wall_ns = INT64_MIN;
    std::int64_t until_wall_ns = INT64_MAX;
    std::optional<std::uint32_t> pid;
    std::optional<std::uint32_t> sid;
    std::optional<std::uint32_t> uid;
    // Events only: signal, reparent, setsid and output_lost, not every
    // fork, exec and exit of the host.
    bool significant_only = false;
};

// Whose processes a reader sees. Everyone's for those who can open the
// database (root, the daemon's user); one caller's for the query socket
// (docs/cli.md): the events, findings and seeds of processes whose uid or
// loginuid is theirs, with the command line of another user's process
// that killed one of theirs withheld (withheld_argv.h). Runs and gaps are
// no one's and always shown.
struct StoreVisibility {
    std::optional<std::uint32_t> uid;  // nullopt: every row
};

class EventStoreReader {
   public:
    // Throws StoreError: missing or unreadable file, not SQLite, corrupt,
    // not a hupwatch store, newer schema.
    explicit EventStoreReader(const std::string& path, StoreVisibility visibility = {});
    ~EventStoreReader();
    EventStoreReader(const EventStoreReader&) = delete;
    EventStoreReader& operator=(const EventStoreReader&) = delete;

    std::vector<StoredRun> runs();
    std::vector<StoredGap> gaps();
    // In time order (wall_ns, then id).
    std::vector<StoredEvent> events(const StoreFilter& filter);
    std::vector<StoredFinding> findings(const StoreFilter& filter);
    // The exit events of processes that have a verdict in the filter's range.
    std::vector<StoredEvent> exits_with_verdicts(const StoreFilter& filter);
    // Every event and seed of any process that had this pid.
    std::vector<StoredEvent> events_of_pid(std::uint32_t pid);
    std::vector<StoredSeed> seeds_of_pid(std::uint32_t pid);
    std::vector<StoredFinding> findings_of_pid(std::uint32_t pid);
    // The disconnect of session sid nearest to wall_ns.
    std::optional<StoredFinding> disconnect_of(std::uint32_t sid, std::int64_t wall_ns);
    // What tree --at needs: the run's seed, and its fork, exec, exit,
    // reparent and setsid events up to until_wall_ns.
    std::vector<StoredSeed> seeds_of_run(std::int64_t run_id);
    // The runs that recorded a /proc scan at their start (whoever may read
    // its rows): a process such a scan lacks was not running then.
    std::set<std::int64_t> scanned_runs();
    std::vector<StoredEvent> lifecycle(std::int64_t run_id, std::int64_t from_wall_ns,
                                       std::int64_t until_wall_ns);
    // Every event of a run up to until_wall_ns, in the order it was recorded,
    // one at a time (a run can hold millions): what `replay --reanalyze`
    // feeds the correlator.
    void for_each_event_of_run(std::int64_t run_id, std::int64_t until_wall_ns,
                               const std::function<void(const StoredEvent&)>& visit);

   private:
    sqlite3_stmt* prepare(const std::string& sql);
    // Prepares sql, binds the integers in order, calls row for each result
    // row; a failure on the way is a StoreError.
    void for_each_row(const std::string& sql, const std::vector<std::int64_t>& binds,
                      const std::function<void(sqlite3_stmt*)>& row);
    static StoredEvent event_row(sqlite3_stmt* s);
    std::vector<StoredEvent> read_events(const std::string& sql,
                                         const std::vector<std::int64_t>& binds);
    std::vector<StoredFinding> read_findings(const std::string& sql,
                                             const std::vector<std::int64_t>& binds);
    std::vector<StoredSeed> read_seeds(const std::string& sql,
                                       const std::vector<std::int64_t>& binds);
    [[noreturn]] void fail(int rc);
    // " AND ..." limiting rows to the visible ones (empty when all are), its
    // values appended to binds. Seeds of stores older than seeds.loginuid:
    // uid alone.
    enum class Table { Events, Findings, Seeds };
    std::string visible(Table table, std::vector<std::int64_t>& binds,
                        const char* alias = "") const;

    std::string path_;
    // The seed columns to select: loginuid, or NULL in an older store.
    std::string seed_columns() const;

    StoreVisibility visibility_;
    std::string caller_name_;  // the user visibility_.uid names, when set
    sqlite3* db_ = nullptr;
    bool seeds_have_loginuid_ = false;
};

}  // namespace hupwatch
