#include "sqlite_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "event_json.h"
#include "finding_format.h"
#include "private_files.h"
#include "store_schema.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

// Wake the writer before the interval when this much is waiting, so a burst
// never fills the queue while the writer sleeps.
constexpr std::size_t kEarlyBatch = 8'192;
// The run's last-seen time is refreshed at least this often when idle, so a
// crash's gap starts close to the crash.
constexpr auto kHeartbeat = std::chrono::seconds(5);
// Age pruning runs at most this often; size pruning after every commit.
constexpr auto kAgePruneInterval = std::chrono::seconds(1);
constexpr auto kLogEvery = std::chrono::seconds(10);

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

void bind_i64(sqlite3_stmt* stmt, int index, std::int64_t value) {
    sqlite3_bind_int64(stmt, index, value);
}
void bind_u64(sqlite3_stmt* stmt, int index, std::uint64_t value) {
    sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(value));
}
void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
    sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}
void bind_tty(sqlite3_stmt* stmt, int index, std::uint32_t dev) {
    if (auto name = tty_name(dev))
        bind_text(stmt, index, *name);
    else
        sqlite3_bind_null(stmt, index);
}

bool step_done(sqlite3_stmt* stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE;
}

std::int64_t query_int(sqlite3* db, const char* sql, std::int64_t fallback = 0) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = fallback;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
}

// The event's other process, for joins without parsing JSON: fork's parent,
// signal's sender, reparent's new parent.
std::optional<std::pair<std::uint32_t, std::uint64_t>> peer_of(const Event& event) {
    if (auto* f = std::get_if<ForkEvent>(&event.body)) return {{f->child.ppid, f->parent_start_ns}};
    if (auto* s = std::get_if<SignalEvent>(&event.body))
        return {{s->sender_pid, s->sender_start_ns}};
    if (auto* r = std::get_if<ReparentEvent>(&event.body))
        return {{r->new_ppid, r->new_parent_start_ns}};
    return std::nullopt;
}

}  // namespace

SqliteStore::SqliteStore(const StoreOptions& options, const BootClock& clock)
    : options_(options), clock_(clock) {}

std::unique_ptr<SqliteStore> SqliteStore::open(const StoreOptions& options, std::string& error,
                                               const BootClock& clock) {
    std::unique_ptr<SqliteStore> store(new SqliteStore(options, clock));
    if (!store->open_database(error) || !store->prepare_statements(error) ||
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
    return true;
}

bool SqliteStore::prepare_statements(std::string& error) {
    struct Statement {
        sqlite3_stmt** stmt;
        const char* sql;
    } statements[] = {
        {&insert_event_,
         "INSERT INTO events(run_id, ktime_ns, wall_ns, type, pid, start_ns, ppid, sid, uid, tty, "
         "comm, peer_pid, peer_start_ns, json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
        {&insert_finding_,
         "INSERT INTO findings(run_id, ktime_ns, wall_ns, kind, verdict, pid, start_ns, sid, uid, "
         "json) VALUES(?,?,?,?,?,?,?,?,?,?)"},
        {&insert_seed_,
         "INSERT INTO seeds(run_id, wall_ns, pid, start_ns, start_tick_ns, ppid, pgid, sid, uid, "
         "tty, comm, argv, exe) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"},
        {&heartbeat_, "UPDATE runs SET last_wall_ns = ? WHERE id = ?"},
    };
    for (auto& s : statements) {
        int rc = sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr);
        if (rc != SQLITE_OK) {
            error = store_error_line(db_, rc, options_.path);
            return false;
        }
    }
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
    if (gap_from) {
        // The previous run never recorded a clean stop: nothing is known
        // between its last commit and now.
        std::string sql =
            fmt::format("INSERT INTO gaps(run_id, from_wall_ns, to_wall_ns) VALUES({}, {}, {})",
                        run_id_, *gap_from, now);
        if (!exec(sql.c_str())) {
            error = store_error_line(db_, sqlite3_errcode(db_), options_.path);
            return false;
        }
    }
    return true;
}

SqliteStore::~SqliteStore() {
    if (closed_) return;
    stop_writer();
    finalize();
}

void SqliteStore::close() {
    if (closed_) return;
    stop_writer();
    std::string sql = fmt::format(
        "UPDATE runs SET stopped_wall_ns = {0}, last_wall_ns = {0}, clean = 1 WHERE id = {1}",
        wall_now_ns(), run_id_);
    if (!exec(sql.c_str())) count_error("recording the stop");
    finalize();
}

void SqliteStore::stop_writer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    // The encoder hands its last batch (stopping) to the writer, which ends
    // after writing it.
    if (encoder_.joinable()) encoder_.join();
    if (writer_.joinable()) writer_.join();
}

