// The store holds every user's argv: it is created private whatever the
// umask, and an older store left readable is tightened, but a file that is
// not a hupwatch store is never touched. A reader for one user (the query
// socket's) sees the rows of processes whose uid or loginuid is theirs.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "event_store_reader.h"
#include "sqlite_store.h"
#include "store_fixture.h"

namespace hupwatch::test {
namespace {

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 07777;
    return st.st_mode & 07777;
}

class ScopedUmask {
   public:
    explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old_); }

   private:
    mode_t old_;
};

StoreOptions options_for(const std::string& path) {
    StoreOptions o;
    o.path = path;
    o.version = "test";
    return o;
}

TEST(StorePrivacy, NewStoreIsPrivateEvenUnderUmaskZero) {
    ScopedUmask open_umask(0);
    const std::string dir = temp_db("private-dir");
    std::filesystem::remove_all(dir);
    const std::string path = dir + "/a/b/hupwatch.db";
    std::string error;
    auto store = SqliteStore::open(options_for(path), error);
    ASSERT_TRUE(store) << error;
    store->on_event(exec_of(proc(901, 110, 815, 815, "psql"), 110, {"psql"}));
    store->flush();
    EXPECT_EQ(mode_of(dir + "/a"), 0750u);
    EXPECT_EQ(mode_of(dir + "/a/b"), 0750u);
    EXPECT_EQ(mode_of(path), 0640u);
    EXPECT_EQ(mode_of(path + "-wal"), 0640u);
    EXPECT_EQ(mode_of(path + "-shm"), 0640u);
    store->close();
}

TEST(StorePrivacy, AnOlderWorldReadableStoreIsTightened) {
    const std::string path = temp_db("older.db");
    std::string error;
    {
        ScopedUmask open_umask(0);
        auto store = SqliteStore::open(options_for(path), error);
        ASSERT_TRUE(store) << error;
        store->close();
    }
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
    auto store = SqliteStore::open(options_for(path), error);
    ASSERT_TRUE(store) << error;
    EXPECT_EQ(mode_of(path), 0640u);
    store->close();
}

TEST(StorePrivacy, AFileThatIsNotAStoreKeepsItsMode) {
    const std::string path = temp_db("notes-mode.db");
    {
        std::ofstream out(path);
        out << "my notes\n";
    }
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    std::string error;
    EXPECT_FALSE(SqliteStore::open(options_for(path), error));
    EXPECT_EQ(mode_of(path), 0644u);
}

std::vector<std::uint32_t> seeded_pids(EventStoreReader& reader) {
    std::vector<std::uint32_t> pids;
    for (const auto& run : reader.runs())
        for (const auto& seed : reader.seeds_of_run(run.id)) pids.push_back(seed.pid);
    std::sort(pids.begin(), pids.end());
    return pids;
}

// alice (1000) logged in, ran `sudo job` (uid 0, loginuid 1000); bob (1001)
// is logged in too; cron (uid 0) belongs to no login.
std::string store_with_two_logins() {
    auto path = temp_db("visibility.db");
    std::string error;
    auto store = SqliteStore::open(options_for(path), error, BootClock(kOffset));
    EXPECT_TRUE(store) << error;
    std::vector<ProcSnapshot> seed(4);
    seed[0].info = proc(700, 1, 1, 700, "bash", 1000);
    seed[0].info.loginuid = 1000;
    seed[1].info = proc(701, 2, 700, 700, "job", 0);
    seed[1].info.loginuid = 1000;
    seed[2].info = proc(800, 3, 1, 800, "bash", 1001);
    seed[2].info.loginuid = 1001;
    seed[3].info = proc(900, 4, 1, 900, "cron", 0);
    store->record_seed(seed);
    auto root_job = proc(702, 5, 700, 700, "sleep", 0);
    root_job.loginuid = 1000;
    auto bobs = proc(802, 6, 800, 800, "sleep", 1001);
    bobs.loginuid = 1001;
    store->on_event(exec_of(root_job, 5, {"sleep", "1"}));
    store->on_event(exec_of(bobs, 6, {"sleep", "2"}));
    store->flush();
    return path;
}

TEST(StoreVisibility, AUserSeesTheirOwnProcessesAndWhatTheyRanAsRoot) {
    auto path = store_with_two_logins();
    EventStoreReader alice(path, StoreVisibility{1000});
    EXPECT_EQ(seeded_pids(alice), (std::vector<std::uint32_t>{700, 701}));
    auto events = alice.events(StoreFilter{});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].pid, 702u);
    EventStoreReader root(path, StoreVisibility{});
    EXPECT_EQ(seeded_pids(root), (std::vector<std::uint32_t>{700, 701, 800, 900}));
    EXPECT_EQ(root.seeds_of_pid(701).at(0).loginuid, 1000u);
    EXPECT_EQ(root.seeds_of_pid(900).at(0).loginuid, UINT32_MAX);
}

TEST(StoreVisibility, AStoreFromBeforeSeedsHadALoginuidIsReadByUidAlone) {
    auto path = store_with_two_logins();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE seeds DROP COLUMN loginuid", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    EventStoreReader alice(path, StoreVisibility{1000});
    EXPECT_EQ(seeded_pids(alice), (std::vector<std::uint32_t>{700}));
    // A daemon opening it again adds the column back, empty for old rows.
    std::string error;
    auto store = SqliteStore::open(options_for(path), error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    store.reset();
    EventStoreReader again(path, StoreVisibility{1000});
    EXPECT_EQ(seeded_pids(again), (std::vector<std::uint32_t>{700}));
}

}  // namespace
}  // namespace hupwatch::test
