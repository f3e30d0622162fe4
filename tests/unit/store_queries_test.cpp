// The readers on a synthetic store: replay's order and filters, tree --at on
// both sides of a reparent, why with a reused pid, and bad databases.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "fleet_fields.h"
#include "sqlite_store.h"
#include "store_fixture.h"
#include "store_schema.h"
#include "time_arg.h"
#include "wall_stamp.h"

namespace hupwatch::test {
namespace {

class StoreQueriesTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        path_ = temp_db("story.db");
        offset_ = wall_now_ns();  // boot 0 is now, so every event follows the run's start
        const StoreOptions options = test_store_options(path_);
        std::string error;
        auto store = SqliteStore::open(options, error, BootClock(offset_));
        ASSERT_TRUE(store) << error;
        auto init = proc(1, 0, 0, 1, "systemd", 0);
        auto sshd = proc(812, 1, 1, 812, "sshd", 0);
        auto bash = proc(815, 2, 812, 815, "bash");
        std::vector<ProcSnapshot> seed(3);
        seed[0].info = init;
        seed[1].info = sshd;
        seed[2].info = bash;
        seed[2].argv = {"-bash"};
        for (auto& s : seed) s.start_tick_ns = 10'000'000;
        store->record_seed(seed);

        auto job = proc(901, 110, 815, 815, "migrate.sh");
        auto nohup = proc(902, 120, 815, 815, "sleep");
        store->on_event(fork_of(job, 2));
        store->on_event(exec_of(job, 110, {"/bin/bash", "./migrate.sh"}));
        store->on_event(fork_of(nohup, 2));
        store->on_event(exec_of(nohup, 120, {"sleep", "3600"}));
        auto d = alices_disconnect();
        store->on_event(signal_of(bash, 899, sshd, SignalOrigin::Kernel));
        store->on_finding(d);
        store->on_event(signal_of(job, 900, bash, SignalOrigin::User));
        auto job_at_exit = job;
        job_at_exit.tty_dev = 0;  // the hangup took its terminal away
        store->on_event(exit_of(job_at_exit, 900, 1));
        Verdict killed;
        killed.kind = VerdictKind::KilledByDisconnect;
        killed.ktime_ns = 900 * kSec;
        killed.process = {901, 110 * kSec, "migrate.sh"};
        killed.ppid = 815;
        killed.uid = 1000;
        killed.user = "alice";
        killed.sid = 815;
        killed.tty_dev = kPts3;
        killed.run_time_ns = 790 * kSec;
        killed.lineage = {{815, 2 * kSec, "bash"}};
        killed.signal = 1;
        killed.via = ProcessRef{815, 2 * kSec, "bash"};
        killed.disconnect_ktime_ns = 899 * kSec;
        killed.disconnect_sid = 815;
        store->on_finding(killed);
        store->on_event(reparent_of(nohup, 901, init));
        Verdict orphan;
        orphan.kind = VerdictKind::Orphaned;
        orphan.ktime_ns = 901 * kSec;
        orphan.process = {902, 120 * kSec, "sleep"};
        orphan.ppid = 1;
        orphan.uid = 1000;
        orphan.user = "alice";
        orphan.sid = 815;
        orphan.tty_dev = kPts3;
        orphan.cause = OrphanCause::Disconnect;
        orphan.survived_because = SurvivalReason::SighupIgnored;
        orphan.new_parent = ProcessRef{1, 0, "systemd"};
        orphan.reaper = ReaperKind::Init;
        orphan.output_lost = true;  // its stdout is the dead terminal, not yet written
        orphan.dead_fds = {1, 2};
        store->on_finding(orphan);
        // A subshell of bash (a fork that never exec'd), and one that lost
        // its parent as bash and exec'd afterwards.
        auto subshell = proc(903, 130, 815, 815, "bash");
        store->on_event(fork_of(subshell, 2));
        auto renamed = proc(904, 140, 815, 815, "bash");
        store->on_event(fork_of(renamed, 2));
        store->on_event(reparent_of(renamed, 901, init));
        Verdict renamed_orphan = orphan;
        renamed_orphan.process = {904, 140 * kSec, "hupwatch"};  // its comm when judged
        renamed_orphan.output_lost = false;
        renamed_orphan.dead_fds.clear();
        store->on_finding(renamed_orphan);
        renamed.comm = "hupwatch";
        renamed.ppid = 1;
        store->on_event(exec_of(renamed, 902, {"hupwatch", "watch"}));
        store->on_event(exit_of(bash, 901, 1));
        // pid 901 again, later: cron's.
        auto cron = proc(901, 1000, 1, 1, "cron", 0);
        cron.tty_dev = 0;
        store->on_event(fork_of(cron, 0));
        store->on_event(exit_of(cron, 1010, 0));
        store->close();
    }

