// The store's writer: what it writes, that it commits without being asked,
// records gaps after an unclean stop, and prunes by age and by size.
#include "sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cli_commands.h"
#include "event_json.h"
#include "store_fixture.h"
#include "time_arg.h"

namespace hupwatch::test {
namespace {

std::int64_t scalar(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

std::string text_of(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

StoreOptions options_for(const std::string& path) {
    StoreOptions o;
    o.path = path;
    o.version = "test";
    o.retention_ns = 0;
    return o;
}

TEST(SqliteStoreTest, WritesEventsFindingsAndSeedsWithSchemaVersionAndWal) {
    auto path = temp_db("write.db");
    std::string error;
    BootClock clock(kOffset);
    auto store = SqliteStore::open(options_for(path), error, clock);
    ASSERT_TRUE(store) << error;
    auto bash = proc(815, 100, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "migrate.sh");
    Event fork = fork_of(job, 100);
    store->on_event(fork);
    store->on_event(exec_of(job, 110, {"/bin/bash", "./migrate.sh"}));
    Verdict v;
    v.kind = VerdictKind::KilledByDisconnect;
    v.ktime_ns = 900 * kSec;
    v.process = {901, 110 * kSec, "migrate.sh"};
    v.sid = 815;
    store->on_finding(v);
    ProcSnapshot seed;
    seed.info = proc(812, 50, 1, 812, "sshd", 0);
    seed.argv = {"sshd: alice [priv]"};
    seed.start_tick_ns = 10'000'000;
    ProcSnapshot seed_child = seed;
    seed_child.info = proc(813, 51, 812, 812, "sshd", 0);
    store->record_seed({seed, seed_child});
    store->flush();

    EXPECT_EQ(scalar(path, "PRAGMA user_version"), 1);
    EXPECT_EQ(text_of(path, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(scalar(path, "PRAGMA page_size"), 16384);  // docs/store.md: why
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM events"), 2);
    EXPECT_EQ(text_of(path, "SELECT json FROM events WHERE type='fork'"),
              to_json_line(fork, clock));
    EXPECT_EQ(scalar(path, "SELECT wall_ns FROM events WHERE type='fork'"), kOffset + 110 * kSec);
    EXPECT_EQ(scalar(path, "SELECT peer_start_ns FROM events WHERE type='fork'"), 100 * kSec);
    EXPECT_EQ(text_of(path, "SELECT verdict FROM findings"), "killed_by_disconnect");
    EXPECT_EQ(text_of(path, "SELECT argv FROM seeds WHERE pid=812"), "[\"sshd: alice [priv]\"]");
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM seeds"), 2);
    EXPECT_EQ(store->rows_written(), 5u);  // a row per seeded process
    store->close();
    EXPECT_EQ(scalar(path, "SELECT clean FROM runs"), 1);
    EXPECT_GT(scalar(path, "SELECT stopped_wall_ns FROM runs"), 0);
    (void)bash;
}

TEST(SqliteStoreTest, CommitsWithinTheIntervalWithoutAFlush) {
    auto path = temp_db("interval.db");
    std::string error;
    auto options = options_for(path);
    options.commit_interval = std::chrono::milliseconds(100);
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    for (int i = 0; i < 1000; ++i)
        store->on_event(fork_of(proc(static_cast<std::uint32_t>(2000 + i), 200, 1, 1, "w"), 1));
    std::int64_t seen = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (seen < 1000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        seen = scalar(path, "SELECT count(*) FROM events");
    }
    EXPECT_EQ(seen, 1000);
    store->close();
}

TEST(SqliteStoreTest, HandsBackABurstsMemoryOnceTheBurstIsOver) {
    auto path = temp_db("burst.db");
    std::string error;
    auto options = options_for(path);
    options.commit_interval = std::chrono::milliseconds(20);  // idle ticks, as live
    options.burst_release.period = std::chrono::milliseconds(100);
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    std::uint32_t pid = 10'000;
    auto feed = [&](int n) {
        for (int i = 0; i < n; ++i) store->on_event(fork_of(proc(pid++, 400, 1, 1, "w"), 1));
        store->flush();
    };
    auto released = [&](std::uint64_t n) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (store->burst_releases() < n && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return store->burst_releases();
    };
    feed(8'192);  // a storm's batch, then quiet
    EXPECT_EQ(released(1), 1u);
    feed(10);
    EXPECT_EQ(store->rows_written(), 8'192u + 10);
    store->close();
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM events"), 8'192 + 10);
}

// A storm that takes the store over its size leaves it pruning for a while
// after the last write; the page cache that pruning fills goes back once the
// pruning is over, not at the last write (the soak held 83 MB then).
TEST(SqliteStoreTest, HandsBackThePruningsMemoryOnceThePruningIsOver) {
    auto path = temp_db("burst-prune.db");
    std::string error;
    auto options = options_for(path);
    options.commit_interval = std::chrono::milliseconds(20);
    options.burst_release = {.burst_rows = 8'192,
                             .quiet_rows = 20,  // one tick prunes 50
                             .period = std::chrono::milliseconds(100)};
    options.max_size = 1 << 20;
    options.prune_batch = 50;  // pruning goes on for a second or two
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    ExecEvent exec;
    exec.argv = {std::string(200, 'x')};
    for (std::uint32_t i = 0; i < 8'192; ++i) {
        exec.proc = proc(10000 + i, 1000 + i, 1, 1, "big");
        store->on_event(Event{(1000 + i) * static_cast<std::uint64_t>(kSec), exec});
    }
    store->flush();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (store->burst_releases() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(store->burst_releases(), 1u);
    const std::uint64_t pruned_at_release = store->rows_pruned();
    store->flush_and_prune();  // whatever pruning is left
    EXPECT_GT(pruned_at_release, 0u);
    EXPECT_EQ(store->rows_pruned(), pruned_at_release) << "released while still pruning";
    store->close();
}

TEST(SqliteStoreTest, DropsAndCountsWhenTheQueueIsFull) {
    auto path = temp_db("full.db");
    std::string error;
    auto options = options_for(path);
    options.queue_capacity = 10;
    options.commit_interval = std::chrono::seconds(30);
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    for (int i = 0; i < 100; ++i)
        store->on_event(fork_of(proc(static_cast<std::uint32_t>(3000 + i), 300, 1, 1, "w"), 1));
    store->flush();
    EXPECT_EQ(store->dropped(), 90u);
    EXPECT_EQ(store->rows_written(), 10u);
    store->close();
}

TEST(SqliteStoreTest, UncleanStopRecordsAGapAtTheNextStart) {
    auto path = temp_db("gap.db");
    std::string error;
    {
        auto first = SqliteStore::open(options_for(path), error, BootClock(kOffset));
        ASSERT_TRUE(first) << error;
        first->on_event(fork_of(proc(4000, 400, 1, 1, "w"), 1));
        first->flush();
        // Destroyed without close(): as after kill -9.
    }
    std::int64_t last_seen = scalar(path, "SELECT last_wall_ns FROM runs WHERE id=1");
    std::int64_t before = wall_now_ns();
    auto second = SqliteStore::open(options_for(path), error, BootClock(kOffset));
    ASSERT_TRUE(second) << error;
    EXPECT_EQ(scalar(path, "SELECT clean FROM runs WHERE id=1"), 0);
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM gaps"), 1);
    EXPECT_EQ(scalar(path, "SELECT from_wall_ns FROM gaps"), last_seen);
    EXPECT_GE(scalar(path, "SELECT to_wall_ns FROM gaps"), before);
    EXPECT_EQ(scalar(path, "SELECT run_id FROM gaps"), 2);
    second->close();
    auto third = SqliteStore::open(options_for(path), error, BootClock(kOffset));
    ASSERT_TRUE(third) << error;
    third->close();
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM gaps"), 1);  // the clean stop left none
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM events"), 1);
}

TEST(SqliteStoreTest, RetentionPrunesExactlyTheOldRows) {
    auto path = temp_db("age.db");
    std::string error;
    auto options = options_for(path);
    options.retention_ns = 30LL * 86400 * kSec;
    options.prune_batch = 7;  // several small steps
    // Boot 0 is 40 days ago: events at boot 1..100 s are past retention,
    // those 40 days later are fresh.
    const std::int64_t forty_days = 40LL * 86400 * kSec;
    auto store = SqliteStore::open(options, error, BootClock(wall_now_ns() - forty_days));
    ASSERT_TRUE(store) << error;
    for (std::uint32_t i = 0; i < 100; ++i)
        store->on_event(fork_of(proc(5000 + i, 1 + i, 1, 1, "old"), 1));
    for (std::uint32_t i = 0; i < 50; ++i)
        store->on_event(fork_of(proc(6000 + i, 40 * 86400 - 100 + i, 1, 1, "new"), 1));
    store->flush_and_prune();
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM events"), 50);
    EXPECT_EQ(scalar(path, "SELECT count(*) FROM events WHERE comm='old'"), 0);
    EXPECT_EQ(store->rows_pruned(), 100u);
    store->close();
}

TEST(SqliteStoreTest, SizeLimitPrunesTheOldestRowsFirst) {
    auto path = temp_db("size.db");
    std::string error;
    auto options = options_for(path);
    options.max_size = 1 << 20;
    options.prune_batch = 500;
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    ExecEvent exec;
    exec.argv = {std::string(200, 'x')};
    for (std::uint32_t i = 0; i < 20000; ++i) {
        exec.proc = proc(10000 + i, 1000 + i, 1, 1, "big");
        store->on_event(Event{(1000 + i) * static_cast<std::uint64_t>(kSec), exec});
    }
    store->flush_and_prune();
    std::int64_t used = scalar(path,
                               "SELECT (SELECT page_count FROM pragma_page_count) - "
                               "(SELECT freelist_count FROM pragma_freelist_count)") *
                        scalar(path, "PRAGMA page_size");
    EXPECT_LE(used, 1 << 20);
    std::int64_t left = scalar(path, "SELECT count(*) FROM events");
    EXPECT_GT(left, 0);
    EXPECT_LT(left, 20000);
    // The newest survive, as one contiguous block; whole steps were removed.
    EXPECT_EQ(scalar(path, "SELECT max(id) FROM events"), 20000);
    EXPECT_EQ(scalar(path, "SELECT max(id) - min(id) + 1 FROM events"), left);
    EXPECT_EQ((20000 - left) % 500, 0);
    EXPECT_EQ(store->rows_pruned(), static_cast<std::uint64_t>(20000 - left));
    store->close();
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotAHupwatchStoreAndLeavesItAlone) {
    auto path = temp_db("notes.db");
    {
        std::ofstream out(path);
        out << "my notes, not a database\n";
    }
    std::string error;
    EXPECT_FALSE(SqliteStore::open(options_for(path), error));
    EXPECT_EQ(error, "hupwatch: " + path + " is not a SQLite database");
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "my notes, not a database");
}

TEST(SqliteStoreTest, UnwritableDirectoryIsOneLine) {
    std::string error;
    auto options = options_for("/proc/hupwatch-no/x.db");
    EXPECT_FALSE(SqliteStore::open(options, error));
    EXPECT_EQ(error.rfind("hupwatch: cannot create /proc/hupwatch-no", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(SqliteStoreTest, CliOptions) {
    StoreOptions o;
    std::string error;
    ASSERT_TRUE(store_options_from_cli("/x.db", "12h", "1G", o, error)) << error;
    EXPECT_EQ(o.retention_ns, 12LL * 3600 * kSec);
    EXPECT_EQ(o.max_size, 1ULL << 30);
    EXPECT_FALSE(store_options_from_cli("/x.db", "12", "0", o, error));
    EXPECT_EQ(error, "hupwatch: bad --retention '12' (use e.g. 30d, 12h, 90m; 0: forever)");
    EXPECT_FALSE(store_options_from_cli("/x.db", "30d", "lots", o, error));
}

}  // namespace
}  // namespace hupwatch::test
