#include "event_store_reader.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "host_probe.h"
#include "origin_keys.h"
#include "withheld_argv.h"

namespace hupwatch {
namespace {

constexpr const char* kEventColumns =
    "id, run_id, ktime_ns, wall_ns, type, pid, start_ns, ppid, sid, uid, tty, comm, peer_pid, "
    "peer_start_ns, json";
constexpr const char* kFindingColumns =
    "id, run_id, ktime_ns, wall_ns, kind, verdict, pid, start_ns, sid, uid, json";
constexpr const char* kSeedColumns =
    "run_id, wall_ns, pid, start_ns, start_tick_ns, ppid, pgid, sid, uid, tty, comm, argv, exe";

std::string text(sqlite3_stmt* s, int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : "";
}
std::int64_t i64(sqlite3_stmt* s, int col) {
    return sqlite3_column_int64(s, col);
}
std::uint64_t u64(sqlite3_stmt* s, int col) {
    return static_cast<std::uint64_t>(sqlite3_column_int64(s, col));
}
std::uint32_t u32(sqlite3_stmt* s, int col) {
    return static_cast<std::uint32_t>(sqlite3_column_int64(s, col));
}

// The WHERE clause of a filter, with its values appended to binds.
std::string where(const StoreFilter& f, std::vector<std::int64_t>& binds, const char* alias = "") {
    std::string sql = fmt::format("{0}wall_ns BETWEEN ? AND ?", alias);
    binds.push_back(f.since_wall_ns);
    binds.push_back(f.until_wall_ns);
    if (f.pid) {
        sql += fmt::format(" AND {}pid = ?", alias);
        binds.push_back(*f.pid);
    }
    if (f.sid) {
        sql += fmt::format(" AND {}sid = ?", alias);
        binds.push_back(*f.sid);
    }
    if (f.uid) {
        sql += fmt::format(" AND {}uid = ?", alias);
        binds.push_back(*f.uid);
    }
    return sql;
}

}  // namespace

EventStoreReader::EventStoreReader(const std::string& path, StoreVisibility visibility)
    : path_(path),
      visibility_(visibility),
      caller_name_(visibility.uid ? user_name_of(*visibility.uid) : "") {
    // sqlite3 says only "unable to open database file"; stat says why.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw StoreError(
            fmt::format("hupwatch: cannot open database {}: {}", path, std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
        throw StoreError(fmt::format("hupwatch: {} is not a hupwatch database (not a file)", path));
    int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) fail(rc);
    sqlite3_busy_timeout(db_, 2000);
    std::string error;
    SchemaState state = check_store_schema(db_, path_, error);
    if (state == SchemaState::Empty)
        error = fmt::format("hupwatch: {} is not a hupwatch database (empty)", path_);
    if (state != SchemaState::Current) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError(error);
    }
    // A store not yet opened by a daemon that adds the column.
    seeds_have_loginuid_ = store_has_column(db_, "seeds", "loginuid");
}

std::string EventStoreReader::seed_columns() const {
    return fmt::format("{}, {}", kSeedColumns, seeds_have_loginuid_ ? "loginuid" : "NULL");
}

EventStoreReader::~EventStoreReader() {
    if (db_) sqlite3_close_v2(db_);
}

void EventStoreReader::fail(int rc) {
    std::string line = store_error_line(db_, rc, path_);
    if ((rc & 0xff) == SQLITE_CANTOPEN)
        line = fmt::format("hupwatch: cannot open database {}: {}", path_,
                           db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    throw StoreError(line);
}

std::string EventStoreReader::visible(Table table, std::vector<std::int64_t>& binds,
                                      const char* alias) const {
    if (!visibility_.uid) return "";
    const std::int64_t uid = *visibility_.uid;
    binds.push_back(uid);
    if (table == Table::Seeds && !seeds_have_loginuid_) return fmt::format(" AND {}uid = ?", alias);
    // loginuid survives su and sudo: a job started as root from the
    // caller's login is theirs too. Events carry it in their JSON only.
    binds.push_back(uid);
    if (table == Table::Seeds) return fmt::format(" AND ({0}uid = ? OR {0}loginuid = ?)", alias);
    return fmt::format(" AND ({0}uid = ? OR json_extract({0}json, '$.loginuid') = ?)", alias);
}

sqlite3_stmt* EventStoreReader::prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc);
    return stmt;
}

void EventStoreReader::for_each_row(const std::string& sql, const std::vector<std::int64_t>& binds,
                                    const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* stmt = prepare(sql);
    for (std::size_t i = 0; i < binds.size(); ++i)
        sqlite3_bind_int64(stmt, static_cast<int>(i + 1), binds[i]);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) row(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) fail(rc);
}