    static std::string at(std::int64_t boot_s) { return rfc3339_wall(offset_ + boot_s * kSec); }

    static int capture(const std::function<int()>& command, std::string& out, std::string& err) {
        testing::internal::CaptureStdout();
        testing::internal::CaptureStderr();
        int rc = command();
        out = testing::internal::GetCapturedStdout();
        err = testing::internal::GetCapturedStderr();
        return rc;
    }

    static inline std::string path_;
    static inline std::int64_t offset_ = 0;
};

TEST_F(StoreQueriesTest, ReplayTellsTheStoryInOrderWithoutForks) {
    ReplayOptions o;
    o.db_path = path_;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    std::vector<std::string> expected = {
        "hupwatch test started recording",
        "the kernel sent SIGHUP to bash 815 on behalf of sshd 812",
        "ssh session 815 of alice on pts/3 hung up (sshd 812); leader bash 815",
        "bash 815 forwarded SIGHUP to migrate.sh 901",
        "migrate.sh 901 killed by SIGHUP after 13m10s (disconnect of session 815, forwarded by "
        "bash 815)",
        "sleep 902 lost its parent 815; now a child of 1 (init)",
    };
    // The fixture's run stopped before its synthetic events.
    EXPECT_NE(out.find("hupwatch stopped (run 1)"), std::string::npos);
    std::size_t pos = 0;
    for (const auto& line : expected) {
        auto found = out.find(line, pos);
        ASSERT_NE(found, std::string::npos) << "missing in order: " << line << "\n" << out;
        pos = found + line.size();
    }
    // One sentence per fact: the verdict tells the death, the exit is not told again.
    const std::string death = "migrate.sh 901 killed by SIGHUP after 13m10s";
    EXPECT_EQ(out.find(death, out.find(death) + 1), std::string::npos) << out;
    EXPECT_EQ(out.find("ran sleep"), std::string::npos) << out;  // no exec by default
    EXPECT_EQ(out.find("cron"), std::string::npos) << out;       // no verdict: no exit line
}

TEST_F(StoreQueriesTest, ReplayFiltersByPidSessionAndTime) {
    ReplayOptions o;
    o.db_path = path_;
    o.pid = 902;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    EXPECT_NE(out.find("started sleep 902"), std::string::npos) << out;
    EXPECT_NE(out.find("sleep 902 ran sleep 3600"), std::string::npos) << out;
    EXPECT_EQ(out.find("migrate.sh"), std::string::npos) << out;

    ReplayOptions s;
    s.db_path = path_;
    s.session = 815;
    s.json = true;
    s.since = at(890);
    s.until = at(950);
    ASSERT_EQ(capture([&] { return run_replay(s); }, out, err), 0) << err;
    std::vector<std::string> kinds;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        auto j = nlohmann::json::parse(line);
        EXPECT_EQ(j["sid"], 815);
        kinds.push_back(j["event"]);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"signal", "disconnect", "signal", "exit", "verdict",
                                               "reparent", "reparent", "exit", "verdict", "verdict",
                                               "exec"}));
}

TEST_F(StoreQueriesTest, ReplayJsonLinesEndWithTheRunsHostAndBootIdWithoutSeq) {
    ReplayOptions o;
    o.db_path = path_;
    o.pid = 901;
    o.json = true;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    // The run recorded on this host: the same values as the live outputs' fleet fields.
    const auto here = HostIdentity::of_this_host();
    const std::string origin =
        R"(,"host":)" + nlohmann::json(here.host).dump() + R"(,"boot_id":")" + here.boot_id + "\"}";
    std::istringstream lines(out);
    std::size_t stored = 0;
    for (std::string line; std::getline(lines, line);) {
        auto j = nlohmann::json::parse(line);
        if (j["event"] == "hupwatch_start") {
            EXPECT_EQ(j["boot_id"], here.boot_id) << "32 hex digits, as every line carries it";
            continue;
        }
        if (j["event"] == "hupwatch_stop" || j["event"] == "gap") continue;
        ++stored;
        ASSERT_GE(line.size(), origin.size());
        EXPECT_EQ(line.substr(line.size() - origin.size()), origin) << line;
        EXPECT_FALSE(j.contains("seq")) << "seq numbers a live output: " << line;
    }
    EXPECT_EQ(stored, 7u) << out;  // 901's fork, exec, signal, exit, verdict; cron's fork, exit
}

