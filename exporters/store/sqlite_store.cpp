#include "sqlite_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "event_json.h"
#include "finding_format.h"
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
        // Pruning fills the page cache as writing does: a store over its
        // size that prunes for a while after a storm is still in its burst,
        // and its cache goes back once the pruning is over too.
        const std::size_t pruned = prune(batch.prune_fully);

        const bool burst_over =
            bursts_.on_batch(batch.items.size() + pruned, now) && !batch.stopping;
        if (burst_over) release_burst_memory();
        batch.items.clear();
        batch.encoded.clear();
        std::unique_lock lock(mutex_);
        if (burst_over) {
            // Sized for the burst: the spares and the queue's vector go too
            // (the batch's own die with it).
            spare_items_ = {};
            spare_encoded_ = {};
            queue_.shrink_to_fit();
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

std::size_t SqliteStore::prune(bool fully) {
    const std::uint64_t errors_before = pruner_->errors();
    std::size_t deleted = 0;
    for (std::size_t n = pruner_->step(fully); n > 0; n = fully ? pruner_->step(true) : 0)
        deleted += n;
    rows_pruned_ += deleted;
    if (pruner_->errors() != errors_before) count_error("pruning");
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
