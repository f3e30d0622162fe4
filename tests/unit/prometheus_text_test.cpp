// The text exposition format: exact output for a small snapshot, escaping of
// hostile label values, and (when promtool is installed) promtool's verdict
// on a full rendering from a MetricsState fed with sample data.
#include "prometheus_text.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "metrics_state.h"
#include "skip_or_fail.h"

namespace hupwatch {
namespace {

TEST(PrometheusText, RendersGoldenText) {
    MetricsSnapshot snapshot;
    // Deliberately out of order: output is sorted by family name, then labels.
    snapshot.families.push_back(
        MetricFamily{"hupwatch_orphaned_jobs",
                     MetricType::Gauge,
                     "Orphaned jobs alive now.",
                     {MetricSample{{{"user", "bob"}, {"comm", "rsync"}}, 1},
                      MetricSample{{{"user", "alice"}, {"comm", "sleep"}}, 2},
                      MetricSample{{{"user", "alice"}, {"comm", "migrate.sh"}}, 0}}});
    snapshot.families.push_back(MetricFamily{
        "hupwatch_disconnects_total", MetricType::Counter, "Sessions hung up.", {{{}, 3}}});
    snapshot.families.push_back(MetricFamily{"hupwatch_orphaned_job_cpu_seconds_total",
                                             MetricType::Counter,
                                             "CPU time.",
                                             {{{{"user", "alice"}, {"comm", "sleep"}}, 1.25}}});
    const char* expected =
        "# HELP hupwatch_disconnects_total Sessions hung up.\n"
        "# TYPE hupwatch_disconnects_total counter\n"
        "hupwatch_disconnects_total 3\n"
        "# HELP hupwatch_orphaned_job_cpu_seconds_total CPU time.\n"
        "# TYPE hupwatch_orphaned_job_cpu_seconds_total counter\n"
        "hupwatch_orphaned_job_cpu_seconds_total{user=\"alice\",comm=\"sleep\"} 1.25\n"
        "# HELP hupwatch_orphaned_jobs Orphaned jobs alive now.\n"
        "# TYPE hupwatch_orphaned_jobs gauge\n"
        "hupwatch_orphaned_jobs{user=\"alice\",comm=\"migrate.sh\"} 0\n"
        "hupwatch_orphaned_jobs{user=\"alice\",comm=\"sleep\"} 2\n"
        "hupwatch_orphaned_jobs{user=\"bob\",comm=\"rsync\"} 1\n";
    EXPECT_EQ(render_prometheus_text(snapshot), expected);
}

TEST(PrometheusText, EmptyFamilyKeepsHelpAndType) {
    MetricsSnapshot snapshot;
    snapshot.families.push_back(
        MetricFamily{"hupwatch_signals_total", MetricType::Counter, "Signals.", {}});
    EXPECT_EQ(render_prometheus_text(snapshot),
              "# HELP hupwatch_signals_total Signals.\n# TYPE hupwatch_signals_total counter\n");
}

TEST(PrometheusText, EscapesHostileLabelValues) {
    EXPECT_EQ(escape_label_value("plain"), "plain");
    EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
    EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
    EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
    // Tabs and other controls are legal inside a quoted value.
    EXPECT_EQ(escape_label_value("a\tb"), "a\tb");
    EXPECT_EQ(escape_label_value("\xff\xfe"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    // Valid multibyte text is kept as is.
    EXPECT_EQ(escape_label_value("caf\xC3\xA9"), "caf\xC3\xA9");

    MetricsSnapshot snapshot;
    snapshot.families.push_back(
        MetricFamily{"hupwatch_orphaned_jobs",
                     MetricType::Gauge,
                     "Jobs.",
                     {MetricSample{{{"user", "eve"}, {"comm", "x\"} 1\nfake 9 \\\xff"}}, 1}}});
    EXPECT_EQ(render_prometheus_text(snapshot),
              "# HELP hupwatch_orphaned_jobs Jobs.\n"
              "# TYPE hupwatch_orphaned_jobs gauge\n"
              "hupwatch_orphaned_jobs{user=\"eve\","
              "comm=\"x\\\"} 1\\nfake 9 \\\\\xEF\xBF\xBD\"} 1\n");
}

TEST(PrometheusText, ReplacesInvalidUtf8PerMaximalSubpart) {
    // A truncated 3-byte sequence is one replacement, then the next byte.
    EXPECT_EQ(sanitize_utf8("\xE2\x82"
                            "A"),
              "\xEF\xBF\xBD"
              "A");
    // Overlong, surrogate and out-of-range encodings are invalid.
    EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"),
              "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
    EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), "\xEF\xBF\xBD");
    EXPECT_EQ(sanitize_utf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));
}

TEST(PrometheusText, EscapesHelp) {
    EXPECT_EQ(escape_help("line one\nline \"two\" \\ end"), "line one\\nline \"two\" \\\\ end");
}

TEST(PrometheusText, FormatsValues) {
    EXPECT_EQ(format_sample_value(0), "0");
    EXPECT_EQ(format_sample_value(42), "42");
    EXPECT_EQ(format_sample_value(-3), "-3");
    EXPECT_EQ(format_sample_value(1e15), "1000000000000000");
    EXPECT_EQ(format_sample_value(0.25), "0.25");
    EXPECT_EQ(format_sample_value(1.0 / 3), "0.3333333333333333");
    EXPECT_EQ(std::stod(format_sample_value(1e300)), 1e300);
    EXPECT_EQ(format_sample_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

// A MetricsState with something in every family, including hostile comms.
std::string full_exposition() {
    MetricsStateOptions options;
    options.comm_label_limit = 2;
    MetricsState state(options);
    state.set_orphan_cpu_probe([](std::uint32_t) { return std::optional<double>(1.5); });
    state.on_finding(DisconnectFinding{});
    std::uint32_t pid = 100;
    for (const char* comm : {"sleep", "bad\"comm\n\xff", "third"}) {  // "third" folds: "other"
        Verdict v;
        v.kind = VerdictKind::Orphaned;
        v.process = {pid++, 1, comm};
        v.user = "alice";
        v.cause = OrphanCause::Disconnect;
        v.reaper = ReaperKind::Init;
        state.on_finding(v);
    }
    Verdict killed;
    killed.kind = VerdictKind::KilledByDisconnect;
    state.on_finding(killed);
    SignalEvent sig;
    sig.sig = 1;
    sig.origin = SignalOrigin::Kernel;
    state.on_event(Event{1, sig});
    OutputLostEvent lost;
    lost.eio_writes = 7;
    state.on_event(Event{2, lost});
    state.set_audit({{{"bob", 2}}, {}, {}, 0, {}});
    MonitorCounters counters;
    counters.events_by_type[0] = 10;
    counters.kernel[HW_EV_EXEC] = 1;
    state.publish(5'000'000'000ULL, counters, 123);
    return render_prometheus_text(*state.snapshot());
}

TEST(PrometheusText, PromtoolAcceptsFullExposition) {
    const char* promtool = "/usr/bin/promtool";
    if (access(promtool, X_OK) != 0) {
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("promtool not installed (Debian package prometheus)");
    }
    std::string text = full_exposition();
    std::string path = testing::TempDir() + "hupwatch-metrics.prom";
    std::ofstream(path) << text;
    std::string command = std::string(promtool) + " check metrics < " + path + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buffer[512];
    while (std::fgets(buffer, sizeof(buffer), pipe)) output += buffer;
    int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
    EXPECT_EQ(output, "") << text;
    std::remove(path.c_str());
}

}  // namespace
}  // namespace hupwatch