TEST_F(StoreQueriesTest, TreeAtAppliesReparentsBeforeT) {
    auto tree_at = [&](std::int64_t s) {
        TreeOptions o;
        o.db_path = path_;
        o.at = at(s);
        o.json = true;
        std::string out, err;
        EXPECT_EQ(capture([&] { return run_tree(o); }, out, err), 0) << err;
        std::map<std::uint32_t, nlohmann::json> by_pid;
        auto doc = nlohmann::json::parse(out);
        for (auto& p : doc["processes"]) by_pid[p["pid"].get<std::uint32_t>()] = p;
        if (by_pid.size() < 3) ADD_FAILURE() << out << err;
        return by_pid;
    };
    auto before = tree_at(600);
    ASSERT_TRUE(before.count(815) && before.count(901) && before.count(902));
    EXPECT_EQ(before[902]["ppid"], 815);
    EXPECT_EQ(before[901]["argv"], nlohmann::json({"/bin/bash", "./migrate.sh"}));
    EXPECT_EQ(before[815]["tty"], "pts/3");
    EXPECT_EQ(before[815]["seeded"], true);
    auto after = tree_at(950);
    EXPECT_FALSE(after.count(815));
    EXPECT_FALSE(after.count(901));
    ASSERT_TRUE(after.count(902));
    EXPECT_EQ(after[902]["ppid"], 1);
    EXPECT_EQ(before[903]["argv"], nlohmann::json({"-bash"})) << "a subshell runs its parent's "
                                                                 "command line, as ps shows";
    auto reused = tree_at(1005);
    ASSERT_TRUE(reused.count(901));
    EXPECT_EQ(reused[901]["comm"], "cron");
}

TEST_F(StoreQueriesTest, WhyPicksTheHolderOfAReusedPid) {
    WhyOptions o;
    o.db_path = path_;
    o.pid = 901;
    o.json = true;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_why(o); }, out, err), 0) << err;
    auto latest = nlohmann::json::parse(out);
    EXPECT_EQ(latest["comm"], "cron");
    EXPECT_EQ(latest["exit_code"], 0);
    ASSERT_EQ(latest["other_processes"].size(), 1u);
    EXPECT_EQ(latest["other_processes"][0]["comm"], "migrate.sh");

    o.at = at(500);
    ASSERT_EQ(capture([&] { return run_why(o); }, out, err), 0) << err;
    auto killed = nlohmann::json::parse(out);
    EXPECT_EQ(killed["comm"], "migrate.sh");
    EXPECT_EQ(killed["signal"], "SIGHUP");
    EXPECT_EQ(killed["via"]["comm"], "bash");
    EXPECT_EQ(killed["disconnect"]["event"], "disconnect");
    EXPECT_EQ(killed["disconnect"]["hung_up_by_comm"], "sshd");
    EXPECT_EQ(killed["lineage"][0]["pid"], 815);
    EXPECT_EQ(killed["alive"], false);

    WhyOptions text;
    text.db_path = path_;
    text.pid = 902;
    ASSERT_EQ(capture([&] { return run_why(text); }, out, err), 0) << err;
    EXPECT_NE(out.find("reparented to 1 (init)"), std::string::npos) << out;
    EXPECT_NE(out.find("no exit recorded"), std::string::npos) << out;
    EXPECT_NE(out.find("lineage    bash 815 (session leader)"), std::string::npos) << out;
    EXPECT_NE(out.find("output     lost: fd 1, 2 on the hung-up terminal"), std::string::npos)
        << out;
    EXPECT_EQ(out.find("0 writes"), std::string::npos) << "no contradiction: " << out;
}

TEST_F(StoreQueriesTest, WhyKeepsTheTerminalAHangupTookAway) {
    WhyOptions o;
    o.db_path = path_;
    o.pid = 901;
    o.at = at(500);
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_why(o); }, out, err), 0) << err;
    EXPECT_EQ(out.substr(0, out.find('\n')).find("migrate.sh 901 (user "), 0u) << out;
    EXPECT_NE(out.substr(0, out.find('\n')).find(", session 815, pts/3)"), std::string::npos)
        << out;
    EXPECT_EQ(out.find("no tty"), std::string::npos) << out;
}

