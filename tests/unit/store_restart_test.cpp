// The readers over a store of two runs: a daemon killed during its first run
// and started again. A job forked in run 1 is in run 2's /proc seed; its
// story is still the one run 1 recorded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_commands.h"
#include "sqlite_store.h"
#include "store_fixture.h"
#include "wall_stamp.h"

namespace hupwatch::test {
namespace {

constexpr std::uint64_t kTick = 10'000'000;  // /proc's start precision
// The job's exact start: a little after a tick boundary, as a fork's is.
constexpr std::uint64_t kJobStartNs = 300 * kSec + 1'500'000;

// `hupwatch why PID [--at AT] [--json]` on db; its stdout in out.
int why_of(const std::string& db, std::uint32_t pid, std::optional<std::string> at, bool json,
           std::string& out) {
    WhyOptions o;
    o.db_path = db;
    o.pid = pid;
    o.json = json;
    if (at) o.at = *at;
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = run_why(o);
    out = testing::internal::GetCapturedStdout();
    std::string err = testing::internal::GetCapturedStderr();
    if (rc != 0) ADD_FAILURE() << err;
    return rc;
}

class StoreRestartTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        path_ = temp_db("restart.db");
        offset_ = wall_now_ns();  // boot 0 is now, so every event follows its run's start
        const StoreOptions options = test_store_options(path_);
        std::string error;
        auto init = proc(1, 0, 0, 1, "systemd", 0);
        auto sshd = proc(812, 1, 1, 812, "sshd", 0);
        auto bash = proc(815, 2, 812, 815, "bash");
        auto job = proc(950, 0, 815, 815, "sleep");
        job.start_ns = kJobStartNs;
        {
            auto run1 = SqliteStore::open(options, error, BootClock(offset_));
            ASSERT_TRUE(run1) << error;
            std::vector<ProcSnapshot> seed(3);
            seed[0].info = init;
            seed[1].info = sshd;
            seed[2].info = bash;
            for (auto& s : seed) s.start_tick_ns = kTick;
            run1->record_seed(seed);
            run1->on_event(fork_of(job, 2));
            run1->on_event(exec_of(job, 301, {"nohup", "sleep", "3600"}));
            run1->on_event(signal_of(job, 400, bash, SignalOrigin::User));
            run1->on_event(reparent_of(job, 401, init));
            Verdict orphan;
            orphan.kind = VerdictKind::Orphaned;
            orphan.ktime_ns = 401 * kSec;
            orphan.process = {950, kJobStartNs, "sleep"};
            orphan.ppid = 1;
            orphan.uid = 1000;
            orphan.sid = 815;
            orphan.cause = OrphanCause::Disconnect;
            orphan.survived_because = SurvivalReason::SighupIgnored;
            orphan.new_parent = ProcessRef{1, 0, "systemd"};
            orphan.reaper = ReaperKind::Init;
            run1->on_finding(orphan);
            run1->flush();
            // Destroyed without close(): as after kill -9.
        }
        auto run2 = SqliteStore::open(options, error, BootClock(offset_));
        ASSERT_TRUE(run2) << error;
        job.ppid = 1;
        std::vector<ProcSnapshot> seed(2);
        seed[0].info = init;
        seed[1].info = job;
        seed[1].info.start_ns = kJobStartNs / kTick * kTick;  // /proc floors it
        seed[1].argv = {"sleep", "3600"};
        for (auto& s : seed) s.start_tick_ns = kTick;
        run2->record_seed(seed);
        auto killer = proc(1200, 500, 1, 1200, "bash", 0);
        // No terminal, no loginuid, parent init: to run 2 not a job, so no
        // killed verdict (docs/events.md, "killed").
        auto term = signal_of(job, 600, killer, SignalOrigin::User);
        std::get<SignalEvent>(term.body).sig = 15;
        run2->on_event(term);
        run2->on_event(exit_of(job, 600, 15));
        run2->close();
    }

    static int why(std::optional<std::int64_t> at_s, bool json, std::string& out) {
        std::optional<std::string> at;
        if (at_s) at = rfc3339_wall(offset_ + *at_s * kSec);
        return why_of(path_, 950, at, json, out);
    }

    static inline std::string path_;
    static inline std::int64_t offset_ = 0;
};

TEST_F(StoreRestartTest, WhyTellsTheStartAnEarlierRunRecordedNotTheRestartsSeed) {
    for (std::optional<std::int64_t> at : {std::optional<std::int64_t>{}, {305}}) {
        std::string out;
        ASSERT_EQ(why(at, true, out), 0);
        auto j = nlohmann::json::parse(out);
        EXPECT_EQ(j["start_ns"], kJobStartNs);
        EXPECT_EQ(j["seeded"], false) << out;
        EXPECT_EQ(j["started"], rfc3339_wall(offset_ + static_cast<std::int64_t>(kJobStartNs)));
        ASSERT_EQ(j["lineage"].size(), 1u) << out;
        EXPECT_EQ(j["lineage"][0]["pid"], 815);
        EXPECT_EQ(j["signal"], "SIGTERM");
        EXPECT_EQ(j["other_processes"].size(), 0u) << "one process, not two: " << out;

        ASSERT_EQ(why(at, false, out), 0);
        EXPECT_NE(out.find(" by 815\n"), std::string::npos) << out;
        EXPECT_EQ(out.find("running when hupwatch started"), std::string::npos) << out;
        EXPECT_NE(out.find("lineage    bash 815 (session leader)"), std::string::npos) << out;
    }
}

