// replay --reanalyze: a disconnect written to a store as the live daemon
// writes it (events, then the findings the correlator drew from them), read
// back through the decoder and the correlator run again: the same findings,
// line for line, through the same formatter.
#include <gtest/gtest.h>

#include "cli_commands.h"
#include "event_store_reader.h"
#include "finding_format.h"
#include "fleet_fields.h"
#include "origin_keys.h"
#include "replay_correlator.h"
#include "sqlite_store.h"
#include "store_fixture.h"

namespace hupwatch::test {
namespace {

struct Recording {
    std::string path;
    std::vector<std::string> live_json;  // the live findings, as stored
};

// sshd 812 -> bash 815 (session leader on pts/3) with a plain job, a nohup'd
// job and a job with its own session; sshd hangs up.
Recording record(const std::string& name) {
    Recording r{temp_db(name), {}};
    const BootClock clock(wall_now_ns());
    StoreOptions options;
    options.path = r.path;
    options.retention_ns = 0;
    std::string error;
    auto store = SqliteStore::open(options, error, clock);
    EXPECT_TRUE(store) << error;
    if (!store) return r;
    RecordedHostProbe probe;
    ReplayCorrelator live({}, &probe);

    auto init = proc(1, 0, 0, 1, "systemd", 0);
    init.tty_dev = 0;
    auto sshd = proc(812, 1, 1, 812, "sshd", 0);
    sshd.tty_dev = 0;
    std::vector<ProcSnapshot> seed(2);
    seed[0].info = init;
    seed[1].info = sshd;
    store->record_seed(seed);
    live.seed(seed);

    auto feed = [&](const Event& e) {
        store->on_event(e);
        for (const auto& f : live.on_event(e)) {
            store->on_finding(f);
            r.live_json.push_back(to_json_line(f, clock));
        }
    };
    auto bash = proc(815, 2, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "migrate.sh");
    auto nohup = proc(902, 120, 815, 815, "sleep");
    auto daemon = proc(903, 130, 815, 815, "daemon");
    feed(fork_of(bash, 1));
    feed(exec_of(bash, 2, {"-bash"}));
    feed(fork_of(job, 2));
    feed(exec_of(job, 110, {"/bin/bash", "./migrate.sh", "--step=\"2\""}));
    feed(fork_of(nohup, 2));
    feed(exec_of(nohup, 120, {"sleep", "3600"}));
    feed(fork_of(daemon, 2));
    SessionEvent setsid{daemon, SessionCall::Setsid, 903, 0, 0};
    setsid.proc.sid = 903;
    setsid.proc.tty_dev = 0;
    feed(Event{131 * kSec, setsid});
    feed(signal_of(bash, 899, sshd, SignalOrigin::Kernel));
    feed(signal_of(job, 900, bash, SignalOrigin::User));
    Event ignored = signal_of(nohup, 900, bash, SignalOrigin::User);
    std::get<SignalEvent>(ignored.body).result = SignalResult::Ignored;
    feed(ignored);
    feed(exit_of(job, 900, 1));
    feed(reparent_of(nohup, 901, init));
    Event daemon_orphaned = reparent_of(setsid.proc, 901, init);
    feed(daemon_orphaned);
    feed(exit_of(bash, 901, 1));
    feed(fork_of(proc(950, 905, 1, 1, "cron", 0), 0));  // time passes: the orphans settle
    for (const auto& f : live.finish()) {
        store->on_finding(f);
        r.live_json.push_back(to_json_line(f, clock));
    }
    store->close();
    return r;
}

int capture(const std::function<int()>& command, std::string& out, std::string& err) {
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = command();
    out = testing::internal::GetCapturedStdout();
    err = testing::internal::GetCapturedStderr();
    return rc;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < text.size();) {
        auto end = text.find('\n', pos);
        out.push_back(text.substr(pos, end - pos));
        pos = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
}

TEST(Reanalyze, DerivesTheLiveFindingsFromTheStoredEvents) {
    Recording r = record("reanalyze.db");
    // The story the fixture tells: a disconnect, a kill, an orphan, a daemon.
    ASSERT_EQ(r.live_json.size(), 4u);
    ReplayOptions o;
    o.db_path = r.path;
    o.json = true;
    o.reanalyze = true;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    EXPECT_EQ(err, "");
    // Each line as live, then the run's host and boot id (no seq: not a live output).
    const auto here = HostIdentity::of_this_host();
    std::vector<std::string> expected;
    for (const auto& line : r.live_json)
        expected.push_back(with_origin_keys(line, here.host, here.boot_id));
    EXPECT_EQ(lines_of(out), expected);
    ASSERT_FALSE(expected.empty());
    EXPECT_NE(expected[0].find(R"(,"boot_id":")" + here.boot_id + "\"}"), std::string::npos);
}

TEST(Reanalyze, StoredFindingsDecodeToWhatWasWritten) {
    Recording r = record("reanalyze-stored.db");
    EventStoreReader reader(r.path);
    std::vector<std::string> stored;
    for (const auto& f : reader.findings({})) {
        std::string error;
        auto finding = decode_stored(f, error);
        ASSERT_TRUE(finding) << error << "\n" << f.json;
        stored.push_back(to_json_line(*finding, BootClock(f.wall_ns - std::int64_t(f.ktime_ns))));
        EXPECT_EQ(stored.back(), f.json);
    }
    EXPECT_EQ(stored, r.live_json);
}

TEST(Reanalyze, WindowAndPidSelectFindings) {
    Recording r = record("reanalyze-window.db");
    ReplayOptions o;
    o.db_path = r.path;
    o.json = true;
    o.reanalyze = true;
    o.pid = 902;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), 1u) << out;
    EXPECT_NE(lines[0].find(R"("verdict":"orphaned")"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(R"("survived_because":"sighup_ignored")"), std::string::npos);

    o.pid = -1;
    o.until = "-1d";  // before anything happened
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    EXPECT_EQ(out, "");
}

TEST(Reanalyze, TextUsesWatchsFormatter) {
    Recording r = record("reanalyze-text.db");
    ReplayOptions o;
    o.db_path = r.path;
    o.reanalyze = true;
    std::string out, err;
    ASSERT_EQ(capture([&] { return run_replay(o); }, out, err), 0) << err;
    EXPECT_NE(out.find("killed_by_disconnect: SIGHUP via bash 815"), std::string::npos) << out;
    EXPECT_NE(out.find("hung up by sshd 812"), std::string::npos) << out;
}

}  // namespace
}  // namespace hupwatch::test
