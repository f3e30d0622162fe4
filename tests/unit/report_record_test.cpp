// The report against what the store recorded (the QA incident of
// 2026-12-01, in small): processes alive in the window with nothing
// recorded in it, the end of a run killed without a clean stop, lost output
// as the verdict knows it, a session's terminal, the why panel's evidence.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>

#include "event_store_reader.h"
#include "report_fixture.h"
#include "report_html.h"
#include "report_page.h"
#include "report_time.h"
#include "scoped_time_zone.h"

namespace hupwatch::test {
namespace {

ReportPage page_of(const std::string& path, std::int64_t since, std::int64_t until,
                   std::int64_t now, const ReportQuery& query = {}) {
    EventStoreReader store(path);
    return build_report_page(read_report_input(store, since, until), query, now);
}

std::vector<std::string> labels(const std::vector<ProcessBar>& bars) {
    std::vector<std::string> out;
    for (const auto& b : bars) out.push_back(b.label + "/" + std::to_string(b.depth));
    return out;
}

// Session 815 on pts/3: bash starts a nohup'd sleep 901 and a loop 902 at
// 10 s; the line drops at 300 s: bash exits, both are orphaned to init and
// lose their terminal (tty 0 from then on). The loop forks a short sleep
// every 100 s. cron 700 leads its own session, with no terminal, and does
// nothing. The window is 500 s to 1000 s: 901 and 902 have nothing of their
// own recorded in it.
void write_quiet_orphans(EventSink& s) {
    auto init = proc(1, 0, 0, 1, "systemd", 0);
    auto cron = proc(700, 5, 1, 700, "cron", 0);
    auto bash = proc(815, 1, 812, 815, "bash");
    auto nohup = proc(901, 10, 815, 815, "sleep");
    auto loop = proc(902, 10, 815, 815, "bash");
    init.tty_dev = cron.tty_dev = 0;
    s.on_event(fork_of(cron, 1));
    s.on_event(fork_of(bash, 0));
    s.on_event(fork_of(nohup, 1));
    s.on_event(exec_of(nohup, 10, {"nohup", "sleep", "3600"}));
    s.on_event(fork_of(loop, 1));
    s.on_event(exit_of(bash, 300, 1));
    for (auto* orphan : {&nohup, &loop}) {
        orphan->tty_dev = 0;
        s.on_event(reparent_of(*orphan, 300, init));
        orphan->ppid = 1;
    }
    for (std::uint32_t i = 0; i < 9; ++i) {
        auto tick = proc(903 + i, 100 * (i + 1) + 50, 902, 815, "sleep");
        tick.pgid = 902;
        tick.tty_dev = i < 2 ? kPts3 : 0;
        s.on_event(fork_of(tick, 10));
        s.on_event(exit_of(tick, 100 * (i + 1) + 51, 0));
    }
}

TEST(ReportRecordTest, ProcessesAliveInTheWindowWithNothingRecordedInItAreOnThePage) {
    const std::string path = temp_db("report-quiet.db");
    const Incident incident = write_store(path, write_quiet_orphans);
    const std::int64_t since = incident.offset_ns + 500 * kSec;
    const ReportPage page = page_of(path, since, incident.until_wall_ns, wall_now_ns());
    ASSERT_EQ(page.lanes.size(), 1u);  // not cron's: a quiet daemon is no part of it
    const Lane& lane = page.lanes[0];
    EXPECT_EQ(lane.sid, 815u);
    // The orphans, drawn as the jobs they are (the terminal they ran on
    // before the hangup cleared it), running through the window.
    ASSERT_EQ(labels(lane.rows), (std::vector<std::string>{"sleep 901/0", "bash 902/0"}));
    for (const ProcessBar& bar : lane.rows) {
        EXPECT_TRUE(bar.job) << bar.label;
        EXPECT_TRUE(bar.born_before) << bar.label;
        EXPECT_TRUE(bar.alive_after) << bar.label;
        EXPECT_EQ(bar.from_wall_ns, since) << bar.label;
        EXPECT_EQ(bar.to_wall_ns, incident.until_wall_ns) << bar.label;
    }
    EXPECT_EQ(lane.rows[0].why.command, "nohup sleep 3600");
    // The loop's sleeps of the window fold: 550 s to 950 s.
    EXPECT_EQ(labels(lane.folded),
              (std::vector<std::string>{"sleep 907/0", "sleep 908/0", "sleep 909/0", "sleep 910/0",
                                        "sleep 911/0"}));
    EXPECT_EQ(page.summary.processes, 7u);
    EXPECT_EQ(page.summary.folded, 5u);

    // Asked for by session, the same; cron's only when asked for.
    ReportQuery cron;
    cron.sid = 700;
    const ReportPage asked = page_of(path, since, incident.until_wall_ns, wall_now_ns(), cron);
    ASSERT_EQ(asked.lanes.size(), 1u);
    EXPECT_EQ(labels(asked.lanes[0].rows), (std::vector<std::string>{"cron 700/0"}));
}

void set_run(const std::string& path, const std::string& values) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, ("UPDATE runs SET " + values).c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
}

// The incident's store as a daemon SIGKILLed at 600 s leaves it, read
// before any restart: no clean stop, its last write at 600 s.
TEST(ReportRecordTest, TheTimeSinceAKilledRunsLastWriteIsNoRecordNotQuietTime) {
    const std::string path = temp_db("report-killed.db");
    const Incident incident = write_incident(path, 2);
    const std::int64_t last_write = incident.offset_ns + 600 * kSec;
    set_run(path,
            "stopped_wall_ns = NULL, clean = 0, last_wall_ns = " + std::to_string(last_write));
    const std::int64_t now = incident.offset_ns + 2000 * kSec;
    const ReportPage page = page_of(path, incident.since_wall_ns, INT64_MAX, now);
    EXPECT_EQ(page.until_wall_ns, now);  // the open end: now, as asked
    ASSERT_EQ(page.gaps.size(), 1u);
    EXPECT_EQ(page.gaps[0].from_wall_ns, last_write);
    EXPECT_EQ(page.gaps[0].to_wall_ns, now);
    // An explicit end past the last write: the same gap, to that end.
    const std::int64_t until = incident.offset_ns + 1000 * kSec;
    const ReportPage closed = page_of(path, incident.since_wall_ns, until, now);
    ASSERT_EQ(closed.gaps.size(), 1u);
    EXPECT_EQ(closed.gaps[0].from_wall_ns, last_write);
    EXPECT_EQ(closed.gaps[0].to_wall_ns, until);

    // A live daemon's last write a few seconds old: still recording.
    set_run(path, "last_wall_ns = " + std::to_string(now - 3 * kSec));
    const ReportPage live = page_of(path, incident.since_wall_ns, INT64_MAX, now);
    EXPECT_EQ(live.until_wall_ns, now);
    EXPECT_TRUE(live.gaps.empty());
}

// A daemon SIGKILLed at 300 s and started again at 600 s, on the same
// boot: migrate.sh 901 and sleep 902 of session 815 were running at the
// crash; only 902 is in the new run's /proc scan. 901 ended while nothing
// recorded: the report ends it, with no exit it never saw, by the restart.
TEST(ReportRecordTest, AProcessAliveAtACrashThatTheNextRunsScanLacksEndsUnseenByTheRestart) {
    const std::string path = temp_db("report-crash.db");
    const std::int64_t offset = wall_now_ns() - 2000 * kSec;
    auto init = proc(1, 0, 0, 1, "systemd", 0);
    auto bash = proc(815, 2, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "migrate.sh");
    auto sleep = proc(902, 120, 815, 815, "sleep");
    init.tty_dev = 0;
    const StoreOptions options = test_store_options(path);
    std::string error;
    {
        auto store = SqliteStore::open(options, error, BootClock(offset));
        ASSERT_TRUE(store) << error;
        store->on_event(fork_of(bash, 1));
        store->on_event(fork_of(job, 2));
        store->on_event(exec_of(job, 110, {"/bin/bash", "./migrate.sh"}));
        store->on_event(fork_of(sleep, 2));
        store->on_event(exec_of(sleep, 120, {"sleep", "3600"}));
        store->flush();
    }  // no close(): the run ends as a crash leaves it
    {
        auto store = SqliteStore::open(options, error, BootClock(offset));
        ASSERT_TRUE(store) << error;
        std::vector<ProcSnapshot> scan(3);
        scan[0].info = init;
        scan[1].info = bash;
        scan[2].info = sleep;
        scan[2].argv = {"sleep", "3600"};
        for (auto& s : scan) s.start_tick_ns = 10'000'000;
        store->record_seed(scan);
        store->close();
    }
    const std::int64_t restart = offset + 600 * kSec;
    set_run(path, "started_wall_ns = " + std::to_string(offset) +
                      ", last_wall_ns = " + std::to_string(offset + 300 * kSec) + " WHERE id = 1");
    set_run(path, "started_wall_ns = " + std::to_string(restart) + " WHERE id = 2");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, ("UPDATE seeds SET wall_ns = " + std::to_string(restart)).c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);

