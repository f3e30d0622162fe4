// The report's page model on a synthetic store written by the store's own
// writer and read back through the one read path: lanes, markers, arrows,
// folding, gaps and times; then the HTML it renders.
#include "report_page.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "event_store_reader.h"
#include "report_fixture.h"
#include "report_html.h"
#include "report_time.h"
#include "scoped_time_zone.h"

namespace hupwatch::test {
namespace {

class ReportPageTest : public ::testing::Test {
   protected:
    static void SetUpTestSuite() {
        path_ = temp_db("report.db");
        incident_ = write_incident(path_, 6);
    }

    static ReportInput input() {
        EventStoreReader store(path_);
        return read_report_input(store, incident_.since_wall_ns, incident_.until_wall_ns);
    }
    static ReportPage page(const ReportQuery& query = {}) {
        static const ReportInput in = input();
        return build_report_page(in, query, wall_now_ns());
    }
    static std::int64_t at(std::int64_t boot_s) { return incident_.offset_ns + boot_s * kSec; }

    static inline std::string path_;
    static inline Incident incident_;
};

std::vector<std::string> labels(const std::vector<ProcessBar>& bars) {
    std::vector<std::string> out;
    for (const auto& b : bars) out.push_back(b.label + "/" + std::to_string(b.depth));
    return out;
}

TEST_F(ReportPageTest, LanesDrawJobsAndVerdictsIndentedByLineageAndFoldTheRest) {
    const ReportPage p = page();
    ASSERT_EQ(p.lanes.size(), 2u);
    const Lane& lane = p.lanes[0];
    EXPECT_EQ(lane.sid, 815u);
    EXPECT_EQ(lane.title, "session 815: bash 815 (uid 1000) on pts/3");
    EXPECT_EQ(labels(lane.rows),
              (std::vector<std::string>{"bash 815/0", "migrate.sh 901/1", "sleep 902/1"}));
    ASSERT_EQ(lane.folded.size(), 6u);
    EXPECT_EQ(lane.folded[0].label, "psql 20000");
    EXPECT_TRUE(lane.eventful);

    const ProcessBar& killed = lane.rows[1];
    EXPECT_EQ(killed.verdict, "killed_by_disconnect");
    EXPECT_EQ(killed.death_label, "SIGHUP");
    EXPECT_EQ(killed.death_wall_ns, at(900));
    EXPECT_EQ(killed.from_wall_ns, at(110));
    EXPECT_EQ(killed.to_wall_ns, at(900));
    EXPECT_TRUE(killed.job);
    const ProcessBar& orphan = lane.rows[2];
    EXPECT_EQ(orphan.verdict, "orphaned");
    EXPECT_EQ(orphan.cause, "sighup_ignored");
    EXPECT_EQ(orphan.output_lost_wall_ns, at(905));
    EXPECT_TRUE(orphan.alive_after);
    EXPECT_EQ(orphan.to_wall_ns, at(1000));
    EXPECT_FALSE(orphan.at_risk);

    const Lane& bob = p.lanes[1];
    EXPECT_EQ(bob.sid, 1000u);
    EXPECT_EQ(labels(bob.rows), (std::vector<std::string>{"bash 1000/0", "sleep 1001/1"}));
    EXPECT_TRUE(bob.rows[1].at_risk);
}

TEST_F(ReportPageTest, MarkersAndArrowsGoFromSenderToTarget) {
    const Lane lane = page().lanes[0];
    ASSERT_EQ(lane.markers.size(), 1u);
    EXPECT_EQ(lane.markers[0].kind, MarkerKind::Disconnect);
    EXPECT_EQ(lane.markers[0].wall_ns, at(899));
    EXPECT_EQ(lane.markers[0].label.rfind("hangup by sshd 812 at ", 0), 0u)
        << lane.markers[0].label;

    ASSERT_EQ(lane.arrows.size(), 4u);
    const LaneArrow& kernel = lane.arrows[0];  // rows in order: bash's, 901's, 902's
    EXPECT_EQ(kernel.kind, ArrowKind::Signal);
    EXPECT_EQ(kernel.wall_ns, at(899));
    EXPECT_FALSE(kernel.from_row);
    EXPECT_EQ(kernel.outside, "sshd 812");
    EXPECT_EQ(kernel.to_row, 0u);
    EXPECT_EQ(kernel.origin, "kernel");
    const LaneArrow& forwarded = lane.arrows[1];
    EXPECT_EQ(forwarded.from_row, 0u);
    EXPECT_EQ(forwarded.to_row, 1u);
    EXPECT_EQ(forwarded.label, "SIGHUP");
    EXPECT_EQ(forwarded.origin, "user");
    EXPECT_EQ(forwarded.result, "delivered");
    const LaneArrow& ignored = lane.arrows[2];
    EXPECT_EQ(ignored.to_row, 2u);
    EXPECT_EQ(ignored.result, "ignored");
    const LaneArrow& reparent = lane.arrows[3];
    EXPECT_EQ(reparent.kind, ArrowKind::Reparent);
    EXPECT_EQ(reparent.wall_ns, at(901));
    EXPECT_EQ(reparent.from_row, 2u);
    EXPECT_FALSE(reparent.to_row);
    EXPECT_EQ(reparent.label, "to init 1");
}

TEST_F(ReportPageTest, SummaryCountsVerdictsByCauseAndReason) {
    const ReportSummary s = page().summary;
    EXPECT_EQ(s.killed_by_cause, (std::map<std::string, int>{{"killed_by_disconnect", 1}}));
    EXPECT_EQ(s.orphaned_by_reason, (std::map<std::string, int>{{"sighup_ignored", 1}}));
    EXPECT_EQ(s.at_risk, (std::vector<std::string>{"sleep 1001 in session 1000"}));
    ASSERT_EQ(s.sessions_hung_up.size(), 1u);
    EXPECT_EQ(s.sessions_hung_up[0].rfind("session 815 (alice on pts/3 bash 815) at ", 0), 0u);
    EXPECT_EQ(s.processes, 11u);
    EXPECT_EQ(s.folded, 6u);
    EXPECT_EQ(s.undecodable, 0u);
}

TEST_F(ReportPageTest, WhyCardReadsLikeWhy) {
    const ReportPage p = page();
    const WhyCard& why = p.lanes[0].rows[1].why;
    EXPECT_EQ(why.lineage, (std::vector<std::string>{"bash 815"}));
    EXPECT_EQ(why.command, "/bin/bash ./migrate.sh --password=***");
    EXPECT_EQ(why.end.rfind("killed by SIGHUP at ", 0), 0u) << why.end;
    ASSERT_EQ(why.verdicts.size(), 1u);
    EXPECT_NE(why.verdicts[0].find("killed_by_disconnect"), std::string::npos) << why.verdicts[0];
    ASSERT_FALSE(why.evidence.empty());
    EXPECT_NE(why.evidence[0].find("signal: bash 815 forwarded SIGHUP"), std::string::npos);
}

TEST_F(ReportPageTest, QueriesKeepASessionAUserOrAProcessWithItsLineage) {
    ReportQuery by_session;
    by_session.sid = 1000;
    auto p = page(by_session);
    ASSERT_EQ(p.lanes.size(), 1u);
    EXPECT_EQ(p.lanes[0].sid, 1000u);
    EXPECT_TRUE(p.summary.killed_by_cause.empty());

    ReportQuery by_user;
    by_user.uid = 1001;
    EXPECT_EQ(labels(page(by_user).lanes.at(0).rows),
              (std::vector<std::string>{"bash 1000/0", "sleep 1001/1"}));

    ReportQuery by_pid;
    by_pid.pid = 902;
    p = page(by_pid);
    ASSERT_EQ(p.lanes.size(), 1u);
    EXPECT_EQ(labels(p.lanes[0].rows), (std::vector<std::string>{"bash 815/0", "sleep 902/1"}));
    EXPECT_TRUE(p.lanes[0].folded.empty());
}

TEST_F(ReportPageTest, GapsAreWhereNoRunRecorded) {
    ReportInput in = input();
    EXPECT_TRUE(build_report_page(in, {}, wall_now_ns()).gaps.empty());
    in.runs = {{at(0), at(300), "h"}, {at(600), INT64_MAX, "h", wall_now_ns()}};  // still writing
    const auto gaps = build_report_page(in, {}, wall_now_ns()).gaps;
    ASSERT_EQ(gaps.size(), 1u);
    EXPECT_EQ(gaps[0].from_wall_ns, at(300));
    EXPECT_EQ(gaps[0].to_wall_ns, at(600));
    EXPECT_EQ(record_gaps({}, at(0), at(10)).size(), 1u);  // no run at all: one gap
}

TEST_F(ReportPageTest, ALineThatDoesNotDecodeIsCountedAndSkipped) {
    const std::string copy = temp_db("report-bad.db");
    std::filesystem::copy_file(path_, copy);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(copy.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "UPDATE events SET json = 'not json' WHERE id = "
                           "(SELECT id FROM events WHERE pid = 1001 AND type = 'exec')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    EventStoreReader store(copy);
    const ReportInput in =
        read_report_input(store, incident_.since_wall_ns, incident_.until_wall_ns);
    EXPECT_EQ(in.undecodable, 1u);
    EXPECT_EQ(in.first_undecodable.rfind("event ", 0), 0u) << in.first_undecodable;
    const ReportPage p = build_report_page(in, {}, wall_now_ns());
    EXPECT_EQ(p.summary.undecodable, 1u);
    EXPECT_EQ(p.summary.processes, 11u);  // sleep 1001 still drawn, from its fork
    EXPECT_NE(render_report_html(p).find("1 stored line did not decode (first: event "),
              std::string::npos);
}

TEST(ReportTimeTest, TicksFallOnRoundLocalTimesWithTheOffsetShown) {
    ScopedTimeZone tz("Asia/Kolkata");
    const std::int64_t t0 = kOffset + 30 * kSec;  // 2026-11-28T13:00:30Z, 18:30:30 local
    auto ticks = time_ticks(t0, t0 + 600 * kSec, 12);
    ASSERT_EQ(ticks.size(), 10u);
    EXPECT_EQ(ticks[0].wall_ns, kOffset + 60 * kSec);
    EXPECT_EQ(ticks[0].label, "18:31:00");
    EXPECT_EQ(ticks[9].label, "18:40:00");
    ticks = time_ticks(kOffset, kOffset + 36000 * kSec, 12);
    ASSERT_FALSE(ticks.empty());
    EXPECT_EQ(ticks[0].wall_ns, kOffset + 1800 * kSec);  // the local hour, half past in UTC
    EXPECT_EQ(ticks[0].label, "19:00:00");
    EXPECT_EQ(utc_offset_label(kOffset), "UTC+05:30");
    EXPECT_EQ(local_clock(kOffset + 1'500'000, true), "18:30:00.001");
    ScopedTimeZone ny("America/New_York");
    EXPECT_EQ(utc_offset_label(kOffset), "UTC-05:00");
}

TEST_F(ReportPageTest, HtmlDrawsVerdictsInlineAndEscapesWhatProcessesWrote) {
    const std::string html = render_report_html(page());
    EXPECT_NE(html.find("data-pid=\"901\" data-verdict=\"killed_by_disconnect\""),
              std::string::npos);
    EXPECT_NE(html.find("data-pid=\"902\" data-verdict=\"orphaned\" data-cause=\"sighup_ignored\""),
              std::string::npos);
    EXPECT_NE(html.find("6 other processes of session 815"), std::string::npos);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find(" src="), std::string::npos);
    EXPECT_NE(html.find("data-drawn-ms"), std::string::npos);
}

}  // namespace
}  // namespace hupwatch::test