TEST_F(StoreQueriesTest, ASubshellShowsItsParentsCommandLine) {
    WhyOptions o;
    o.db_path = path_;
    o.pid = 903;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_why(o); }, out, err), 0) << err;
    EXPECT_NE(out.find("ran        -bash"), std::string::npos) << out;
    EXPECT_EQ(out.find("[bash]"), std::string::npos) << out;
}

TEST_F(StoreQueriesTest, ReplayNamesAProcessAsItWasCalledThen) {
    ReplayOptions o;
    o.db_path = path_;
    o.pid = 904;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    EXPECT_NE(out.find("bash 904 lost its parent 815"), std::string::npos) << out;
    EXPECT_NE(out.find("bash 904 (later hupwatch) orphaned by the disconnect"), std::string::npos)
        << out;
    EXPECT_NE(out.find("bash 904 ran hupwatch watch"), std::string::npos) << out;
    EXPECT_EQ(out.find("hupwatch 904 orphaned"), std::string::npos) << out;
}

class BadDatabaseTest : public ::testing::Test {
   protected:
    std::string replay_error(const std::string& path, int& rc) {
        ReplayOptions o;
        o.db_path = path;
        testing::internal::CaptureStdout();
        testing::internal::CaptureStderr();
        rc = run_replay(o);
        testing::internal::GetCapturedStdout();
        return testing::internal::GetCapturedStderr();
    }
};

TEST_F(BadDatabaseTest, MissingFile) {
    int rc = 0;
    auto path = temp_db("missing.db");
    EXPECT_EQ(replay_error(path, rc),
              "hupwatch: cannot open database " + path + ": No such file or directory\n");
    EXPECT_EQ(rc, kExitDatabase);
}

TEST_F(BadDatabaseTest, TextFile) {
    auto path = temp_db("text.db");
    std::ofstream(path) << "hello\n";
    int rc = 0;
    EXPECT_EQ(replay_error(path, rc), "hupwatch: " + path + " is not a SQLite database\n");
    EXPECT_EQ(rc, kExitDatabase);
}

TEST_F(BadDatabaseTest, NewerSchema) {
    auto path = temp_db("newer.db");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE runs(id); PRAGMA user_version = 7;", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    int rc = 0;
    EXPECT_EQ(replay_error(path, rc),
              "hupwatch: " + path +
                  " is not a hupwatch database (newer schema 7; this hupwatch reads up to 1)\n");
    EXPECT_EQ(rc, kExitDatabase);
}

TEST_F(BadDatabaseTest, OtherSqliteDatabase) {
    auto path = temp_db("other.db");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE recipes(name);", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    int rc = 0;
    EXPECT_EQ(replay_error(path, rc),
              "hupwatch: " + path + " is not a hupwatch database (no hupwatch schema)\n");
    EXPECT_EQ(rc, kExitDatabase);
}

TEST_F(BadDatabaseTest, TreeOfAStoreWithNoRunSaysSo) {
    auto path = temp_db("schema-only.db");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    std::string error;
    ASSERT_TRUE(create_store_schema(db, error)) << error;
    sqlite3_close(db);
    TreeOptions o;
    o.db_path = path;
    o.at = "2026-12-01T04:47:31Z";
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    const int rc = run_tree(o);
    EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "hupwatch: no data at 2026-12-01T04:47:31.000000Z: the store has recorded no run "
              "yet\n");
    EXPECT_EQ(rc, kExitFailure);
}

TEST_F(BadDatabaseTest, CorruptAndTruncatedFiles) {
    // A real store, then damaged: its catalogue page overwritten, or cut short.
    auto good = temp_db("good.db");
    StoreOptions options;
    options.path = good;
    std::string error;
    auto store = SqliteStore::open(options, error, BootClock(kOffset));
    ASSERT_TRUE(store) << error;
    for (std::uint32_t i = 0; i < 2000; ++i)
        store->on_event(fork_of(proc(20000 + i, 10 + i, 1, 1, "x"), 1));
    store->close();
    auto corrupt = temp_db("corrupt.db");
    std::filesystem::copy_file(good, corrupt);
    {
        std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        std::string junk(3000, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto truncated = temp_db("truncated.db");
    std::filesystem::copy_file(good, truncated);
    std::filesystem::resize_file(truncated, 3 * 4096);
    for (const auto& path : {corrupt, truncated}) {
        int rc = 0;
        std::string line = replay_error(path, rc);
        EXPECT_EQ(rc, kExitDatabase) << path;
        EXPECT_EQ(line.rfind("hupwatch: " + path + " is corrupt (", 0), 0u) << line;
        EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    }
}

}  // namespace
}  // namespace hupwatch::test