    const std::int64_t until = offset + 1000 * kSec;
    const ReportPage page = page_of(path, offset, until, wall_now_ns());
    ASSERT_EQ(page.lanes.size(), 1u);
    const Lane& lane = page.lanes[0];
    const auto bar = [&](const std::string& label) -> const ProcessBar& {
        auto it = std::find_if(lane.rows.begin(), lane.rows.end(),
                               [&](const ProcessBar& b) { return b.label == label; });
        EXPECT_NE(it, lane.rows.end()) << label;
        return *it;
    };
    const ProcessBar& gone = bar("migrate.sh 901");
    EXPECT_FALSE(gone.alive_after);
    EXPECT_EQ(gone.to_wall_ns, restart);
    EXPECT_EQ(gone.death_wall_ns, std::optional<std::int64_t>(restart));
    EXPECT_EQ(gone.death_label, "exit unseen");
    EXPECT_EQ(gone.why.end.rfind("ended unseen by ", 0), 0u) << gone.why.end;
    const ProcessBar& kept = bar("sleep 902");
    EXPECT_TRUE(kept.alive_after);
    EXPECT_EQ(kept.to_wall_ns, until);
    EXPECT_EQ(kept.why.end, "running at the end of the window");

    // A window that starts after the restart does not have 901 at all;
    // one that ends before the crash has it running.
    const ReportPage after = page_of(path, offset + 700 * kSec, until, wall_now_ns());
    for (const Lane& l : after.lanes)
        for (const ProcessBar& b : l.rows) EXPECT_NE(b.label, "migrate.sh 901");
    const ReportPage before = page_of(path, offset, offset + 200 * kSec, wall_now_ns());
    ASSERT_EQ(before.lanes.size(), 1u);
    bool running = false;
    for (const ProcessBar& b : before.lanes[0].rows)
        running = running || (b.label == "migrate.sh 901" && b.alive_after);
    EXPECT_TRUE(running);
}

