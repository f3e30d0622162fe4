#include "store_schema.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace hupwatch {
namespace {

// auto_vacuum must be set before the first table: pruning can then hand
// freed pages back to the file system in small steps (incremental_vacuum).
constexpr const char* kSchema = R"sql(
PRAGMA auto_vacuum = INCREMENTAL;
BEGIN;
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  started_wall_ns INTEGER NOT NULL,
  started_boot_ns INTEGER NOT NULL,
  last_wall_ns INTEGER NOT NULL,
  stopped_wall_ns INTEGER,
  clean INTEGER NOT NULL DEFAULT 0,
  boot_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  version TEXT NOT NULL,
  clock_offset_ns INTEGER NOT NULL);
CREATE TABLE gaps(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  from_wall_ns INTEGER NOT NULL,
  to_wall_ns INTEGER NOT NULL,
  reason TEXT);
CREATE TABLE events(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  ktime_ns INTEGER NOT NULL,
  wall_ns INTEGER NOT NULL,
  type TEXT NOT NULL,
  pid INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  tty TEXT,
  comm TEXT NOT NULL,
  peer_pid INTEGER,
  peer_start_ns INTEGER,
  json TEXT NOT NULL);
CREATE INDEX events_process ON events(pid, start_ns);
CREATE INDEX events_session ON events(sid, wall_ns);
CREATE INDEX events_type ON events(type, wall_ns);
CREATE TABLE findings(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  ktime_ns INTEGER NOT NULL,
  wall_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,
  verdict TEXT,
  pid INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX findings_process ON findings(pid, start_ns);
CREATE INDEX findings_session ON findings(sid, wall_ns);
CREATE INDEX findings_time ON findings(wall_ns);
CREATE TABLE seeds(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  wall_ns INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  start_tick_ns INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  pgid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  tty TEXT,
  comm TEXT NOT NULL,
  argv TEXT NOT NULL,
  exe TEXT NOT NULL,
  loginuid INTEGER);
CREATE INDEX seeds_process ON seeds(pid, start_ns);
CREATE INDEX seeds_run ON seeds(run_id);
PRAGMA user_version = 1;
COMMIT;
)sql";

bool has_table(sqlite3* db, const char* name) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1,
                           &stmt, nullptr) != SQLITE_OK)
        return false;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

}  // namespace

bool store_has_column(sqlite3* db, const char* table, const char* column) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &stmt,
                           nullptr) != SQLITE_OK)
        return false;
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC);
    bool found = sqlite3_step(stmt) == SQLITE_ROW;
    sqlite3_finalize(stmt);
    return found;
}

bool upgrade_store_schema(sqlite3* db, std::string& error) {
    // Columns that came after schema 1 was out, by addition: older readers
    // ignore them. A gap without a reason is an unclean stop; a seed without
    // a loginuid was stored before it was (readers then match uid alone).
    struct Added {
        const char* table;
        const char* column;
        const char* type;
    };
    for (const Added& add :
         {Added{"gaps", "reason", "TEXT"}, Added{"seeds", "loginuid", "INTEGER"}}) {
        if (store_has_column(db, add.table, add.column)) continue;
        const std::string sql =
            fmt::format("ALTER TABLE {} ADD COLUMN {} {}", add.table, add.column, add.type);
        char* message = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            error = fmt::format("hupwatch: adding {}.{} to the store failed: {}", add.table,
                                add.column, message ? message : "unknown error");
            sqlite3_free(message);
            return false;
        }
    }
    return true;
}

std::string store_error_line(sqlite3* db, int rc, const std::string& path) {
    switch (rc & 0xff) {
        case SQLITE_NOTADB:
            return fmt::format("hupwatch: {} is not a SQLite database", path);
        case SQLITE_CORRUPT:
            return fmt::format("hupwatch: {} is corrupt ({})", path, sqlite3_errmsg(db));
        case SQLITE_READONLY:
            return fmt::format("hupwatch: {} is not writable", path);
        case SQLITE_FULL:
            return fmt::format("hupwatch: {}: disk full", path);
        case SQLITE_CANTOPEN:
            return fmt::format("hupwatch: cannot open database {}", path);
        default:
            return fmt::format("hupwatch: {}: {}", path,
                               db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
}

SchemaState check_store_schema(sqlite3* db, const std::string& path, std::string& error) {
    sqlite3_stmt* stmt = nullptr;
    // The first read of the header: a text file fails here with SQLITE_NOTADB.
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        error = store_error_line(db, rc, path);
        sqlite3_finalize(stmt);
        return SchemaState::Invalid;
    }
    int version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (version > kStoreSchemaVersion) {
        error = fmt::format(
            "hupwatch: {} is not a hupwatch database (newer schema {}; this hupwatch reads up to "
            "{})",
            path, version, kStoreSchemaVersion);
        return SchemaState::Invalid;
    }
    // A corrupt page is only found by reading it: check the catalogue.
    sqlite3_stmt* count = nullptr;
    rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &count, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(count);
    if (rc != SQLITE_ROW) {
        error = store_error_line(db, rc, path);
        sqlite3_finalize(count);
        return SchemaState::Invalid;
    }
    int objects = sqlite3_column_int(count, 0);
    sqlite3_finalize(count);
    if (version == 0 && objects == 0) return SchemaState::Empty;
    if (version != kStoreSchemaVersion || !has_table(db, "runs") || !has_table(db, "events") ||
        !has_table(db, "findings") || !has_table(db, "seeds") || !has_table(db, "gaps")) {
        error = fmt::format("hupwatch: {} is not a hupwatch database (no hupwatch schema)", path);
        return SchemaState::Invalid;
    }
    return SchemaState::Current;
}

bool create_store_schema(sqlite3* db, std::string& error) {
    char* message = nullptr;
    // 16 KiB pages, set before the first table exists (later it only takes
    // effect through a VACUUM): a row of ~480 bytes and its three index
    // entries touch a quarter as many pages, WAL frames and page-cache
    // entries. store_bench, 10M events: 166k-174k events/s with 4 KiB pages,
    // 205k with 16 KiB; 32 KiB gained only 2% more.
    sqlite3_exec(db, "PRAGMA page_size=16384", nullptr, nullptr, nullptr);
    if (sqlite3_exec(db, kSchema, nullptr, nullptr, &message) != SQLITE_OK) {
        error = fmt::format("hupwatch: creating the store schema failed: {}",
                            message ? message : "unknown error");
        sqlite3_free(message);
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return false;
    }
    return true;
}

}  // namespace hupwatch