void SqliteStore::finalize() {
    for (auto* stmt : {insert_event_, insert_finding_, insert_seed_, heartbeat_})
        sqlite3_finalize(stmt);
    insert_event_ = insert_finding_ = insert_seed_ = heartbeat_ = nullptr;
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
    closed_ = true;
}

void SqliteStore::on_event(const Event& event) {
    enqueue(event);
}
void SqliteStore::on_finding(const Finding& finding) {
    enqueue(finding);
}
void SqliteStore::record_seed(std::vector<ProcSnapshot> snapshots) {
    enqueue(Seed{std::move(snapshots), wall_now_ns()});
}

void SqliteStore::enqueue(Item item) {
    std::unique_lock lock(mutex_);
    if (queue_.size() >= options_.queue_capacity) {
        // Never wait for the disk on the event thread: drop and count.
        ++dropped_;
        auto now = std::chrono::steady_clock::now();
        if (now - last_drop_log_ >= kLogEvery) {
            last_drop_log_ = now;
            lock.unlock();
            spdlog::warn("hupwatch: event store queue full; {} items dropped so far",
                         dropped_.load());
        }
        return;
    }
    queue_.push_back(std::move(item));
    bool wake = queue_.size() == kEarlyBatch;
    lock.unlock();
    if (wake) wake_.notify_one();
}

void SqliteStore::flush() {
    std::unique_lock lock(mutex_);
    if (!writer_.joinable()) return;
    std::uint64_t generation = ++flush_requested_;
    wake_.notify_one();
    committed_.wait(lock, [&] { return flush_done_ >= generation || stop_; });
}

void SqliteStore::flush_and_prune() {
    {
        std::lock_guard lock(mutex_);
        prune_fully_ = true;
    }
    flush();
}

void SqliteStore::encoder_loop() {
    for (;;) {
        Batch batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, options_.commit_interval, [&] {
                return stop_ || queue_.size() >= kEarlyBatch || flush_requested_ > flush_done_;
            });
            batch.items.swap(spare_items_);
            batch.items.swap(queue_);
            batch.encoded.swap(spare_encoded_);
            batch.generation = flush_requested_;
            batch.stopping = stop_;
            batch.prune_fully = prune_fully_;
            prune_fully_ = false;
        }
        encode(batch);
        const bool stopping = batch.stopping;
        {
            std::unique_lock lock(handoff_mutex_);
            handoff_cv_.wait(lock, [&] { return !handoff_.has_value(); });
            handoff_.emplace(std::move(batch));
        }
        handoff_cv_.notify_all();
        // The batch taken after stop_ holds everything queued before it.
        if (stopping) return;
    }
}

void SqliteStore::encode(Batch& batch) {
    batch.encoded.resize(batch.items.size());
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
        Encoded& out = batch.encoded[i];
        std::visit(
            [&](const auto& value) {
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, Event>) {
                    out.json = to_json_line(value, clock_);
                    out.tty = tty_name(value.subject().tty_dev);
                } else if constexpr (std::is_same_v<T, Finding>) {
                    out.json = to_json_line(value, clock_);
                }
            },
            batch.items[i]);
    }
}

void SqliteStore::writer_loop() {
    auto last_commit = std::chrono::steady_clock::now();
    for (;;) {
        Batch batch;
        {
            std::unique_lock lock(handoff_mutex_);
            handoff_cv_.wait(lock, [&] { return handoff_.has_value(); });
            batch = std::move(*handoff_);
            handoff_.reset();
        }
        handoff_cv_.notify_all();

        auto now = std::chrono::steady_clock::now();
        if (!batch.items.empty() || now - last_commit >= kHeartbeat) {
            write_batch(batch);
            last_commit = now;
        }
        if (batch.prune_fully) {
            while (prune_step(true) > 0) {
            }
        } else {
            prune_step(false);
        }

        batch.items.clear();
        batch.encoded.clear();
        std::unique_lock lock(mutex_);
        if (batch.items.capacity() > spare_items_.capacity()) spare_items_.swap(batch.items);
        if (batch.encoded.capacity() > spare_encoded_.capacity())
            spare_encoded_.swap(batch.encoded);
        flush_done_ = std::max(flush_done_, batch.generation);
        committed_.notify_all();
        if (batch.stopping) break;
    }
}

