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
#include "store_sql.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

// Wake the writer before the interval when this much is waiting, so a burst
// never fills the queue while the writer sleeps.
constexpr std::size_t kEarlyBatch = 8'192;
// The run's last-seen time is refreshed at least this often when idle, so a
// crash's gap starts close to the crash.
constexpr auto kHeartbeat = std::chrono::seconds(5);
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

// The gap's words: what replay prints after "no data between A and B".
std::string outage_reason(int code, const char* message) {
    switch (code & 0xff) {
        case SQLITE_FULL:
            return "store write errors: disk full";
        case SQLITE_IOERR:
            return "store write errors: I/O error";
        default:
            return fmt::format("store write errors: {}", message);
    }
}

}  // namespace

SqliteStore::SqliteStore(const StoreOptions& options, const BootClock& clock)
    : options_(options), clock_(clock), bursts_(options.burst_release) {}

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
    rows_.finalize();
    pruner_.reset();
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
        prune(batch.prune_fully);

        const bool burst_over =
            bursts_.on_batch(batch.items.size(), std::chrono::steady_clock::now()) &&
            !batch.stopping;
        batch.items.clear();
        batch.encoded.clear();
        if (burst_over) release_burst_memory();
        std::unique_lock lock(mutex_);
        if (burst_over) {
            // Sized for the burst: dropped, and the queue's vector too.
            spare_items_ = {};
            spare_encoded_ = {};
            if (queue_.capacity() > 2 * kEarlyBatch / 8) {
                std::vector<Item> fresh;
                fresh.reserve(queue_.size());
                std::move(queue_.begin(), queue_.end(), std::back_inserter(fresh));
                queue_.swap(fresh);
            }
        } else {
            if (batch.items.capacity() > spare_items_.capacity()) spare_items_.swap(batch.items);
            if (batch.encoded.capacity() > spare_encoded_.capacity())
                spare_encoded_.swap(batch.encoded);
        }
        flush_done_ = std::max(flush_done_, batch.generation);
        committed_.notify_all();
        if (batch.stopping) break;
    }
}

// What a burst grew (BurstRelease says when it is over). The next burst
// fills it again: a few page reads and allocations, once per burst.
void SqliteStore::release_burst_memory() {
    sqlite3_db_release_memory(db_);
    ++burst_releases_;
}

void SqliteStore::write_batch(const Batch& batch) {
    std::size_t rows = 0;
    for (const auto& item : batch.items) {
        // A /proc seed is one queued item but a row per process.
        const auto* seed = std::get_if<Seed>(&item);
        rows += seed ? seed->snapshots.size() : 1;
    }
    if (!exec("BEGIN")) return lose_batch("BEGIN", rows);
    for (std::size_t i = 0; i < batch.items.size(); ++i)
        if (!write_item(batch.items[i], batch.encoded[i])) return lose_batch("insert", rows);
    const std::int64_t now = wall_now_ns();
    // The hole the errors left, in the transaction that ends it.
    if (outage_ && !rows_.gap(run_id_, outage_->from_wall_ns, outage_->to_wall_ns, outage_->reason))
        return lose_batch("recording a gap", rows);
    if (!rows_.heartbeat(run_id_, now) || !exec("COMMIT")) return lose_batch("COMMIT", rows);
    rows_written_ += rows;
    last_commit_wall_ns_ = now;
    if (outage_) {
        ++write_error_gaps_;
        spdlog::warn(
            "hupwatch: event store {} writes again after {} s of {}; {} rows lost so far, "
            "recorded as a gap",
            options_.path, (now - outage_->from_wall_ns) / 1'000'000'000, outage_->reason,
            rows_lost_.load());
        outage_.reset();
    }
}

void SqliteStore::lose_batch(const char* what, std::size_t rows) {
    // Read before ROLLBACK replaces them.
    const int code = sqlite3_extended_errcode(db_);
    const std::string message = sqlite3_errmsg(db_);
    count_error(what);
    exec("ROLLBACK");
    // A failed heartbeat alone loses nothing: no hole to record.
    if (rows == 0) return;
    rows_lost_ += rows;
    const std::int64_t now = wall_now_ns();
    if (!outage_) outage_ = Outage{last_commit_wall_ns_, now, outage_reason(code, message.c_str())};
    outage_->to_wall_ns = now;
}

bool SqliteStore::write_item(const Item& item, const Encoded& encoded) {
    return std::visit(
        [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, Event>)
                return rows_.event(run_id_, value, clock_, encoded.json, encoded.tty);
            else if constexpr (std::is_same_v<T, Finding>)
                return rows_.finding(run_id_, value, clock_, encoded.json);
            else
                return rows_.seed(run_id_, value.wall_ns, value.snapshots);
        },
        item);
}

void SqliteStore::prune(bool fully) {
    const std::uint64_t errors_before = pruner_->errors();
    std::size_t deleted = 0;
    for (std::size_t n = pruner_->step(fully); n > 0; n = fully ? pruner_->step(true) : 0)
        deleted += n;
    rows_pruned_ += deleted;
    if (pruner_->errors() != errors_before) count_error("pruning");
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
