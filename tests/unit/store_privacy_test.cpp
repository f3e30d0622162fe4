// The store holds every user's argv: it is created private whatever the
// umask, and an older store left readable is tightened, but a file that is
// not a hupwatch store is never touched.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

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

}  // namespace
}  // namespace hupwatch::test
