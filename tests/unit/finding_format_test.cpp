// Findings as JSON (the contract in docs/events.md) and as text lines.
#include "finding_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hupwatch {
namespace {

const BootClock kClock(1'700'000'000'000'000'000LL);  // boot = 2023-11-14T22:13:20Z

Verdict sample_killed() {
    Verdict v;
    v.kind = VerdictKind::KilledByDisconnect;
    v.ktime_ns = 100'000'000'000ULL;
    v.process = {901, 10'000'000'000ULL, "migrate.sh"};
    v.argv = {"/bin/bash", "./migrate.sh", "--step=\"2\""};
    v.ppid = 900;
    v.uid = 1000;
    v.user = "alice";
    v.sid = 900;
    v.tty_dev = (136u << 20) | 3;
    v.run_time_ns = 90'000'000'000ULL;
    v.lineage = {{900, 2'000'000'000ULL, "bash"}};
    v.evidence = {{99'000'000'000ULL, "disconnect", "session 900 hung up"},
                  {100'000'000'000ULL, "exit", "migrate.sh 901 killed by SIGHUP"}};
    v.signal = 1;
    v.via = ProcessRef{900, 2'000'000'000ULL, "bash"};
    v.disconnect_ktime_ns = 99'000'000'000ULL;
    v.disconnect_sid = 900;
    return v;
}

TEST(FindingJson, VerdictHasEveryKeyWithExactValues) {
    auto j = nlohmann::ordered_json::parse(to_json_line(sample_killed(), kClock));
    EXPECT_EQ(j["event"], "verdict");
    EXPECT_EQ(j["verdict"], "killed_by_disconnect");
    EXPECT_EQ(j["time"], "2023-11-14T22:15:00.000000Z");  // boot + 100 s
    EXPECT_EQ(j["started"], "2023-11-14T22:13:30.000000Z");
    EXPECT_EQ(j["pid"], 901);
    EXPECT_EQ(j["start_ns"], 10'000'000'000ULL);
    EXPECT_EQ(j["comm"], "migrate.sh");
    EXPECT_EQ(j["ppid"], 900);
    EXPECT_EQ(j["sid"], 900);
    EXPECT_EQ(j["tty"], "pts/3");
    EXPECT_EQ(j["uid"], 1000);
    EXPECT_EQ(j["user"], "alice");
    EXPECT_EQ(j["argv"][2], "--step=\"2\"");
    EXPECT_EQ(j["run_time_seconds"], 90.0);
    EXPECT_EQ(j["signal"], "SIGHUP");
    EXPECT_TRUE(j["exit_code"].is_null());
    EXPECT_EQ(j["via_pid"], 900);
    EXPECT_EQ(j["via_comm"], "bash");
    EXPECT_EQ(j["confidence"], "certain");
    EXPECT_EQ(j["disconnect_sid"], 900);
    EXPECT_TRUE(j["cause"].is_null());
    EXPECT_TRUE(j["survived_because"].is_null());
    EXPECT_TRUE(j["reaper"].is_null());
    EXPECT_EQ(j["output_lost"], false);
    ASSERT_EQ(j["lineage"].size(), 1u);
    EXPECT_EQ(j["lineage"][0]["comm"], "bash");
    ASSERT_EQ(j["evidence"].size(), 2u);
    EXPECT_EQ(j["evidence"][0]["kind"], "disconnect");
    // The documented key order.
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::vector<std::string> common = {"event", "time", "pid", "start_ns", "comm",
                                       "ppid",  "sid",  "tty", "uid"};
    ASSERT_GE(keys.size(), common.size());
    std::vector<std::string> head(keys.begin(), keys.begin() + static_cast<long>(common.size()));
    EXPECT_EQ(head, common);
}

TEST(FindingJson, OrphanAndDisconnect) {
    Verdict v = sample_killed();
    v.kind = VerdictKind::Orphaned;
    v.signal = 0;
    v.via.reset();
    v.cause = OrphanCause::Disconnect;
    v.survived_because = SurvivalReason::SighupIgnored;
    v.new_parent = ProcessRef{1, 0, "init"};
    v.reaper = ReaperKind::Init;
    v.output_lost = true;
    auto j = nlohmann::json::parse(to_json_line(v, kClock));
    EXPECT_EQ(j["verdict"], "orphaned");
    EXPECT_EQ(j["cause"], "disconnect");
    EXPECT_EQ(j["survived_because"], "sighup_ignored");
    EXPECT_EQ(j["new_parent_pid"], 1);
    EXPECT_EQ(j["reaper"], "init");
    EXPECT_EQ(j["output_lost"], true);
    EXPECT_TRUE(j["signal"].is_null());

    DisconnectFinding d;
    d.ktime_ns = 5;
    d.sid = 900;
    d.ppid = 812;
    d.tty_dev = (136u << 20) | 3;
    d.leader = {900, 2, "bash"};
    d.user = "alice\n\x1b[2J";
    d.hung_up_by_pid = 812;
    d.hung_up_by_comm = "sshd";
    auto dj = nlohmann::json::parse(to_json_line(d, kClock));
    EXPECT_EQ(dj["event"], "disconnect");
    EXPECT_EQ(dj["pid"], 900);
    EXPECT_EQ(dj["ppid"], 812);
    EXPECT_EQ(dj["tty"], "pts/3");
    EXPECT_EQ(dj["hung_up_by_comm"], "sshd");
    EXPECT_TRUE(dj["loginuid"].is_null());
    auto text = to_text_line(d, kClock);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "terminal-safe: " << text;
    EXPECT_NE(text.find("hung up by sshd 812"), std::string::npos) << text;
}

TEST(FindingText, SaysWhatHappenedInOneLine) {
    auto text = to_text_line(sample_killed(), kClock);
    EXPECT_NE(
        text.find("verdict  901 migrate.sh killed_by_disconnect: SIGHUP via bash 900 after 1m30s"),
        std::string::npos)
        << text;
}

TEST(FindingText, HumanDurations) {
    EXPECT_EQ(human_duration(850'000'000ULL), "850ms");
    EXPECT_EQ(human_duration(42'000'000'000ULL), "42s");
    EXPECT_EQ(human_duration(760'000'000'000ULL), "12m40s");
    EXPECT_EQ(human_duration(10'920'000'000'000ULL), "3h02m");
    EXPECT_EQ(human_duration(90'000'000'000'000ULL), "1d01h");
}

}  // namespace
}  // namespace hupwatch