void SqliteStore::write_batch(const Batch& batch) {
    if (!exec("BEGIN")) {
        count_error("BEGIN");
        return;
    }
    std::size_t written = 0;
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
        if (!write_item(batch.items[i], batch.encoded[i])) {
            count_error("insert");
            exec("ROLLBACK");
            return;
        }
        // A /proc seed is one queued item but a row per process.
        const auto* seed = std::get_if<Seed>(&batch.items[i]);
        written += seed ? seed->snapshots.size() : 1;
    }
    bind_i64(heartbeat_, 1, wall_now_ns());
    bind_i64(heartbeat_, 2, run_id_);
    if (!step_done(heartbeat_) || !exec("COMMIT")) {
        count_error("COMMIT");
        exec("ROLLBACK");
        return;
    }
    rows_written_ += written;
}

bool SqliteStore::write_item(const Item& item, const Encoded& encoded) {
    return std::visit(
        [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, Event>)
                return write_event(value, encoded);
            else if constexpr (std::is_same_v<T, Finding>)
                return write_finding(value, encoded);
            else
                return write_seed(value);
        },
        item);
}

bool SqliteStore::write_event(const Event& event, const Encoded& encoded) {
    const ProcessInfo& p = event.subject();
    sqlite3_stmt* s = insert_event_;
    bind_i64(s, 1, run_id_);
    bind_u64(s, 2, event.ktime_ns);
    bind_i64(s, 3, clock_.wall_ns(event.ktime_ns));
    auto type = output_event_name(event);
    sqlite3_bind_text(s, 4, type.data(), static_cast<int>(type.size()), SQLITE_STATIC);
    bind_i64(s, 5, p.pid);
    bind_u64(s, 6, p.start_ns);
    bind_i64(s, 7, p.ppid);
    bind_i64(s, 8, p.sid);
    bind_i64(s, 9, p.uid);
    // The batch outlives the step: no copies.
    if (encoded.tty)
        sqlite3_bind_text(s, 10, encoded.tty->data(), static_cast<int>(encoded.tty->size()),
                          SQLITE_STATIC);
    sqlite3_bind_text(s, 11, p.comm.data(), static_cast<int>(p.comm.size()), SQLITE_STATIC);
    if (auto peer = peer_of(event)) {
        bind_i64(s, 12, peer->first);
        bind_u64(s, 13, peer->second);
    }
    sqlite3_bind_text(s, 14, encoded.json.data(), static_cast<int>(encoded.json.size()),
                      SQLITE_STATIC);
    return step_done(s);
}

bool SqliteStore::write_finding(const Finding& finding, const Encoded& encoded) {
    sqlite3_stmt* s = insert_finding_;
    struct Columns {
        std::uint64_t ktime_ns;
        const char* kind;
        std::optional<std::string_view> verdict;
        const ProcessRef* process;
        std::uint32_t sid, uid;
    };
    Columns c = std::visit(
        [](const auto& f) -> Columns {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, DisconnectFinding>)
                return {f.ktime_ns, "disconnect", std::nullopt, &f.leader, f.sid, f.uid};
            else if constexpr (std::is_same_v<T, SessionEndFinding>)
                return {f.ktime_ns, "session_end", std::nullopt, &f.leader, f.sid, f.uid};
            else
                return {f.ktime_ns, "verdict", verdict_kind_name(f.kind), &f.process, f.sid, f.uid};
        },
        finding);
    bind_i64(s, 1, run_id_);
    bind_u64(s, 2, c.ktime_ns);
    bind_i64(s, 3, clock_.wall_ns(c.ktime_ns));
    sqlite3_bind_text(s, 4, c.kind, -1, SQLITE_STATIC);
    if (c.verdict)
        sqlite3_bind_text(s, 5, c.verdict->data(), static_cast<int>(c.verdict->size()),
                          SQLITE_STATIC);
    bind_i64(s, 6, c.process->pid);
    bind_u64(s, 7, c.process->start_ns);
    bind_i64(s, 8, c.sid);
    bind_i64(s, 9, c.uid);
    sqlite3_bind_text(s, 10, encoded.json.data(), static_cast<int>(encoded.json.size()),
                      SQLITE_STATIC);
    return step_done(s);
}

