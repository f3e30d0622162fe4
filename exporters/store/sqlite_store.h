// The forensic event store: every event, finding and /proc seed of a run in
// SQLite (schema: docs/store.md). The sink only queues; an encoder thread
// turns each batch into JSON lines, and one writer thread owns the database,
// commits in batches at least every commit_interval (rows: StoreRowWriter)
// and prunes in small steps between batches (StorePruner), so the event
// thread never waits on the disk and the JSON work overlaps the SQLite work.
// Failures are counted and logged, never thrown. Rows a failed batch loses
// are counted, and once a batch commits again the hole is recorded as a gap
// with its reason ("store write errors: disk full").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "boot_clock.h"
#include "burst_release.h"
#include "event_sink.h"
#include "proc_text.h"
#include "store_pruner.h"
#include "store_row_writer.h"

struct sqlite3;

namespace hupwatch {

struct StoreOptions {
    std::string path;
    std::int64_t retention_ns = 30LL * 86400 * 1'000'000'000;  // 0: keep everything
    // Bytes of live pages in the main file; 0: unlimited. 1 GiB by default:
    // about 2.2M events (docs/store.md has the bytes per event and per day).
    std::uint64_t max_size = 1ULL << 30;
    std::size_t queue_capacity = 65'536;  // items waiting for the writer
    std::chrono::milliseconds commit_interval{250};
    std::size_t prune_batch = 5'000;      // rows per table per pruning step
    std::string version;                  // hupwatch's, recorded in runs
    BurstRelease::Options burst_release;  // when a burst's memory goes back
};

class SqliteStore : public EventSink {
   public:
    // Opens or creates the database, records this run (and the gap after an
    // unclean previous run), starts the writer. nullptr with a one-line error
    // for an unwritable path or a file that is not a hupwatch store.
    static std::unique_ptr<SqliteStore> open(const StoreOptions& options, std::string& error,
                                             const BootClock& clock = BootClock());
    // Without close(): writes what is queued but leaves the run unclean, as a
    // crash would (the next start records a gap).
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    void on_event(const Event& event) override;
    void on_finding(const Finding& finding) override;
    // The processes that were running when this run started (they have no
    // fork event), so history queries know them.
    void record_seed(std::vector<ProcSnapshot> snapshots);

    // Blocks until everything queued before the call is committed.
    void flush();
    // flush(), then prunes until retention and max_size hold (tests, bench).
    void flush_and_prune();
    // Clean stop: flush, record the stop time, close the database.
    void close();

    std::int64_t run_id() const { return run_id_; }
    std::uint64_t dropped() const { return dropped_.load(); }            // queue full
    std::uint64_t write_errors() const { return write_errors_.load(); }  // failed batches
    // Rows of the failed batches: lost, not retried.
    std::uint64_t rows_lost_to_write_errors() const { return rows_lost_.load(); }
    // Gaps recorded after write errors (not those of unclean stops).
    std::uint64_t write_error_gaps() const { return write_error_gaps_.load(); }
    std::uint64_t rows_written() const { return rows_written_.load(); }
    std::uint64_t rows_pruned() const { return rows_pruned_.load(); }
    // Bursts whose memory was handed back once they were over.
    std::uint64_t burst_releases() const { return burst_releases_.load(); }

   private:
    struct Seed {
        std::vector<ProcSnapshot> snapshots;
        std::int64_t wall_ns = 0;
    };
    using Item = std::variant<Event, Finding, Seed>;
    // What the writer needs beyond the item, computed on the encoder thread.
    struct Encoded {
        std::string json;                // events and findings
        std::optional<std::string> tty;  // events
    };
    // One batch handed from the encoder to the writer.
    struct Batch {
        std::vector<Item> items;
        std::vector<Encoded> encoded;  // parallel to items
        std::uint64_t generation = 0;  // flush_requested_ when it was taken
        bool prune_fully = false;
        bool stopping = false;
    };

    // Write errors since the last commit: the hole a gap will record.
    struct Outage {
        std::int64_t from_wall_ns = 0;  // the last commit before the errors
        std::int64_t to_wall_ns = 0;    // the last failed batch
        std::string reason;
    };

    SqliteStore(const StoreOptions& options, const BootClock& clock);
    bool open_database(std::string& error);
    bool begin_run(std::string& error);
    void enqueue(Item item);
    void encoder_loop();
    void encode(Batch& batch);
    void writer_loop();
    void write_batch(const Batch& batch);
    bool write_item(const Item& item, const Encoded& encoded);
    void lose_batch(const char* what, std::size_t rows);
    std::size_t prune(bool fully);  // rows deleted
    void release_burst_memory();
    bool exec(const char* sql);
    void count_error(const char* what);
    void stop_writer();
    void finalize();

    StoreOptions options_;
    BootClock clock_;
    sqlite3* db_ = nullptr;
    StoreRowWriter rows_;
    std::optional<StorePruner> pruner_;
    std::int64_t run_id_ = 0;
    // Writer thread only.
    std::int64_t last_commit_wall_ns_ = 0;
    BurstRelease bursts_;
    std::optional<Outage> outage_;

    std::mutex mutex_;
    std::condition_variable wake_;       // the writer: work, flush or stop
    std::condition_variable committed_;  // flush(): a generation is done
    std::vector<Item> queue_;
    // The written batch's emptied vectors, kept for the next batch: fresh
    // megabyte-sized vectors come from mmap, and faulting in and clearing
    // their pages cost a tenth of the ingest time.
    std::vector<Item> spare_items_;
    std::vector<Encoded> spare_encoded_;
    std::uint64_t flush_requested_ = 0;
    std::uint64_t flush_done_ = 0;
    bool prune_fully_ = false;
    bool stop_ = false;
    // The encoder -> writer hand-off: at most one encoded batch waits, so a
    // slow disk backs up into queue_ (bounded, counted drops), not memory.
    std::mutex handoff_mutex_;
    std::condition_variable handoff_cv_;
    std::optional<Batch> handoff_;
    std::thread encoder_;
    std::thread writer_;
    bool closed_ = false;

    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> write_errors_{0};
    std::atomic<std::uint64_t> rows_written_{0};
    std::atomic<std::uint64_t> rows_pruned_{0};
    std::atomic<std::uint64_t> burst_releases_{0};
    std::atomic<std::uint64_t> rows_lost_{0};
    std::atomic<std::uint64_t> write_error_gaps_{0};
    std::chrono::steady_clock::time_point last_drop_log_{};
    std::chrono::steady_clock::time_point last_error_log_{};
};

}  // namespace hupwatch
