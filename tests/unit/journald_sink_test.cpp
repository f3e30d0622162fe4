// The journal fields a finding becomes.
#include "journald_sink.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hupwatch {
namespace {

std::string field(const std::vector<std::pair<std::string, std::string>>& fields,
                  const std::string& key) {
    auto it =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
    return it == fields.end() ? "<absent>" : it->second;
}

TEST(JournaldSink, VerdictFields) {
    Verdict v;
    v.kind = VerdictKind::KilledByDisconnect;
    v.process = {901, 10, "migrate.sh"};
    v.argv = {"./migrate.sh", "--all"};
    v.sid = 900;
    v.uid = 1000;
    v.user = "alice";
    v.signal = 1;
    v.via = ProcessRef{900, 2, "bash"};
    JournaldSink sink;
    auto f = sink.fields(v);
    EXPECT_EQ(f[0].first, "MESSAGE");
    EXPECT_NE(f[0].second.find("killed_by_disconnect: SIGHUP via bash 900"), std::string::npos);
    EXPECT_EQ(field(f, "PRIORITY"), "4");
    EXPECT_EQ(field(f, "SYSLOG_IDENTIFIER"), "hupwatch");
    EXPECT_EQ(field(f, "HUPWATCH_EVENT"), "verdict");
    EXPECT_EQ(field(f, "HUPWATCH_VERDICT"), "killed_by_disconnect");
    EXPECT_EQ(field(f, "HUPWATCH_PID"), "901");
    EXPECT_EQ(field(f, "HUPWATCH_START_NS"), "10");
    EXPECT_EQ(field(f, "HUPWATCH_USER"), "alice");
    EXPECT_EQ(field(f, "HUPWATCH_SIGNAL"), "SIGHUP");
    EXPECT_EQ(field(f, "HUPWATCH_VIA_COMM"), "bash");
    EXPECT_EQ(field(f, "HUPWATCH_ARGV"), "[\"./migrate.sh\",\"--all\"]");
    EXPECT_EQ(field(f, "HUPWATCH_CAUSE"), "<absent>") << "nulls are left out";
}

TEST(JournaldSink, DisconnectAndOrphanPriorities) {
    JournaldSink sink;
    DisconnectFinding d;
    d.sid = 900;
    d.hung_up_by_comm = "sshd";
    auto f = sink.fields(d);
    EXPECT_EQ(field(f, "PRIORITY"), "5");
    EXPECT_EQ(field(f, "HUPWATCH_EVENT"), "disconnect");
    EXPECT_EQ(field(f, "HUPWATCH_HUNG_UP_BY_COMM"), "sshd");
    Verdict orphan;
    orphan.kind = VerdictKind::Orphaned;
    EXPECT_EQ(field(sink.fields(orphan), "PRIORITY"), "5");
    Verdict daemon;
    daemon.kind = VerdictKind::Daemonized;
    EXPECT_EQ(field(sink.fields(daemon), "PRIORITY"), "6");
}

// No journald socket: one warning at start, and each finding counted as an
// error, never a silent drop (issue 15).
TEST(JournaldSink, MissingSocketIsToldOnceAndCounted) {
    std::string missing = testing::TempDir() + "no-journal/socket";
    JournaldSink sink(HostIdentity::of_this_host(), missing);
    std::string warning;
    EXPECT_FALSE(sink.check(warning));
    EXPECT_EQ(warning, "hupwatch: --events.journald: no journald socket at " + missing +
                           " (No such file or directory); findings for the journal are lost "
                           "and counted in hupwatch_journald_errors_total");
    Verdict v;
    v.kind = VerdictKind::Orphaned;
    sink.on_finding(v);
    sink.on_finding(DisconnectFinding{});
    EXPECT_EQ(sink.errors(), 2u);
    EXPECT_EQ(sink.sent(), 0u);
    // A path that exists but is no socket is no journal either.
    JournaldSink not_socket(HostIdentity::of_this_host(), testing::TempDir());
    EXPECT_FALSE(not_socket.check(warning));
    EXPECT_NE(warning.find("(not a socket)"), std::string::npos) << warning;
}

}  // namespace
}  // namespace hupwatch
