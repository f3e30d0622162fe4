// Human-readable lines: exact layout per event type, local time, and that no
// control sequence from a traced process reaches the terminal.
#include "event_text.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "boot_clock.h"
#include "events.h"
#include "scoped_time_zone.h"

namespace hupwatch {
namespace {

// 2026-11-28T08:21:24.123456789Z is boot time 3600.123456789 s.
constexpr std::int64_t kOffset = 1'795'850'484'000'000'000;
constexpr std::uint64_t kKtime = 3'600'123'456'789;
const BootClock kClock{kOffset};

class EventText : public ::testing::Test {
   protected:
    static void set_tz(const char* tz) { test::ScopedTimeZone::set(tz); }

   private:
    test::ScopedTimeZone time_zone_{"UTC"};
};

ProcessInfo proc(const char* comm) {
    ProcessInfo p;
    p.pid = 4242;
    p.ppid = 811;
    p.comm = comm;
    return p;
}

Event exit_with(std::int32_t raw, std::uint32_t orphans = 0, std::uint32_t overflow = 0) {
    ExitEvent e;
    e.proc = proc("sleep");
    e.raw_status = raw;
    e.orphans = orphans;
    e.orphans_overflow = overflow;
    return Event{kKtime, e};
}

bool has_terminal_control(const std::string& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 0x20 || c == 0x7f) return true;
        // UTF-8 C1 (U+0080..U+009F) or a bidi override (U+202A..U+202E).
        if (c == 0xc2 && i + 1 < line.size() && static_cast<unsigned char>(line[i + 1]) < 0xa0)
            return true;
        if (line.compare(i, 2, "\xe2\x80") == 0 && i + 2 < line.size() &&
            static_cast<unsigned char>(line[i + 2]) >= 0xaa &&
            static_cast<unsigned char>(line[i + 2]) <= 0xae)
            return true;
    }
    return false;
}

TEST_F(EventText, Exec) {
    ExecEvent x;
    x.proc = proc("bash");
    x.old_pid = 4242;
    x.filename = "/usr/bin/sleep";
    x.argv = {"sleep", "30"};
    EXPECT_EQ(to_text_line(Event{kKtime, x}, kClock),
              R"(08:21:24.123 exec     4242 bash      /usr/bin/sleep ["sleep","30"])");
    x.argv_truncated = true;
    x.old_pid = 4250;
    EXPECT_EQ(to_text_line(Event{kKtime, x}, kClock),
              R"(08:21:24.123 exec     4242 bash      /usr/bin/sleep ["sleep","30"])"
              " (argv truncated) (was thread 4250)");
    // Outside the host's pid namespace the old thread's number is unknown.
    x.old_pid = 0;
    EXPECT_EQ(to_text_line(Event{kKtime, x}, kClock),
              R"(08:21:24.123 exec     4242 bash      /usr/bin/sleep ["sleep","30"])"
              " (argv truncated) (was another thread)");
}

TEST_F(EventText, LocalTimeFollowsTz) {
    set_tz("UTC-2");  // POSIX sign: two hours east of UTC
    EXPECT_EQ(to_text_line(Event{kKtime, ForkEvent{proc("bash"), 0}}, kClock),
              "10:21:24.123 fork     4242 bash      parent 811");
}

TEST_F(EventText, Fork) {
    EXPECT_EQ(to_text_line(Event{kKtime, ForkEvent{proc("bash"), 0}}, kClock),
              "08:21:24.123 fork     4242 bash      parent 811");
}

TEST_F(EventText, Exit) {
    EXPECT_EQ(to_text_line(exit_with(SIGHUP), kClock),
              "08:21:24.123 exit     4242 sleep     killed by SIGHUP");
    EXPECT_EQ(to_text_line(exit_with(3 << 8), kClock),
              "08:21:24.123 exit     4242 sleep     exited 3");
    EXPECT_EQ(to_text_line(exit_with(0x86, 2, 5), kClock),
              "08:21:24.123 exit     4242 sleep     killed by SIGABRT (core dumped), 7 orphaned");
}

