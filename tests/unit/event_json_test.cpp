// JSON lines: every key of every event type, hostile strings, exit status
// decoding, and the RFC 3339 time with a fixed clock offset.
#include "event_json.h"

#include <gtest/gtest.h>

#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boot_clock.h"
#include "events.h"

namespace hupwatch {
namespace {

using nlohmann::json;

// 2026-11-28T08:21:24.123456789Z is boot time 3600.123456789 s.
constexpr std::int64_t kOffset = 1'795'850'484'000'000'000;
constexpr std::uint64_t kKtime = 3'600'123'456'789;
const BootClock kClock{kOffset};

ProcessInfo sample_process() {
    ProcessInfo p;
    p.pid = 4242;
    p.tid = 4243;
    p.ppid = 811;
    p.pgid = 4242;
    p.sid = 811;
    p.uid = 1000;
    p.loginuid = 1000;
    p.audit_session = 7;
    p.tty_dev = (136u << 20) | 3;
    p.start_ns = 3'500'000'000'000;
    p.cgroup_id = 9876;
    p.comm = "bash";
    return p;
}

json parse_line(const Event& e) {
    const std::string line = to_json_line(e, kClock);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    return json::parse(line);  // throws, failing the test, on invalid JSON
}

std::vector<std::string> keys_in_order(const std::string& line) {
    std::vector<std::string> keys;
    const auto object = nlohmann::ordered_json::parse(line);
    for (const auto& item : object.items()) keys.push_back(item.key());
    return keys;
}

const std::vector<std::string> kCommonKeys = {
    "event", "time", "pid",  "start_ns", "comm",     "ppid",          "sid",
    "tty",   "uid",  "pgid", "tid",      "loginuid", "audit_session", "cgroup_id"};

std::vector<std::string> with_common(std::vector<std::string> extra) {
    std::vector<std::string> keys = kCommonKeys;
    keys.insert(keys.end(), extra.begin(), extra.end());
    return keys;
}

void expect_common(const json& j, const char* event_name) {
    EXPECT_EQ(j["event"], event_name);
    EXPECT_EQ(j["time"], "2026-11-28T08:21:24.123456Z");
    EXPECT_EQ(j["pid"], 4242);
    EXPECT_EQ(j["start_ns"], 3'500'000'000'000u);
    EXPECT_EQ(j["comm"], "bash");
    EXPECT_EQ(j["ppid"], 811);
    EXPECT_EQ(j["sid"], 811);
    EXPECT_EQ(j["tty"], "pts/3");
    EXPECT_EQ(j["uid"], 1000);
    EXPECT_EQ(j["pgid"], 4242);
    EXPECT_EQ(j["tid"], 4243);
    EXPECT_EQ(j["loginuid"], 1000);
    EXPECT_EQ(j["audit_session"], 7);
    EXPECT_EQ(j["cgroup_id"], 9876);
}

Event exit_with_status(std::int32_t raw) {
    ExitEvent e;
    e.proc = sample_process();
    e.raw_status = raw;
    return Event{kKtime, e};
}

TEST(BootClock, Rfc3339UsesTheOffsetAndTruncatesToMicroseconds) {
    EXPECT_EQ(kClock.rfc3339(kKtime), "2026-11-28T08:21:24.123456Z");
    EXPECT_EQ(kClock.wall_ns(kKtime), 1'795'854'084'123'456'789);
    EXPECT_EQ(BootClock{0}.rfc3339(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(BootClock{0}.rfc3339(999), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(BootClock{0}.rfc3339(1'000), "1970-01-01T00:00:00.000001Z");
    // Before the epoch the fraction still counts forward within the second.
    EXPECT_EQ(BootClock{-1'000}.rfc3339(0), "1969-12-31T23:59:59.999999Z");
}

TEST(BootClock, AWallTimeBeyondInt64SaturatesInsteadOfOverflowing) {
    // A stored or hostile line's boot time near 2^63 (UBSan's find).
    EXPECT_EQ(kClock.wall_ns(INT64_MAX), INT64_MAX);
    EXPECT_EQ(kClock.wall_ns(UINT64_MAX), INT64_MAX);
    EXPECT_EQ(BootClock{-5}.wall_ns(UINT64_MAX), INT64_MAX - 5);
    EXPECT_EQ(kClock.rfc3339(UINT64_MAX), "2262-04-11T23:47:16.854775Z");
}

TEST(BootClock, MeasuredOffsetIsRealtimeMinusBoottime) {
    const BootClock clock;
    timespec real{}, boot{};
    clock_gettime(CLOCK_BOOTTIME, &boot);
    clock_gettime(CLOCK_REALTIME, &real);
    const auto to_ns = [](const timespec& t) {
        return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
    };
    const std::int64_t expected = to_ns(real) - to_ns(boot);
    EXPECT_LT(std::abs(clock.offset_ns() - expected), 100'000'000);
}

TEST(EventJson, ForkHasCommonBlockAndParentStart) {
    Event e{kKtime, ForkEvent{sample_process(), 3'400'000'000'000}};
    const std::string line = to_json_line(e, kClock);
    EXPECT_EQ(keys_in_order(line), with_common({"parent_start_ns"}));
    const json j = json::parse(line);
    expect_common(j, "fork");
    EXPECT_EQ(j["parent_start_ns"], 3'400'000'000'000u);
}

TEST(EventJson, ForkExactLine) {
    ProcessInfo p = sample_process();
    p.loginuid = UINT32_MAX;
    p.audit_session = UINT32_MAX;
    p.tty_dev = 0;
    Event e{kKtime, ForkEvent{p, 1}};
    EXPECT_EQ(to_json_line(e, kClock),
              R"({"event":"fork","time":"2026-11-28T08:21:24.123456Z","pid":4242,)"
              R"("start_ns":3500000000000,"comm":"bash","ppid":811,"sid":811,"tty":null,)"
              R"("uid":1000,"pgid":4242,"tid":4243,"loginuid":null,"audit_session":null,)"
              R"("cgroup_id":9876,"parent_start_ns":1})");
}

TEST(EventJson, Exec) {
    ExecEvent x;
    x.proc = sample_process();
    x.old_pid = 4244;
    x.filename = "/usr/bin/sleep";
    x.argv = {"sleep", "30"};
    x.argv_truncated = true;
    x.argv_redacted = true;
    const std::string line = to_json_line(Event{kKtime, x}, kClock);
    EXPECT_EQ(keys_in_order(line),
              with_common({"filename", "argv", "argv_truncated", "argv_redacted", "old_pid"}));
    const json j = json::parse(line);
    expect_common(j, "exec");
    EXPECT_EQ(j["filename"], "/usr/bin/sleep");
    EXPECT_EQ(j["argv"], json::array({"sleep", "30"}));
    EXPECT_EQ(j["argv_truncated"], true);
    EXPECT_EQ(j["argv_redacted"], true);
    EXPECT_EQ(j["old_pid"], 4244);
}

TEST(EventJson, ExecWithEmptyArgvIsAnEmptyArray) {
    ExecEvent x;
    x.proc = sample_process();
    const json j = parse_line(Event{kKtime, x});
    EXPECT_TRUE(j["argv"].is_array());
    EXPECT_TRUE(j["argv"].empty());
    EXPECT_EQ(j["argv_truncated"], false);
}

TEST(EventJson, ExitKeys) {
    Event e = exit_with_status(3 << 8);
    auto& x = std::get<ExitEvent>(e.body);
    x.orphans = 2;
    x.orphans_overflow = 5;
    x.utime_ns = 1'500'000;
    x.stime_ns = 250'000;
    const std::string line = to_json_line(e, kClock);
    EXPECT_EQ(keys_in_order(line), with_common({"exit_code", "signal", "core_dumped", "utime_ns",
                                                "stime_ns", "orphans", "orphans_overflow"}));
    const json j = json::parse(line);
    expect_common(j, "exit");
    EXPECT_EQ(j["utime_ns"], 1'500'000);
    EXPECT_EQ(j["stime_ns"], 250'000);
    EXPECT_EQ(j["orphans"], 2);
    EXPECT_EQ(j["orphans_overflow"], 5);
}

TEST(EventJson, ExitStatusDecoding) {
    const json exited = parse_line(exit_with_status(3 << 8));
    EXPECT_EQ(exited["exit_code"], 3);
    EXPECT_TRUE(exited["signal"].is_null());
    EXPECT_EQ(exited["core_dumped"], false);

    const json zero = parse_line(exit_with_status(0));
    EXPECT_EQ(zero["exit_code"], 0);
    EXPECT_TRUE(zero["signal"].is_null());

    const json hup = parse_line(exit_with_status(SIGHUP));
    EXPECT_TRUE(hup["exit_code"].is_null());
    EXPECT_EQ(hup["signal"], "SIGHUP");
    EXPECT_EQ(hup["core_dumped"], false);

    const json core = parse_line(exit_with_status(0x86));
    EXPECT_TRUE(core["exit_code"].is_null());
    EXPECT_EQ(core["signal"], "SIGABRT");
    EXPECT_EQ(core["core_dumped"], true);

    EXPECT_EQ(parse_line(exit_with_status(255 << 8))["exit_code"], 255);
}

TEST(EventJson, Signal) {
    SignalEvent s;
    s.target = sample_process();
    s.sender_pid = 811;
    s.sender_start_ns = 1'000'000'000;
    s.sender_comm = "sshd";
    s.sig = SIGHUP;
    s.si_code = 0x80;
    s.origin = SignalOrigin::Kernel;
    s.result = SignalResult::AlreadyPending;
    s.group = true;
    const std::string line = to_json_line(Event{kKtime, s}, kClock);
    EXPECT_EQ(
        keys_in_order(line),
        with_common({"signal", "sender_pid", "sender_start_ns", "sender_comm", "origin", "result",
                     "si_code", "group", "no_info", "sender_uid", "sender_loginuid"}));
    const json j = json::parse(line);
    expect_common(j, "signal");
    EXPECT_EQ(j["signal"], "SIGHUP");
    EXPECT_EQ(j["sender_pid"], 811);
    EXPECT_EQ(j["sender_start_ns"], 1'000'000'000);
    EXPECT_EQ(j["sender_comm"], "sshd");
    EXPECT_EQ(j["origin"], "kernel");
    EXPECT_EQ(j["result"], "already_pending");
    EXPECT_EQ(j["si_code"], 0x80);
    EXPECT_EQ(j["group"], true);
    EXPECT_EQ(j["no_info"], false);
}

TEST(EventJson, SignalResultsAndOrigins) {
    SignalEvent s;
    s.target = sample_process();
    s.sig = SIGRTMIN + 2;
    s.si_code = -6;  // SI_TKILL: negative codes must survive
    const std::pair<SignalResult, const char*> results[] = {
        {SignalResult::Delivered, "delivered"},
        {SignalResult::Ignored, "ignored"},
        {SignalResult::AlreadyPending, "already_pending"},
        {SignalResult::Overflow, "overflow"},
        {SignalResult::LostInfo, "lost_info"},
        {SignalResult::Unknown, "unknown"}};
    for (const auto& [result, name] : results) {
        s.result = result;
        const json j = parse_line(Event{kKtime, s});
        EXPECT_EQ(j["result"], name);
        EXPECT_EQ(j["origin"], "user");
        EXPECT_EQ(j["signal"], "SIGRTMIN+2");
        EXPECT_EQ(j["si_code"], -6);
    }
}

TEST(EventJson, Reparent) {
    ReparentEvent r{sample_process(), 811, 1'000, 1, 10, ReaperKind::Subreaper};
    const std::string line = to_json_line(Event{kKtime, r}, kClock);
    EXPECT_EQ(keys_in_order(line), with_common({"old_ppid", "old_parent_start_ns", "new_ppid",
                                                "new_parent_start_ns", "reaper"}));
    const json j = json::parse(line);
    expect_common(j, "reparent");
    EXPECT_EQ(j["old_ppid"], 811);
    EXPECT_EQ(j["old_parent_start_ns"], 1'000);
    EXPECT_EQ(j["new_ppid"], 1);
    EXPECT_EQ(j["new_parent_start_ns"], 10);
    EXPECT_EQ(j["reaper"], "subreaper");
    r.reaper = ReaperKind::Init;
    EXPECT_EQ(parse_line(Event{kKtime, r})["reaper"], "init");
}

TEST(EventJson, SetsidSuccessAndFailure) {
    SessionEvent s{sample_process(), SessionCall::Setsid, 4242, 0, 0};
    const std::string line = to_json_line(Event{kKtime, s}, kClock);
    EXPECT_EQ(keys_in_order(line), with_common({"ret", "error"}));
    json j = json::parse(line);
    expect_common(j, "setsid");
    EXPECT_EQ(j["ret"], 4242);
    EXPECT_TRUE(j["error"].is_null());

    s.ret = -1;
    j = parse_line(Event{kKtime, s});
    EXPECT_EQ(j["ret"], -1);
    EXPECT_EQ(j["error"], "EPERM");
}

TEST(EventJson, Setpgid) {
    SessionEvent s{sample_process(), SessionCall::Setpgid, 0, 4250, 4242};
    const std::string line = to_json_line(Event{kKtime, s}, kClock);
    EXPECT_EQ(keys_in_order(line), with_common({"ret", "error", "target_pid", "target_pgid"}));
    json j = json::parse(line);
    expect_common(j, "setpgid");
    EXPECT_EQ(j["ret"], 0);
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_EQ(j["target_pid"], 4250);
    EXPECT_EQ(j["target_pgid"], 4242);

    s.ret = -13;
    EXPECT_EQ(parse_line(Event{kKtime, s})["error"], "EACCES");
}

TEST(EventJson, HostileStringsStayValidJson) {
    ExecEvent x;
    x.proc = sample_process();
    x.proc.comm = "a\"b\\c\nd";
    x.filename = std::string("/tmp/\x1b[2J\x07", 9);
    x.argv = {
        "say \"hi\"",
        "back\\slash",
        "line\nbreak\r\ttab",
        "\x1b]0;pwned\x07",
        std::string("nul\0inside", 10),
        "\x01\x1f\x7f",
    };
    const std::string line = to_json_line(Event{kKtime, x}, kClock);
    // No raw control byte may reach the output.
    for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << line;
    const json j = json::parse(line);
    EXPECT_EQ(j["comm"], "a\"b\\c\nd");
    EXPECT_EQ(j["filename"], std::string("/tmp/\x1b[2J\x07", 9));
    EXPECT_EQ(j["argv"].get<std::vector<std::string>>(), x.argv);
    EXPECT_NE(line.find(R"("\u001b]0;pwned\u0007")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"("nul\u0000inside")"), std::string::npos) << line;
}

TEST(EventJson, InvalidUtf8BecomesReplacementCharacters) {
    const std::string fffd = "\xef\xbf\xbd";
    ExecEvent x;
    x.proc = sample_process();
    x.proc.comm = "\xff\xfe";
    x.filename = "/bin/caf\xc3\xa9";  // valid UTF-8 passes through unchanged
    x.argv = {
        "a\xff\xfe"
        "b",
        "x\xc0\xaf"
        "y",  // overlong '/'
        "x\xe0\x80\xaf"
        "y",             // overlong '/', three bytes
        "\xed\xa0\x80",  // UTF-16 surrogate
        "cut\xe2\x82",   // sequence cut at the end
        "\xe2\x82\xac \xf0\x9f\x98\x80",
    };
    std::string line;
    ASSERT_NO_THROW(line = to_json_line(Event{kKtime, x}, kClock));
    const json j = json::parse(line);
    EXPECT_EQ(j["comm"], fffd + fffd);
    EXPECT_EQ(j["filename"], "/bin/caf\xc3\xa9");
    const std::vector<std::string> expected = {
        "a" + fffd + fffd + "b",
        "x" + fffd + fffd + "y",
        "x" + fffd + fffd + fffd + "y",
        fffd + fffd + fffd,
        "cut" + fffd,
        "\xe2\x82\xac \xf0\x9f\x98\x80",
    };
    EXPECT_EQ(j["argv"].get<std::vector<std::string>>(), expected);
}

TEST(EventJson, SenderCommIsSanitisedToo) {
    SignalEvent s;
    s.target = sample_process();
    s.sender_comm = "evil\xff\n";
    const json j = parse_line(Event{kKtime, s});
    EXPECT_EQ(j["sender_comm"], "evil\xef\xbf\xbd\n");
}

TEST(EventJson, LargeIdentityValuesAreExactIntegers) {
    ProcessInfo p = sample_process();
    p.start_ns = UINT64_MAX - 1;
    p.cgroup_id = (1ull << 53) + 1;  // past a double's exact range
    const std::string line = to_json_line(Event{kKtime, ForkEvent{p, 0}}, kClock);
    EXPECT_NE(line.find("\"start_ns\":18446744073709551614"), std::string::npos);
    EXPECT_NE(line.find("\"cgroup_id\":9007199254740993"), std::string::npos);
}

}  // namespace
}  // namespace hupwatch