bool SqliteStore::write_seed(const Seed& seed) {
    sqlite3_stmt* s = insert_seed_;
    for (const auto& snap : seed.snapshots) {
        const ProcessInfo& p = snap.info;
        bind_i64(s, 1, run_id_);
        bind_i64(s, 2, seed.wall_ns);
        bind_i64(s, 3, p.pid);
        bind_u64(s, 4, p.start_ns);
        bind_u64(s, 5, snap.start_tick_ns);
        bind_i64(s, 6, p.ppid);
        bind_i64(s, 7, p.pgid);
        bind_i64(s, 8, p.sid);
        bind_i64(s, 9, p.uid);
        bind_tty(s, 10, p.tty_dev);
        bind_text(s, 11, p.comm);
        bind_text(s, 12,
                  nlohmann::json(snap.argv).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace));
        bind_text(s, 13, snap.exe);
        if (!step_done(s)) return false;
    }
    return true;
}

std::uint64_t SqliteStore::used_bytes() {
    std::int64_t pages = query_int(db_, "PRAGMA page_count");
    std::int64_t free_pages = query_int(db_, "PRAGMA freelist_count");
    std::int64_t page_size = query_int(db_, "PRAGMA page_size");
    return static_cast<std::uint64_t>((pages - free_pages) * page_size);
}

std::size_t SqliteStore::prune_table(const char* table, std::int64_t cutoff_wall_ns,
                                     bool oldest_batch) {
    // By id range, not by a scan of wall_ns: ids follow time, and a bounded
    // range keeps each step short whatever the table's size.
    std::string lowest = fmt::format("SELECT min(id) FROM {}", table);
    std::int64_t lo = query_int(db_, lowest.c_str(), -1);
    if (lo < 0) return 0;
    std::string sql =
        oldest_batch
            ? fmt::format("DELETE FROM {} WHERE id < {}", table,
                          lo + static_cast<std::int64_t>(options_.prune_batch))
            : fmt::format("DELETE FROM {} WHERE id < {} AND wall_ns < {}", table,
                          lo + static_cast<std::int64_t>(options_.prune_batch), cutoff_wall_ns);
    if (!exec(sql.c_str())) {
        count_error("pruning");
        return 0;
    }
    return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t SqliteStore::prune_step(bool force) {
    std::size_t deleted = 0;
    auto now = std::chrono::steady_clock::now();
    if (options_.retention_ns > 0 && (force || now - last_prune_ >= kAgePruneInterval)) {
        last_prune_ = now;
        const std::int64_t cutoff = wall_now_ns() - options_.retention_ns;
        for (const char* table : {"events", "findings", "seeds"})
            deleted += prune_table(table, cutoff, false);
        std::string gaps = fmt::format("DELETE FROM gaps WHERE to_wall_ns < {}", cutoff);
        exec(gaps.c_str());
    }
    if (options_.max_size > 0 && used_bytes() > options_.max_size) {
        // Oldest events first; findings and seeds go once no event as old
        // remains, and only when there are no events left do they go alone.
        std::size_t events = prune_table("events", 0, true);
        deleted += events;
        std::int64_t oldest = query_int(
            db_, "SELECT wall_ns FROM events WHERE id = (SELECT min(id) FROM events)", INT64_MAX);
        for (const char* table : {"findings", "seeds"}) {
            std::size_t n =
                events > 0 ? prune_table(table, oldest, false) : prune_table(table, 0, true);
            deleted += n;
        }
    }
    if (deleted > 0) {
        rows_pruned_ += deleted;
        // Hand the freed pages back a little at a time.
        exec("PRAGMA incremental_vacuum(4096)");
    }
    return deleted;
}

bool SqliteStore::exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

void SqliteStore::count_error(const char* what) {
    ++write_errors_;
    auto now = std::chrono::steady_clock::now();
    if (now - last_error_log_ >= kLogEvery || write_errors_ == 1) {
        last_error_log_ = now;
        spdlog::error("hupwatch: event store {} failed on {}: {} ({} failures so far)",
                      options_.path, what, sqlite3_errmsg(db_), write_errors_.load());
    }
}

}  // namespace hupwatch
