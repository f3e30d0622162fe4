// ProcScanner over a fake proc tree built in a temp directory, plus one smoke
// test against the real /proc (readable without root).
#include "proc_scanner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "process_table.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;  // "a\0b\0"s keeps the NULs

constexpr std::uint64_t kTick = 10'000'000ULL;
constexpr std::uint32_t kPts3Nr = 34819;  // tty_nr of pts/3 in /proc/PID/stat
constexpr std::uint32_t kPts3Dev = (136u << 20) | 3u;

// A stat line as proc_pid_stat() prints it (52 fields on recent kernels).
std::string stat_line(std::uint32_t pid, const std::string& comm, std::uint32_t ppid,
                      std::uint32_t pgrp, std::uint32_t session, std::uint32_t tty_nr,
                      std::uint64_t starttime) {
    std::string s = std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " " +
                    std::to_string(pgrp) + " " + std::to_string(session) + " " +
                    std::to_string(tty_nr) + " " + std::to_string(pgrp) +  // tpgid
                    " 4194560 1093 0 0 0 3 1 0 0 20 0 1 0 " + std::to_string(starttime) +
                    " 8785920 1280 18446744073709551615";
    for (int i = 0; i < 27; ++i) s += " 0";
    return s + "\n";
}

class FakeProc : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "hupwatch-proc-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const std::string& rel, const std::string& content) {
        fs::path path = root_ / rel;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    // A complete process directory; loginuid/sessionid only when given.
    void add_process(std::uint32_t pid, const std::string& comm, std::uint32_t ppid,
                     std::uint32_t tty_nr, std::uint64_t starttime, std::uint32_t uid,
                     const std::string& cmdline, const char* loginuid, const char* sessionid) {
        std::string dir = std::to_string(pid) + "/";
        write(dir + "stat", stat_line(pid, comm, ppid, pid, ppid, tty_nr, starttime));
        write(dir + "status", "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\n" +
                                  "Uid:\t" + std::to_string(uid) + "\t1001\t1002\t1003\n" +
                                  "Gid:\t100\t100\t100\t100\n");
        write(dir + "cmdline", cmdline);
        if (loginuid) write(dir + "loginuid", loginuid);
        if (sessionid) write(dir + "sessionid", sessionid);
    }

    std::vector<ProcSnapshot> scan_sorted(ProcScanner& scanner) {
        auto out = scanner.scan();
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.info.pid < b.info.pid; });
        return out;
    }

    fs::path root_;
};

TEST(ProcStat, ParsesCommUpToLastParenthesis) {
    auto stat = parse_proc_stat(stat_line(1234, "a) (b c)", 1, 1234, 1, 0, 42));
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->pid, 1234u);
    EXPECT_EQ(stat->comm, "a) (b c)");
    EXPECT_EQ(stat->ppid, 1u);
    EXPECT_EQ(stat->starttime_ticks, 42u);
}

TEST(ProcStat, RejectsCutLines) {
    std::string full = stat_line(1234, "bash", 1, 1234, 1, 0, 123456);
    EXPECT_FALSE(parse_proc_stat("1234 (bash").has_value());
    EXPECT_FALSE(parse_proc_stat("").has_value());
    EXPECT_FALSE(parse_proc_stat("1234 (bash) S 1 1234 1 0").has_value());
    // Cut inside starttime: must not be read as 123.
    std::size_t at = full.find(" 123456 ");
    ASSERT_NE(at, std::string::npos);
    EXPECT_FALSE(parse_proc_stat(full.substr(0, at + 4)).has_value());
    EXPECT_TRUE(parse_proc_stat(full).has_value());
}

TEST(ProcStat, DecodesTtyNrAsNewEncodeDev) {
    EXPECT_EQ(tty_nr_to_dev(kPts3Nr), kPts3Dev);
    EXPECT_EQ(tty_nr_to_dev(0), 0u);
    // tty1: major 4, minor 1.
    EXPECT_EQ(tty_nr_to_dev((4u << 8) | 1u), (4u << 20) | 1u);
    // pts/300: the minor's high bits sit above the major in new_encode_dev().
    std::uint32_t nr = (300u & 0xff) | (136u << 8) | ((300u & ~0xffu) << 12);
    EXPECT_EQ(tty_nr_to_dev(nr), (136u << 20) | 300u);
}