TEST_F(StoreRestartTest, WhyTellsAnOrphanKilledAfterARestartWithTheEarlierRunsVerdict) {
    std::string out;
    ASSERT_EQ(why(std::nullopt, true, out), 0);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["alive"], false);
    EXPECT_EQ(j["signal"], "SIGTERM");
    EXPECT_EQ(j["orphaned"], true);
    ASSERT_EQ(j["verdicts"].size(), 1u) << out;
    EXPECT_EQ(j["verdicts"][0]["verdict"], "orphaned");
    ASSERT_EQ(j["signals"].size(), 2u) << out;
    EXPECT_EQ(j["signals"][1]["signal"], "SIGTERM");
    EXPECT_EQ(j["signals"][1]["sender_pid"], 1200);
}

}  // namespace
}  // namespace hupwatch::test

namespace hupwatch::test {
namespace {

// bash 815, running when run 1 was killed, is not in run 2's /proc scan: it
// ended while nothing recorded, by the time run 2 started. init, in the
// scan, is still alive.
TEST(StoreRestartScanTest, WhyEndsAProcessTheRestartsScanLacksUnseenByTheRestart) {
    const std::string path = temp_db("restart-scan.db");
    const std::int64_t offset = wall_now_ns() - 100 * kSec;  // booted 100 s ago
    const StoreOptions options = test_store_options(path);
    std::string error;
    std::vector<ProcSnapshot> seed(2);
    seed[0].info = proc(1, 0, 0, 1, "systemd", 0);
    seed[1].info = proc(815, 2, 1, 815, "bash");
    for (auto& s : seed) s.start_tick_ns = kTick;
    const std::int64_t run1_started = wall_now_ns();
    {
        auto run1 = SqliteStore::open(options, error, BootClock(offset));
        ASSERT_TRUE(run1) << error;
        run1->record_seed(seed);
        run1->flush();
        // Destroyed without close(): as after kill -9.
    }
    const std::int64_t run2_after = wall_now_ns();
    auto run2 = SqliteStore::open(options, error, BootClock(offset));
    ASSERT_TRUE(run2) << error;
    const std::int64_t run2_before = wall_now_ns();
    seed.pop_back();
    run2->record_seed(seed);
    run2->close();

    std::string out;
    ASSERT_EQ(why_of(path, 815, std::nullopt, true, out), 0);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["alive"], false) << out;
    EXPECT_EQ(j["exit_unseen"], true) << out;
    EXPECT_TRUE(j["ended"].is_null()) << out;
    ASSERT_TRUE(j["gone_by"].is_string()) << out;
    const std::string gone_by = j["gone_by"];
    EXPECT_GE(gone_by, rfc3339_wall(run2_after)) << out;
    EXPECT_LE(gone_by, rfc3339_wall(run2_before)) << out;

    ASSERT_EQ(why_of(path, 815, std::nullopt, false, out), 0);
    EXPECT_NE(out.find("ended      exit unseen: gone by "), std::string::npos) << out;
    EXPECT_EQ(out.find("no exit recorded up to"), std::string::npos) << out;

    // Asked at run 1, before the crash, it was running then.
    ASSERT_EQ(why_of(path, 815, rfc3339_wall(run1_started), true, out), 0);
    EXPECT_EQ(nlohmann::json::parse(out)["start_ns"], 2 * kSec);

    ASSERT_EQ(why_of(path, 1, std::nullopt, true, out), 0);
    j = nlohmann::json::parse(out);
    EXPECT_EQ(j["alive"], true) << out;
    EXPECT_EQ(j["exit_unseen"], false) << out;
}

// The daemon's audit ended a job whose exit a full ring dropped, and
// recorded it (exit_unseen): why reads that end within the same run, gone
// by the scan's start, before any restart or pid reuse. replay tells it.
TEST(StoreRestartScanTest, WhyReadsAnUnseenExitTheDaemonRecorded) {
    const std::string path = temp_db("exit-unseen.db");
    const std::int64_t offset = wall_now_ns() - 100 * kSec;  // booted 100 s ago
    const StoreOptions options = test_store_options(path);
    std::string error;
    const auto job = proc(950, 40, 815, 815, "sleep");
    {
        auto run = SqliteStore::open(options, error, BootClock(offset));
        ASSERT_TRUE(run) << error;
        run->on_event(fork_of(job, 2));
        run->on_event(exec_of(job, 41, {"sleep", "3600"}));
        run->on_event(Event{90 * kSec, ExitUnseenEvent{job}});
        run->close();
    }

    std::string out;
    ASSERT_EQ(why_of(path, 950, std::nullopt, true, out), 0);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["alive"], false) << out;
    EXPECT_EQ(j["exit_unseen"], true) << out;
    EXPECT_TRUE(j["ended"].is_null()) << out;
    EXPECT_EQ(j["gone_by"], rfc3339_wall(offset + 90 * kSec)) << out;

    ReplayOptions r;
    r.db_path = path;
    testing::internal::CaptureStdout();
    ASSERT_EQ(run_replay(r), 0);
    out = testing::internal::GetCapturedStdout();
    EXPECT_NE(out.find("sleep 950 was gone by then, its exit unseen (events were lost)"),
              std::string::npos)
        << out;
}

}  // namespace
}  // namespace hupwatch::test