StoredEvent EventStoreReader::event_row(sqlite3_stmt* s) {
    StoredEvent e;
    e.id = i64(s, 0);
    e.run_id = i64(s, 1);
    e.ktime_ns = u64(s, 2);
    e.wall_ns = i64(s, 3);
    e.type = text(s, 4);
    e.pid = u32(s, 5);
    e.start_ns = u64(s, 6);
    e.ppid = u32(s, 7);
    e.sid = u32(s, 8);
    e.uid = u32(s, 9);
    e.tty = text(s, 10);
    e.comm = text(s, 11);
    e.peer_pid = u32(s, 12);
    e.peer_start_ns = u64(s, 13);
    e.json = text(s, 14);
    return e;
}

std::vector<StoredEvent> EventStoreReader::read_events(const std::string& sql,
                                                       const std::vector<std::int64_t>& binds) {
    std::vector<StoredEvent> out;
    for_each_row(sql, binds, [&](sqlite3_stmt* s) { out.push_back(event_row(s)); });
    return out;
}

void EventStoreReader::for_each_event_of_run(std::int64_t run_id, std::int64_t until_wall_ns,
                                             const std::function<void(const StoredEvent&)>& visit) {
    std::vector<std::int64_t> binds{run_id, until_wall_ns};
    std::string sql =
        fmt::format("SELECT {} FROM events WHERE run_id = ? AND wall_ns <= ?{} ORDER BY id",
                    kEventColumns, visible(Table::Events, binds));
    for_each_row(sql, binds, [&](sqlite3_stmt* s) { visit(event_row(s)); });
}

std::vector<StoredFinding> EventStoreReader::read_findings(const std::string& sql,
                                                           const std::vector<std::int64_t>& binds) {
    std::vector<StoredFinding> out;
    for_each_row(sql, binds, [&](sqlite3_stmt* s) {
        StoredFinding f;
        f.id = i64(s, 0);
        f.run_id = i64(s, 1);
        f.ktime_ns = u64(s, 2);
        f.wall_ns = i64(s, 3);
        f.kind = text(s, 4);
        f.verdict = text(s, 5);
        f.pid = u32(s, 6);
        f.start_ns = u64(s, 7);
        f.sid = u32(s, 8);
        f.uid = u32(s, 9);
        f.json = text(s, 10);
        if (visibility_.uid) f.json = withhold_others_argv(std::move(f.json), caller_name_);
        out.push_back(std::move(f));
    });
    return out;
}

std::vector<StoredSeed> EventStoreReader::read_seeds(const std::string& sql,
                                                     const std::vector<std::int64_t>& binds) {
    std::vector<StoredSeed> out;
    for_each_row(sql, binds, [&](sqlite3_stmt* s) {
        StoredSeed seed;
        seed.run_id = i64(s, 0);
        seed.wall_ns = i64(s, 1);
        seed.pid = u32(s, 2);
        seed.start_ns = u64(s, 3);
        seed.start_tick_ns = u64(s, 4);
        seed.ppid = u32(s, 5);
        seed.pgid = u32(s, 6);
        seed.sid = u32(s, 7);
        seed.uid = u32(s, 8);
        seed.tty = text(s, 9);
        seed.comm = text(s, 10);
        auto argv = nlohmann::json::parse(text(s, 11), nullptr, false);
        if (argv.is_array())
            for (const auto& a : argv)
                if (a.is_string()) seed.argv.push_back(a.get<std::string>());
        seed.exe = text(s, 12);
        if (sqlite3_column_type(s, 13) != SQLITE_NULL) seed.loginuid = u32(s, 13);
        out.push_back(std::move(seed));
    });
    return out;
}

std::vector<StoredRun> EventStoreReader::runs() {
    std::vector<StoredRun> out;
    for_each_row(
        "SELECT id, started_wall_ns, last_wall_ns, stopped_wall_ns, clean, boot_id, "
        "hostname, version, clock_offset_ns FROM runs ORDER BY id",
        {}, [&](sqlite3_stmt* s) {
            StoredRun r;
            r.id = i64(s, 0);
            r.started_wall_ns = i64(s, 1);
            r.last_wall_ns = i64(s, 2);
            if (sqlite3_column_type(s, 3) != SQLITE_NULL) r.stopped_wall_ns = i64(s, 3);
            r.clean = sqlite3_column_int(s, 4) != 0;
            r.boot_id = boot_id_hex(text(s, 5));
            r.hostname = text(s, 6);
            r.version = text(s, 7);
            r.clock_offset_ns = i64(s, 8);
            out.push_back(std::move(r));
        });
    return out;
}

std::vector<StoredGap> EventStoreReader::gaps() {
    std::vector<StoredGap> out;
    // Stores written before gaps.reason existed have none: unclean stops.
    std::string sql =
        fmt::format("SELECT run_id, from_wall_ns, to_wall_ns, {} FROM gaps ORDER BY from_wall_ns",
                    store_has_column(db_, "gaps", "reason") ? "reason" : "NULL");
    for_each_row(sql, {}, [&](sqlite3_stmt* s) {
        out.push_back({i64(s, 0), i64(s, 1), i64(s, 2), text(s, 3)});
    });
    return out;
}