TEST_F(FakeProc, ScansEveryNumericDirectory) {
    add_process(1, "systemd", 0, 0, 2, 0, "/sbin/init\0splash\0"s, "4294967295", "4294967295");
    add_process(1234, "we) ird (c)", 1, kPts3Nr, 12345, 1000, "bash\0-c\0echo hi\0"s, "1000", "7");
    add_process(42, "kworker/0:1", 2, 0, 5, 0, "", nullptr, nullptr);
    fs::create_symlink("/usr/bin/bash", root_ / "1234" / "exe");
    write("4242/stat", "4242 (half");                     // cut before ')'
    write("4243/stat", "4243 (cut) S 1 4243 4243 0 -1");  // cut after a few fields
    fs::create_directories(root_ / "77");                 // exited after readdir
    fs::create_directories(root_ / "self");
    fs::create_directories(root_ / "sys");
    fs::create_directories(root_ / "12abc");
    write("version", "Linux\n");

    ProcScanner scanner(root_, 100);
    EXPECT_EQ(scanner.tick_ns(), kTick);
    auto snaps = scan_sorted(scanner);

    ASSERT_EQ(snaps.size(), 3u);
    const ProcessInfo& init = snaps[0].info;
    EXPECT_EQ(init.pid, 1u);
    EXPECT_EQ(init.comm, "systemd");
    EXPECT_EQ(init.ppid, 0u);
    EXPECT_EQ(init.start_ns, 2 * kTick);
    EXPECT_EQ(init.loginuid, UINT32_MAX);
    EXPECT_EQ(init.audit_session, UINT32_MAX);
    EXPECT_EQ(snaps[0].argv, (std::vector<std::string>{"/sbin/init", "splash"}));
    EXPECT_EQ(snaps[0].exe, "");

    const ProcSnapshot& kworker = snaps[1];
    EXPECT_EQ(kworker.info.pid, 42u);
    EXPECT_EQ(kworker.info.tty_dev, 0u);
    EXPECT_EQ(kworker.info.loginuid, UINT32_MAX);  // no loginuid file: no CONFIG_AUDIT
    EXPECT_EQ(kworker.info.audit_session, UINT32_MAX);
    EXPECT_TRUE(kworker.argv.empty());

    const ProcSnapshot& bash = snaps[2];
    EXPECT_EQ(bash.info.pid, 1234u);
    EXPECT_EQ(bash.info.tid, 1234u);
    EXPECT_EQ(bash.info.comm, "we) ird (c)");
    EXPECT_EQ(bash.info.ppid, 1u);
    EXPECT_EQ(bash.info.pgid, 1234u);
    EXPECT_EQ(bash.info.sid, 1u);
    EXPECT_EQ(bash.info.uid, 1000u);  // real, not effective (1001)
    EXPECT_EQ(bash.info.loginuid, 1000u);
    EXPECT_EQ(bash.info.audit_session, 7u);
    EXPECT_EQ(bash.info.tty_dev, kPts3Dev);
    EXPECT_EQ(bash.info.start_ns, 12345 * kTick);
    EXPECT_EQ(bash.info.cgroup_id, 0u);
    EXPECT_EQ(bash.argv, (std::vector<std::string>{"bash", "-c", "echo hi"}));
    EXPECT_EQ(bash.exe, "/usr/bin/bash");
    EXPECT_EQ(bash.start_tick_ns, kTick);

    EXPECT_EQ(scanner.counters().scans, 1u);
    EXPECT_EQ(scanner.counters().malformed, 2u);
    EXPECT_EQ(scanner.counters().vanished, 1u);
    EXPECT_EQ(scanner.counters().unreadable, 0u);
}

