// Opening the store: the file (private, its schema checked, created or
// upgraded, tuned) and this run's row, with the gap an unclean previous run
// left. The queue, encoder and writer are in sqlite_store.cpp.
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "private_files.h"
#include "sqlite_store.h"
#include "store_schema.h"
#include "store_sql.h"

namespace hupwatch {
namespace {

std::string read_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return "";
    return name;
}

}  // namespace

std::unique_ptr<SqliteStore> SqliteStore::open(const StoreOptions& options, std::string& error,
                                               const BootClock& clock) {
    std::unique_ptr<SqliteStore> store(new SqliteStore(options, clock));
    if (!store->open_database(error) || !store->rows_.prepare(store->db_, options.path, error) ||
        !store->begin_run(error)) {
        store->finalize();
        return nullptr;
    }
    store->closed_ = false;
    store->writer_ = std::thread([s = store.get()] { s->writer_loop(); });
    store->encoder_ = std::thread([s = store.get()] { s->encoder_loop(); });
    return store;
}

bool SqliteStore::open_database(std::string& error) {
    if (!create_private_store_path(options_.path, error)) return false;
    int rc =
        sqlite3_open_v2(options_.path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        error = fmt::format("hupwatch: cannot open database {}: {}", options_.path,
                            db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        return false;
    }
    sqlite3_busy_timeout(db_, 5000);
    SchemaState state = check_store_schema(db_, options_.path, error);
    if (state == SchemaState::Invalid) return false;
    if (sqlite3_db_readonly(db_, "main") == 1) {
        error = fmt::format("hupwatch: database {} is not writable", options_.path);
        return false;
    }
    if (!tighten_store_files(options_.path, error)) return false;
    if (state == SchemaState::Empty && !create_store_schema(db_, error)) return false;
    if (state == SchemaState::Current && !upgrade_store_schema(db_, error)) return false;
    // WAL: readers (replay, why, tree) never block the writer nor it them.
    // synchronous=NORMAL: a kill -9 loses nothing committed; a power cut at
    // most the last transactions, never the file's integrity. The WAL is
    // checkpointed every 2048 pages (32 MiB at 16 KiB pages) and truncated
    // back to 64 MiB after a checkpoint that a long read made it outgrow.
    if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=NORMAL") ||
        !exec("PRAGMA temp_store=MEMORY") || !exec("PRAGMA cache_size=-65536") ||
        !exec("PRAGMA wal_autocheckpoint=2048") || !exec("PRAGMA journal_size_limit=67108864")) {
        error = store_error_line(db_, sqlite3_errcode(db_), options_.path);
        return false;
    }
    pruner_.emplace(
        db_, StorePrunerOptions{options_.retention_ns, options_.max_size, options_.prune_batch});
    return true;
}

bool SqliteStore::begin_run(std::string& error) {
    const std::int64_t now = wall_now_ns();
    sqlite3_stmt* last = nullptr;
    std::optional<std::int64_t> gap_from;
    if (sqlite3_prepare_v2(db_, "SELECT last_wall_ns, clean FROM runs ORDER BY id DESC LIMIT 1", -1,
                           &last, nullptr) == SQLITE_OK &&
        sqlite3_step(last) == SQLITE_ROW && sqlite3_column_int(last, 1) == 0)
        gap_from = sqlite3_column_int64(last, 0);
    sqlite3_finalize(last);

    sqlite3_stmt* insert = nullptr;
    int rc = sqlite3_prepare_v2(
        db_,
        "INSERT INTO runs(started_wall_ns, started_boot_ns, last_wall_ns, boot_id, hostname, "
        "version, clock_offset_ns) VALUES(?,?,?,?,?,?,?)",
        -1, &insert, nullptr);
    if (rc == SQLITE_OK) {
        bind_i64(insert, 1, now);
        bind_u64(insert, 2, boot_now_ns());
        bind_i64(insert, 3, now);
        bind_text(insert, 4, read_boot_id());
        bind_text(insert, 5, host_name());
        bind_text(insert, 6, options_.version);
        bind_i64(insert, 7, clock_.offset_ns());
        rc = sqlite3_step(insert);
    }
    sqlite3_finalize(insert);
    if (rc != SQLITE_DONE) {
        error = store_error_line(db_, rc, options_.path);
        return false;
    }
    run_id_ = sqlite3_last_insert_rowid(db_);
    last_commit_wall_ns_ = now;
    // The previous run never recorded a clean stop: nothing is known between
    // its last commit and now.
    if (gap_from && !rows_.gap(run_id_, *gap_from, now, "")) {
        error = store_error_line(db_, sqlite3_errcode(db_), options_.path);
        return false;
    }
    return true;
}

}  // namespace hupwatch
