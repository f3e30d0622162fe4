// The report against why and itself: a stored verdict reads the same on
// the page as in `hupwatch why`, and the labels of arrows close in time are
// laid out so that none writes over another.
#include <gtest/gtest.h>

#include "event_store_reader.h"
#include "report_fixture.h"
#include "report_page.h"
#include "story_sentence.h"
#include "why_render.h"
#include "why_report.h"

namespace hupwatch::test {
namespace {

ReportPage page_of(const std::string& path, const Incident& incident) {
    EventStoreReader store(path);
    const ReportInput input =
        read_report_input(store, incident.since_wall_ns, incident.until_wall_ns);
    return build_report_page(input, {}, wall_now_ns());
}

const ProcessBar& bar_of(const ReportPage& page, std::uint32_t pid) {
    for (const auto& lane : page.lanes)
        for (const auto& bar : lane.rows)
            if (bar.key.pid == pid) return bar;
    throw std::runtime_error("no bar for pid " + std::to_string(pid));
}

TEST(ReportReadsLikeWhyTest, AStoredVerdictIsTheSameSentenceInReportAndWhy) {
    const std::string path = temp_db("report-why.db");
    const Incident incident = write_incident(path, 2);
    const ReportPage page = page_of(path, incident);
    EventStoreReader store(path);
    for (std::uint32_t pid : {901u, 902u}) {
        auto why = build_why_report(store, pid, std::nullopt);
        ASSERT_TRUE(why) << pid;
        ASSERT_EQ(why->verdicts.size(), 1u) << pid;
        const std::string line = verdict_line(why->verdicts[0].fact);
        EXPECT_EQ(bar_of(page, pid).why.verdicts, std::vector<std::string>{line}) << pid;
        EXPECT_NE(why_text(*why, wall_now_ns()).find("  verdict    " + line + "\n"),
                  std::string::npos)
            << why_text(*why, wall_now_ns());
    }
    EXPECT_EQ(bar_of(page, 901).why.verdicts[0],
              "killed_by_disconnect: migrate.sh 901 killed by SIGHUP after 13m10s (disconnect of "
              "session 815, forwarded by bash 815)");
    EXPECT_EQ(bar_of(page, 902).why.verdicts[0],
              "orphaned: sleep 902 orphaned by the disconnect, survived: sighup_ignored, now "
              "under systemd 1 (init)");
    // Lineage as why tells it: the correlator's, at the verdict.
    EXPECT_EQ(bar_of(page, 902).why.lineage, std::vector<std::string>{"bash 815"});
}

TEST(ReportReadsLikeWhyTest, AJobBornBeforeTheWindowIsReadBackByPidAsWhyReadsIt) {
    const std::string path = temp_db("report-before.db");
    Incident incident = write_incident(path, 2);
    incident.since_wall_ns += 500 * kSec;  // after the job's fork and exec (110 s)
    const ReportPage page = page_of(path, incident);
    ASSERT_FALSE(page.lanes.empty());
    const Lane& lane = page.lanes[0];
    ASSERT_EQ(lane.sid, 815u);
    // Its parent, from its fork before the window: indented under bash.
    ASSERT_EQ(lane.rows.size(), 3u);
    EXPECT_EQ(lane.rows[0].label, "bash 815");
    EXPECT_EQ(lane.rows[1].label, "migrate.sh 901");
    EXPECT_EQ(lane.rows[1].depth, 1);
    EXPECT_TRUE(lane.rows[1].born_before);
    EXPECT_EQ(lane.rows[1].from_wall_ns, incident.since_wall_ns);
    // Its command line, from its exec before the window, as why shows it.
    EventStoreReader store(path);
    auto why = build_why_report(store, 901, std::nullopt);
    ASSERT_TRUE(why);
    EXPECT_EQ(lane.rows[1].why.command, "/bin/bash ./migrate.sh --password=***");
    EXPECT_EQ(why->process.argv,
              (std::vector<std::string>{"/bin/bash", "./migrate.sh", "--password=***"}));
    // The psql children lived and died before the window: not in it.
    EXPECT_TRUE(lane.folded.empty());
}

// A hangup's burst: twelve signals from outside the lane within 60 ms, and
// four more spread over the window, each arrow captioned above the rows.
void write_burst(EventSink& s) {
    auto bash = proc(815, 2, 812, 815, "bash");
    auto job = proc(901, 110, 815, 815, "sleep");
    auto sender = proc(812, 1, 1, 812, "sshd", 0);
    sender.tty_dev = 0;
    s.on_event(fork_of(bash, 1));
    s.on_event(fork_of(job, 2));
    for (int i = 0; i < 16; ++i) {
        const bool burst = i < 12;
        auto e = signal_of(i % 2 ? job : bash, burst ? 500 : 100 + 200 * (i - 12), sender,
                           SignalOrigin::User);
        if (burst) e.ktime_ns += static_cast<std::uint64_t>(i) * 5'000'000;
        s.on_event(e);
    }
}

bool overlap(const LaneArrow::Box& a, const LaneArrow::Box& b) {
    return a.line == b.line && a.x0 < b.x1 && b.x0 < a.x1;
}

TEST(ReportLabelLayoutTest, LabelsOfArrowsCloseInTimeDoNotOverlap) {
    const std::string path = temp_db("report-burst.db");
    const ReportPage page = page_of(path, write_store(path, write_burst));
    ASSERT_EQ(page.lanes.size(), 1u);
    const Lane& lane = page.lanes[0];
    ASSERT_EQ(lane.arrows.size(), 16u);
    std::vector<LaneArrow::Box> boxes;
    for (const auto& a : lane.arrows) {
        ASSERT_TRUE(a.box) << a.caption;
        EXPECT_EQ(a.caption, "SIGHUP (user, delivered) from sshd 812");
        EXPECT_GT(a.box->x1 - a.box->x0, 200.0);  // the caption's width, not a point
        EXPECT_LT(a.box->line, lane.label_lines);
        boxes.push_back(*a.box);
    }
    for (std::size_t i = 0; i < boxes.size(); ++i)
        for (std::size_t j = i + 1; j < boxes.size(); ++j)
            EXPECT_FALSE(overlap(boxes[i], boxes[j]))
                << "arrows " << i << " and " << j << " on line " << boxes[i].line << ": ["
                << boxes[i].x0 << ", " << boxes[i].x1 << ") and [" << boxes[j].x0 << ", "
                << boxes[j].x1 << ")";
    // 1 px a second, 247 px a caption: the captions at 100 s and 300 s take
    // lines 0 and 1, the thirteen at 500 s lines 0 to 12 (the first two
    // after the earlier ones), and the one at 700 s, overlapping them all,
    // a fourteenth.
    EXPECT_EQ(lane.label_lines, 14);
}

}  // namespace
}  // namespace hupwatch::test