std::vector<StoredEvent> EventStoreReader::events(const StoreFilter& filter) {
    std::vector<std::int64_t> binds;
    std::string sql =
        fmt::format("SELECT {} FROM events WHERE {}", kEventColumns, where(filter, binds));
    sql += visible(Table::Events, binds);
    if (filter.significant_only)
        sql += " AND type IN ('signal', 'reparent', 'setsid', 'output_lost', 'exit_unseen')";
    sql += " ORDER BY wall_ns, id";
    return read_events(sql, binds);
}

std::vector<StoredFinding> EventStoreReader::findings(const StoreFilter& filter) {
    std::vector<std::int64_t> binds;
    std::string sql =
        fmt::format("SELECT {} FROM findings WHERE {}", kFindingColumns, where(filter, binds));
    sql += visible(Table::Findings, binds) + " ORDER BY wall_ns, id";
    return read_findings(sql, binds);
}

std::vector<StoredEvent> EventStoreReader::exits_with_verdicts(const StoreFilter& filter) {
    std::vector<std::int64_t> binds;
    // kEventColumns, each qualified by the events table's alias.
    std::string columns = "e.";
    for (std::string_view rest = kEventColumns; !rest.empty();) {
        auto comma = rest.find(", ");
        columns += rest.substr(0, comma);
        if (comma == std::string_view::npos) break;
        columns += ", e.";
        rest.remove_prefix(comma + 2);
    }
    std::string sql = fmt::format(
        "SELECT DISTINCT {} FROM findings f JOIN events e ON e.pid = f.pid AND e.start_ns = "
        "f.start_ns AND e.type = 'exit' WHERE f.kind = 'verdict' AND {}",
        columns, where(filter, binds, "f."));
    sql += visible(Table::Findings, binds, "f.") + " ORDER BY e.wall_ns, e.id";
    return read_events(sql, binds);
}

std::vector<StoredEvent> EventStoreReader::events_of_pid(std::uint32_t pid) {
    std::vector<std::int64_t> binds{pid};
    std::string sql = fmt::format("SELECT {} FROM events WHERE pid = ?{} ORDER BY wall_ns, id",
                                  kEventColumns, visible(Table::Events, binds));
    return read_events(sql, binds);
}

std::vector<StoredSeed> EventStoreReader::seeds_of_pid(std::uint32_t pid) {
    std::vector<std::int64_t> binds{pid};
    std::string sql = fmt::format("SELECT {} FROM seeds WHERE pid = ?{} ORDER BY id",
                                  seed_columns(), visible(Table::Seeds, binds));
    return read_seeds(sql, binds);
}

std::vector<StoredFinding> EventStoreReader::findings_of_pid(std::uint32_t pid) {
    std::vector<std::int64_t> binds{pid};
    std::string sql = fmt::format("SELECT {} FROM findings WHERE pid = ?{} ORDER BY wall_ns, id",
                                  kFindingColumns, visible(Table::Findings, binds));
    return read_findings(sql, binds);
}

std::optional<StoredFinding> EventStoreReader::disconnect_of(std::uint32_t sid,
                                                             std::int64_t wall_ns) {
    std::vector<std::int64_t> binds{sid};
    std::string sql = fmt::format(
        "SELECT {} FROM findings WHERE kind = 'disconnect' AND sid = ?{} ORDER BY "
        "abs(wall_ns - ?) LIMIT 1",
        kFindingColumns, visible(Table::Findings, binds));
    binds.push_back(wall_ns);
    auto found = read_findings(sql, binds);
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::vector<StoredSeed> EventStoreReader::seeds_of_run(std::int64_t run_id) {
    std::vector<std::int64_t> binds{run_id};
    std::string sql = fmt::format("SELECT {} FROM seeds WHERE run_id = ?{} ORDER BY id",
                                  seed_columns(), visible(Table::Seeds, binds));
    return read_seeds(sql, binds);
}

std::set<std::int64_t> EventStoreReader::scanned_runs() {
    std::set<std::int64_t> out;
    // Not filtered by visibility: that a scan exists tells nothing of anyone.
    for_each_row("SELECT DISTINCT run_id FROM seeds", {},
                 [&](sqlite3_stmt* s) { out.insert(i64(s, 0)); });
    return out;
}

std::vector<StoredEvent> EventStoreReader::lifecycle(std::int64_t run_id, std::int64_t from_wall_ns,
                                                     std::int64_t until_wall_ns) {
    std::vector<std::int64_t> binds{from_wall_ns, until_wall_ns, run_id};
    std::string sql = fmt::format(
        "SELECT {} FROM events WHERE wall_ns BETWEEN ? AND ? AND run_id = ? AND type "
        "IN ('fork', 'exec', 'exit', 'reparent', 'setsid', 'exit_unseen'){} ORDER BY wall_ns, id",
        kEventColumns, visible(Table::Events, binds));
    return read_events(sql, binds);
}

}  // namespace hupwatch