TEST_F(EventText, Signal) {
    SignalEvent s;
    s.target = proc("sleep");
    s.sender_pid = 811;
    s.sender_comm = "sshd";
    s.sig = SIGHUP;
    s.origin = SignalOrigin::Kernel;
    EXPECT_EQ(to_text_line(Event{kKtime, s}, kClock),
              "08:21:24.123 signal   4242 sleep     SIGHUP from 811 sshd (kernel) delivered");
    s.origin = SignalOrigin::User;
    s.result = SignalResult::Ignored;
    s.sender_comm = "k\x1b[1m";
    EXPECT_EQ(to_text_line(Event{kKtime, s}, kClock),
              "08:21:24.123 signal   4242 sleep     SIGHUP from 811 k\\x1b[1m (user) ignored");
}

TEST_F(EventText, Reparent) {
    ReparentEvent r{proc("sleep"), 811, 0, 1, 0, ReaperKind::Init};
    EXPECT_EQ(to_text_line(Event{kKtime, r}, kClock),
              "08:21:24.123 reparent 4242 sleep     811 -> 1 (init)");
    r.new_ppid = 900;
    r.reaper = ReaperKind::Subreaper;
    EXPECT_EQ(to_text_line(Event{kKtime, r}, kClock),
              "08:21:24.123 reparent 4242 sleep     811 -> 900 (subreaper)");
}

TEST_F(EventText, Session) {
    SessionEvent s{proc("bash"), SessionCall::Setsid, 4242, 0, 0};
    EXPECT_EQ(to_text_line(Event{kKtime, s}, kClock),
              "08:21:24.123 setsid   4242 bash      new session 4242");
    s.ret = -1;
    EXPECT_EQ(to_text_line(Event{kKtime, s}, kClock),
              "08:21:24.123 setsid   4242 bash      failed EPERM");
    SessionEvent p{proc("bash"), SessionCall::Setpgid, 0, 4250, 4242};
    EXPECT_EQ(to_text_line(Event{kKtime, p}, kClock),
              "08:21:24.123 setpgid  4242 bash      pid 4250 pgid 4242 ok");
    p.ret = -13;
    EXPECT_EQ(to_text_line(Event{kKtime, p}, kClock),
              "08:21:24.123 setpgid  4242 bash      pid 4250 pgid 4242 failed EACCES");
}

TEST_F(EventText, ControlCharactersAreEscaped) {
    ExecEvent x;
    x.proc = proc("a\nb\x1b");
    x.old_pid = 4242;
    x.filename = "/tmp/\x1b]0;t\x07";
    x.argv = {"q\"b\\", std::string("nul\0x", 5), "\r\t\x7f",
              "\xc2\x9b"
              "31m",
              "\xe2\x80\xae"
              "txt"};
    const std::string line = to_text_line(Event{kKtime, x}, kClock);
    EXPECT_EQ(line, R"(08:21:24.123 exec     4242 a\nb\x1b  /tmp/\x1b]0;t\x07 )"
                    R"(["q\"b\\","nul\x00x","\r\t\x7f","\u{009b}31m","\u{202e}txt"])");
    EXPECT_FALSE(has_terminal_control(line));
}

TEST(EscapeForTerminal, ValidUtf8PassesAndInvalidBytesAreHex) {
    EXPECT_EQ(escape_for_terminal("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(escape_for_terminal("a\xff\xfe"
                                  "b"),
              "a\\xff\\xfeb");
    EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
    EXPECT_EQ(escape_for_terminal("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");  // overlong, 3 bytes
    EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
    EXPECT_EQ(escape_for_terminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
    EXPECT_EQ(escape_for_terminal("cut\xe2\x82"), "cut\\xe2\\x82");
    // A raw 0x9b is CSI to an 8-bit terminal.
    EXPECT_EQ(escape_for_terminal("\x9b"
                                  "2J"),
              "\\x9b2J");
}

TEST(EscapeForTerminal, QuotesOnlyWhenQuoted) {
    EXPECT_EQ(escape_for_terminal("say \"x\""), "say \"x\"");
    EXPECT_EQ(escape_for_terminal("say \"x\"", true), "say \\\"x\\\"");
    EXPECT_EQ(escape_for_terminal("a\\b"), "a\\\\b");
}

}  // namespace
}  // namespace hupwatch