// A disowned job of session 815 left on its dead terminal by the hangup at
// 899 s: its orphan verdict at 901 s found fds 0, 1 and 2 hung up. Without
// --syscall-results no failed write is ever recorded.
void write_lost_on_a_dead_terminal(EventSink& s) {
    auto init = proc(1, 0, 0, 1, "systemd", 0);
    auto bash = proc(815, 2, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "sleep");
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(job, 2));
    DisconnectFinding d;
    d.ktime_ns = 899 * kSec;
    d.sid = 815;
    d.tty_dev = kPts3;
    d.leader = {815, 2 * kSec, "bash"};
    s.on_finding(d);
    s.on_event(exit_of(bash, 900, 1));
    s.on_event(reparent_of(job, 901, init));
    Verdict v = verdict_on(job, VerdictKind::Orphaned, 901);
    v.cause = OrphanCause::Disconnect;
    v.survived_because = SurvivalReason::NotSignalled;
    v.disconnect_ktime_ns = 899 * kSec;
    v.disconnect_sid = 815;
    v.output_lost = true;
    v.dead_fds = {0, 1, 2};
    s.on_finding(v);
}

TEST(ReportRecordTest, OutputAVerdictFoundLostIsDrawnFromTheHangup) {
    const std::string path = temp_db("report-lost.db");
    const Incident incident = write_store(path, write_lost_on_a_dead_terminal);
    const ReportPage page =
        page_of(path, incident.since_wall_ns, incident.until_wall_ns, wall_now_ns());
    ASSERT_EQ(page.lanes.size(), 1u);
    ASSERT_EQ(labels(page.lanes[0].rows), (std::vector<std::string>{"bash 815/0", "sleep 901/1"}));
    const ProcessBar& job = page.lanes[0].rows[1];
    ASSERT_TRUE(job.output_lost_wall_ns);
    // The finding's clock, as stored: to the microsecond.
    EXPECT_LT(std::llabs(*job.output_lost_wall_ns - (incident.offset_ns + 899 * kSec)), 1000);
    const std::string html = render_report_html(page);
    const std::size_t row = html.find("data-pid=\"901\"");
    ASSERT_NE(row, std::string::npos);
    EXPECT_NE(html.substr(row, html.find("</g>", row) - row).find("class=\"lost\""),
              std::string::npos);
}