TEST_F(FakeProc, StatusWithoutRealUidIsMalformed) {
    add_process(1, "init", 0, 0, 1, 0, "", nullptr, nullptr);
    add_process(10, "a", 1, 0, 1, 0, "", nullptr, nullptr);
    write("10/status", "Name:\ta\nUid:\t10");  // cut inside the Uid line
    ProcScanner scanner(root_, 100);
    const auto found = scanner.scan();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].info.pid, 1u);
    EXPECT_EQ(scanner.counters().malformed, 1u);
    // Present though not read: no one may take it for gone.
    EXPECT_EQ(scanner.unread(), std::vector<std::uint32_t>{10});
    EXPECT_TRUE(scanner.complete());
}

// /proc mounted hidepid=invisible, read without CAP_SYS_PTRACE, lists only
// the reader's own processes, never the namespace's init: the listing ran
// to its end, but what it lacks is hidden, not gone.
TEST_F(FakeProc, AListingWithoutInitIsNotEveryProcess) {
    add_process(10, "a", 1, 0, 1, 0, "", nullptr, nullptr);
    ProcScanner scanner(root_, 100);
    ASSERT_EQ(scanner.scan().size(), 1u);
    EXPECT_FALSE(scanner.complete()) << "pid 1 unlisted: hidden processes, not gone ones";

    add_process(1, "init", 0, 0, 1, 0, "", nullptr, nullptr);
    ASSERT_EQ(scanner.scan().size(), 2u);
    EXPECT_TRUE(scanner.complete());
}

TEST_F(FakeProc, MissingRootYieldsNothing) {
    ProcScanner scanner(root_ / "nope", 100);
    EXPECT_TRUE(scanner.scan().empty());
    EXPECT_EQ(scanner.counters().scans, 1u);
    EXPECT_FALSE(scanner.complete()) << "no listing: it proves no process gone";
}

TEST_F(FakeProc, SeededTableMatchesLaterPreciseEvent) {
    add_process(1, "systemd", 0, 0, 2, 0, "", nullptr, nullptr);
    add_process(1234, "we) ird (c)", 1, kPts3Nr, 12345, 1000, "bash\0"s, "1000", "7");
    ProcScanner scanner(root_, 100);
    ProcessTable table;
    table.seed(scanner.scan());
    ASSERT_EQ(table.size(), 2u);

    ProcessInfo seen;
    seen.pid = 1234;
    seen.tid = 1234;
    seen.ppid = 1;
    seen.pgid = 1234;
    seen.sid = 1;
    seen.uid = 1000;
    seen.tty_dev = kPts3Dev;
    seen.start_ns = 12345 * kTick + 9'999'999;  // last ns of the tick
    seen.cgroup_id = 4242;
    seen.comm = "we) ird (c)";
    ExitEvent exit;
    exit.proc = seen;
    exit.raw_status = 0x0900;
    table.apply(Event{200 * 1'000'000'000ULL, exit});

    ASSERT_EQ(table.size(), 2u);
    const ProcessEntry* e = table.find(1234, seen.start_ns);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->seeded);
    EXPECT_FALSE(e->start_from_proc);
    EXPECT_FALSE(e->alive);
    EXPECT_EQ(e->raw_status, 0x0900);
    EXPECT_EQ(e->info.cgroup_id, 4242u);
    EXPECT_EQ(e->argv, std::vector<std::string>{"bash"});
    auto chain = table.lineage(1234, seen.start_ns, 5);
    ASSERT_EQ(chain.size(), 1u);
    EXPECT_EQ(chain[0]->info.comm, "systemd");
}

TEST(ProcScannerLive, FindsThisProcess) {
    ProcScanner scanner;
    auto snaps = scanner.scan();
    auto self = std::find_if(snaps.begin(), snaps.end(), [](const ProcSnapshot& s) {
        return s.info.pid == static_cast<std::uint32_t>(::getpid());
    });
    ASSERT_NE(self, snaps.end());
    EXPECT_EQ(self->info.ppid, static_cast<std::uint32_t>(::getppid()));
    EXPECT_EQ(self->info.uid, static_cast<std::uint32_t>(::getuid()));
    EXPECT_FALSE(self->argv.empty());
    EXPECT_GT(self->start_tick_ns, 0u);
    EXPECT_EQ(scanner.counters().malformed, 0u);
}

}  // namespace
}  // namespace hupwatch
