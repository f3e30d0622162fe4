// Signal, errno and terminal names.
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdint>

#include "signal_names.h"
#include "tty_names.h"

namespace hupwatch {
namespace {

constexpr std::uint32_t mkdev(std::uint32_t major, std::uint32_t minor) {
    return major << 20 | minor;
}

TEST(SignalNames, StandardSignals) {
    EXPECT_EQ(signal_name(SIGHUP), "SIGHUP");
    EXPECT_EQ(signal_name(SIGINT), "SIGINT");
    EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
    EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(signal_name(SIGCHLD), "SIGCHLD");
    EXPECT_EQ(signal_name(SIGWINCH), "SIGWINCH");
    EXPECT_EQ(signal_name(SIGSYS), "SIGSYS");
}

TEST(SignalNames, RealTimeAndUnknown) {
    EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
    EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
    EXPECT_EQ(signal_name(SIGRTMAX), "SIGRTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN));
    EXPECT_EQ(signal_name(0), "SIG0");
    EXPECT_EQ(signal_name(SIGRTMAX + 1), "SIG" + std::to_string(SIGRTMAX + 1));
    EXPECT_EQ(signal_name(-1), "SIG-1");
    // Kernel signals below the C library's SIGRTMIN (glibc keeps 32 and 33).
    for (int sig = 32; sig < SIGRTMIN; ++sig)
        EXPECT_EQ(signal_name(sig), "SIG" + std::to_string(sig));
}

TEST(SignalNames, ParseAcceptsEverySpelling) {
    for (const char* text : {"HUP", "SIGHUP", "sighup", "Hup", "1", "SIG1"})
        EXPECT_EQ(parse_signal(text), SIGHUP) << text;
    EXPECT_EQ(parse_signal("kill"), SIGKILL);
    EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
    EXPECT_EQ(parse_signal("IOT"), SIGABRT);
    EXPECT_EQ(parse_signal("rtmin"), SIGRTMIN);
    EXPECT_EQ(parse_signal("SIGRTMIN+2"), SIGRTMIN + 2);
    EXPECT_EQ(parse_signal("RTMAX-1"), SIGRTMAX - 1);
    EXPECT_EQ(parse_signal("SIGRTMAX"), SIGRTMAX);
    EXPECT_EQ(parse_signal("40"), 40);
}

TEST(SignalNames, ParseRejectsGarbage) {
    for (const char* text : {"", "SIG", "HUPX", "SIGSIGHUP", "0", "-1", "1x", " 1", "+1",
                             "SIGRTMIN+", "SIGRTMIN-1", "SIGRTMAX+1", "RTMIN+99", "999"})
        EXPECT_EQ(parse_signal(text), std::nullopt) << '"' << text << '"';
    EXPECT_EQ(parse_signal(std::to_string(SIGRTMAX + 1)), std::nullopt);
}

TEST(SignalNames, EveryNameParsesBack) {
    for (int sig = 1; sig <= SIGRTMAX; ++sig) EXPECT_EQ(parse_signal(signal_name(sig)), sig) << sig;
}

TEST(ErrnoNames, NamesAndFallback) {
    EXPECT_EQ(errno_name(EPERM), "EPERM");
    EXPECT_EQ(errno_name(EACCES), "EACCES");
    EXPECT_EQ(errno_name(99999), "E99999");
    EXPECT_EQ(syscall_error_name(0), std::nullopt);
    EXPECT_EQ(syscall_error_name(4242), std::nullopt);
    EXPECT_EQ(syscall_error_name(-ESRCH), "ESRCH");
    EXPECT_EQ(syscall_error_name(INT64_MIN), "E9223372036854775808");
}

TEST(TtyNames, NoTerminal) {
    EXPECT_EQ(tty_name(0), std::nullopt);
}

TEST(TtyNames, KernelDevEncoding) {
    EXPECT_EQ(tty_major(mkdev(136, 5)), 136u);
    EXPECT_EQ(tty_minor(mkdev(136, 5)), 5u);
    EXPECT_EQ(tty_minor(mkdev(136, 0xfffff)), 0xfffffu);
}

TEST(TtyNames, PseudoTerminals) {
    EXPECT_EQ(tty_name(mkdev(136, 0)), "pts/0");
    EXPECT_EQ(tty_name(mkdev(136, 3)), "pts/3");
    EXPECT_EQ(tty_name(mkdev(136, 300)), "pts/300");  // 20-bit minors stay in major 136
    EXPECT_EQ(tty_name(mkdev(137, 1)), "pts/257");
    EXPECT_EQ(tty_name(mkdev(143, 255)), "pts/2047");
}

TEST(TtyNames, ConsolesAndSerial) {
    EXPECT_EQ(tty_name(mkdev(4, 0)), "tty0");
    EXPECT_EQ(tty_name(mkdev(4, 1)), "tty1");
    EXPECT_EQ(tty_name(mkdev(4, 63)), "tty63");
    EXPECT_EQ(tty_name(mkdev(4, 64)), "ttyS0");
    EXPECT_EQ(tty_name(mkdev(4, 65)), "ttyS1");
    EXPECT_EQ(tty_name(mkdev(5, 0)), "tty");
    EXPECT_EQ(tty_name(mkdev(5, 1)), "console");
    EXPECT_EQ(tty_name(mkdev(5, 2)), "ptmx");
    EXPECT_EQ(tty_name(mkdev(166, 1)), "ttyACM1");
    EXPECT_EQ(tty_name(mkdev(188, 0)), "ttyUSB0");
}

TEST(TtyNames, UnknownMajorsShowNumbers) {
    EXPECT_EQ(tty_name(mkdev(5, 3)), "tty(5,3)");
    EXPECT_EQ(tty_name(mkdev(204, 64)), "tty(204,64)");
    EXPECT_EQ(tty_name(mkdev(0, 1)), "tty(0,1)");
}

}  // namespace
}  // namespace hupwatch