// Session 1000 logs out: bash exits and its job sleep 1001 is orphaned by
// the exit, with no hangup (cause parent_exit, no survival reason).
void write_logout_orphan(EventSink& s) {
    auto init = proc(1, 0, 0, 1, "systemd", 0);
    auto bash = proc(1000, 2, 812, 1000, "bash");
    auto job = proc(1001, 110, 1000, 1000, "sleep");
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(job, 2));
    s.on_event(exit_of(bash, 900, 0));
    s.on_event(reparent_of(job, 900, init));
    Verdict v = verdict_on(job, VerdictKind::Orphaned, 900);
    v.cause = OrphanCause::ParentExit;
    s.on_finding(v);
}

TEST(ReportRecordTest, AJobOrphanedByALogoutIsCountedByItsCauseNotAsUnknown) {
    const std::string path = temp_db("report-logout.db");
    const Incident incident = write_store(path, write_logout_orphan);
    const ReportPage page =
        page_of(path, incident.since_wall_ns, incident.until_wall_ns, wall_now_ns());
    EXPECT_EQ(page.summary.orphaned_by_reason, (std::map<std::string, int>{{"parent_exit", 1}}));
    ASSERT_EQ(page.lanes.size(), 1u);
    ASSERT_EQ(labels(page.lanes[0].rows),
              (std::vector<std::string>{"bash 1000/0", "sleep 1001/1"}));
    EXPECT_EQ(page.lanes[0].rows[1].verdict, "orphaned");
    EXPECT_EQ(page.lanes[0].rows[1].cause, "parent_exit");
}

// `su nobody -c sleep` in session 815 on pts/3: the sleep is forked on the
// terminal, then calls setsid(): its own session 951, with no terminal.
void write_setsid_leader(EventSink& s) {
    auto bash = proc(815, 2, 812, 815, "bash");
    auto sleep = proc(951, 110, 815, 815, "sleep", 65534);
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(sleep, 2));
    SessionEvent setsid;
    setsid.proc = sleep;
    setsid.proc.sid = setsid.proc.pgid = 951;
    setsid.proc.tty_dev = 0;
    setsid.ret = 951;
    s.on_event(Event{111 * kSec, setsid});
    auto exec = exec_of(setsid.proc, 112, {"sleep", "600"});
    s.on_event(exec);
}

TEST(ReportRecordTest, ASessionsTitleNamesOnlyATerminalTheSessionHad) {
    const std::string path = temp_db("report-setsid.db");
    const Incident incident = write_store(path, write_setsid_leader);
    ReportQuery nobody;
    nobody.uid = 65534;
    const ReportPage page =
        page_of(path, incident.since_wall_ns, incident.until_wall_ns, wall_now_ns(), nobody);
    ASSERT_EQ(page.lanes.size(), 1u);
    EXPECT_EQ(page.lanes[0].title, "session 951: sleep 951 (uid 65534)");
    // Its parent's session kept its terminal.
    const ReportPage all =
        page_of(path, incident.since_wall_ns, incident.until_wall_ns, wall_now_ns());
    std::vector<std::string> titles;
    for (const auto& lane : all.lanes) titles.push_back(lane.title);
    EXPECT_EQ(titles, (std::vector<std::string>{"session 815: bash 815 (uid 1000) on pts/3",
                                                "session 951: sleep 951 (uid 65534)"}));
}

// Job 901 moves to its own group at 300 s; bash forwards a SIGHUP at 850 s
// and it dies of it. Its verdict's evidence tells the signal and the death.
void write_told_twice(EventSink& s) {
    auto bash = proc(815, 2, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "sleep");
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(job, 2));
    SessionEvent setpgid;
    setpgid.proc = job;
    setpgid.call = SessionCall::Setpgid;
    setpgid.arg_pid = 901;
    setpgid.arg_pgid = 901;
    s.on_event(Event{300 * kSec, setpgid});
    s.on_event(signal_of(job, 850, bash, SignalOrigin::User));
    s.on_event(exit_of(job, 850, 1));
    Verdict v = verdict_on(job, VerdictKind::KilledByDisconnect, 850);
    v.signal = 1;
    v.evidence = {{850 * kSec, "signal", "bash 815 forwarded SIGHUP"},
                  {850 * kSec, "exit", "sleep 901 killed by SIGHUP"}};
    s.on_finding(v);
}

TEST(ReportRecordTest, TheWhyPanelsEvidenceIsInTimeOrderAndSaysEachThingOnce) {
    const std::string path = temp_db("report-evidence.db");
    const Incident incident = write_store(path, write_told_twice);
    const ReportPage page =
        page_of(path, incident.since_wall_ns, incident.until_wall_ns, wall_now_ns());
    ASSERT_EQ(page.lanes.size(), 1u);
    ASSERT_EQ(labels(page.lanes[0].rows), (std::vector<std::string>{"bash 815/0", "sleep 901/1"}));
    const auto& evidence = page.lanes[0].rows[1].why.evidence;
    ASSERT_EQ(evidence.size(), 3u) << ::testing::PrintToString(evidence);
    EXPECT_NE(evidence[0].find("setpgid"), std::string::npos) << evidence[0];
    EXPECT_NE(evidence[1].find("signal: bash 815 forwarded SIGHUP"), std::string::npos)
        << evidence[1];
    EXPECT_NE(evidence[2].find("exit: sleep 901 killed by SIGHUP"), std::string::npos)
        << evidence[2];
}

TEST(ReportTimeTest, AxesOfDaysAndYearsShowDates) {
    ScopedTimeZone utc("UTC");
    // 1970 to 2100: round decades, dated, spread over the window.
    const std::int64_t until = 4102444800LL * kSec;  // 2100-01-01
    auto ticks = time_ticks(0, until, 12);
    ASSERT_GE(ticks.size(), 4u);
    EXPECT_LE(ticks.size(), 12u);
    EXPECT_EQ(ticks.front().label.size(), 10u) << ticks.front().label;  // YYYY-MM-DD
    EXPECT_GT(ticks.back().wall_ns, until / 2);
    // Three days: the date with the clock.
    ticks = time_ticks(kOffset, kOffset + 3 * 24 * 3600 * kSec, 12);
    ASSERT_FALSE(ticks.empty());
    EXPECT_EQ(ticks[0].label, "11-29 00:00");
    // Within a day: the clock alone, as before.
    ticks = time_ticks(kOffset, kOffset + 3600 * kSec, 12);
    ASSERT_FALSE(ticks.empty());
    EXPECT_EQ(ticks[0].label, "13:00:00");
}

TEST(ReportRecordTest, EdgeLabelsReadInwardsGapsAreNamedBelowTheCaptionsAndJobsAreInTheLegend) {
    const std::string path = temp_db("report-cosmetic.db");
    const Incident incident = write_incident(path, 2);
    EventStoreReader store(path);
    ReportInput in = read_report_input(store, incident.since_wall_ns, incident.until_wall_ns);
    const std::int64_t now = wall_now_ns();
    in.runs = {{incident.offset_ns, incident.offset_ns + 300 * kSec, "h"},
               {incident.offset_ns + 600 * kSec, INT64_MAX, "h", now}};
    ReportPage page = build_report_page(in, {}, now);
    page.ticks = {{page.since_wall_ns, "first"},
                  {(page.since_wall_ns + page.until_wall_ns) / 2, "mid"},
                  {page.until_wall_ns, "last"}};
    const std::string html = render_report_html(page);
    EXPECT_NE(html.find("class=\"tick edge-l\""), std::string::npos);
    EXPECT_NE(html.find("class=\"tick edge-r west\""), std::string::npos);
    EXPECT_NE(html.find("<g class=\"tick\""), std::string::npos);
    // The gap's label is not on the captions' first line (y 24).
    const std::size_t label = html.find("class=\"gaplabel");
    ASSERT_NE(label, std::string::npos);
    const std::string text = html.substr(label, html.find("</g>", label) - label);
    EXPECT_EQ(text.find("y=\"24\""), std::string::npos) << text;
    EXPECT_NE(html.find("<g class=\"p job\"><rect class=\"bar\""), std::string::npos);
}

}  // namespace
}  // namespace hupwatch::test
