// The forest and its classification over a fake proc tree in a temp
// directory: an SSH login without logind (everything in ssh.service) on
// pts/3 with one job of each kind, a tmux server with a pane on pts/4, a
// systemd service, kernel threads.
#include "process_forest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "proc_host_probe.h"
#include "proc_scanner.h"
#include "ps_command.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;  // "a\0b\0"s keeps the NULs

constexpr std::uint32_t kPts3Nr = 34819;  // tty_nr of pts/3 in /proc/PID/stat
constexpr std::uint32_t kPts4Nr = 34820;
constexpr std::uint64_t kTickNs = 10'000'000ULL;  // 100 ticks per second
constexpr std::uint32_t kNoUser = 4242424;        // no passwd entry: shown as the number

struct FakeProcess {
    std::uint32_t pid = 0;
    std::string comm{};
    std::uint32_t ppid = 0;
    std::uint32_t sid = 0;
    std::uint32_t tty_nr = 0;
    std::string cmdline{};  // NUL-separated
    std::string cgroup = "/system.slice/ssh.service";
    std::string sig_ign = "0000000000000000";
    std::string sig_cgt = "0000000000000000";
    std::string stdout_link{};  // empty: no fd directory (not readable)
    std::uint32_t uid = 0;
    const char* sessionid = nullptr;
    std::uint64_t start_ticks = 1000;
};

class ProcessForestTest : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "hupwatch-forest-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;

        add({.pid = 1,
             .comm = "systemd",
             .sid = 1,
             .cmdline = "/sbin/init\0"s,
             .cgroup = "/init.scope"});
        add({.pid = 2, .comm = "kthreadd", .cmdline = "", .cgroup = "/"});
        add({.pid = 3, .comm = "kworker/0:1", .ppid = 2, .cmdline = "", .cgroup = "/"});
        add({.pid = 500,
             .comm = "sshd",
             .ppid = 1,
             .sid = 500,
             .cmdline = "sshd: /usr/sbin/sshd -D\0"s});
        add({.pid = 600,
             .comm = "cron",
             .ppid = 1,
             .sid = 600,
             .cmdline = "/usr/sbin/cron\0-f\0"s,
             .cgroup = "/system.slice/cron.service"});
        add({.pid = 601,
             .comm = "backup.sh",
             .ppid = 600,
             .sid = 600,
             .cmdline = "/bin/sh\0backup.sh\0"s,
             .cgroup = "/system.slice/cron.service"});
        add({.pid = 1000,
             .comm = "sshd",
             .ppid = 500,
             .sid = 1000,
             .cmdline = "sshd: alice@pts/3\0"s,
             .sessionid = "7"});
        // The login shell and its jobs, all in ssh.service: no logind.
        add({.pid = 1001,
             .comm = "bash",
             .ppid = 1000,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "-bash\0"s,
             .sig_ign = "0000000000384004",
             .sig_cgt = "000000004b813efb",
             .stdout_link = "/dev/pts/3",
             .sessionid = "7"});
        add({.pid = 1010,
             .comm = "sleep",
             .ppid = 1001,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "sleep\0001000\0"s,
             .stdout_link = "/dev/pts/3",
             .sessionid = "7",
             .start_ticks = 2000});
        add({.pid = 1020,
             .comm = "sleep",
             .ppid = 1001,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "sleep\0001001\0"s,
             .sig_ign = "0000000000000001",
             .stdout_link = "/home/alice/nohup.out",
             .sessionid = "7"});
        add({.pid = 1030,
             .comm = "bash",
             .ppid = 1001,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "bash\0-c\0trap \"echo hup\" HUP; sleep 1002 & wait\0"s,
             .sig_cgt = "0000000000010001",
             .stdout_link = "/dev/pts/3 (deleted)",
             .sessionid = "7"});
        add({.pid = 1031,
             .comm = "sleep",
             .ppid = 1030,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "sleep\0001002\0"s,
             .stdout_link = "/dev/pts/3",
             .sessionid = "7"});
        // setsid sleep 1003: setsid(1) forked, so init is its parent.
        add({.pid = 1040,
             .comm = "sleep",
             .ppid = 1,
             .sid = 1040,
             .cmdline = "sleep\0001003\0"s,
             .stdout_link = "/dev/pts/3",
             .sessionid = "7"});
        add({.pid = 1050,
             .comm = "tmux: server",
             .ppid = 1,
             .sid = 1050,
             .cmdline = "tmux\0new\0-d\0"s,
             .sessionid = "7"});
        add({.pid = 1051,
             .comm = "bash",
             .ppid = 1050,
             .sid = 1051,
             .tty_nr = kPts4Nr,
             .cmdline = "-bash\0"s,
             .sessionid = "7"});
        add({.pid = 1052,
             .comm = "sleep",
             .ppid = 1051,
             .sid = 1051,
             .tty_nr = kPts4Nr,
             .cmdline = "sleep\0001005\0"s,
             .stdout_link = "/dev/pts/4",
             .sessionid = "7"});
        // (sleep 1004 &): its subshell exited; still in the login's session.
        add({.pid = 1060,
             .comm = "sleep",
             .ppid = 1,
             .sid = 1001,
             .tty_nr = kPts3Nr,
             .cmdline = "sleep\0001004\0"s,
             .uid = kNoUser,
             .sessionid = "7"});
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const std::string& rel, const std::string& content) {
        fs::path path = root_ / rel;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }

    // stat as proc_pid_stat() prints it; pgrp = pid, as job control does.
    void add(const FakeProcess& p) {
        std::string dir = std::to_string(p.pid) + "/";
        std::string stat = std::to_string(p.pid) + " (" + p.comm + ") S " + std::to_string(p.ppid) +
                           " " + std::to_string(p.pid) + " " + std::to_string(p.sid) + " " +
                           std::to_string(p.tty_nr) + " " + std::to_string(p.pid) +
                           " 4194560 1093 0 0 0 3 1 0 0 20 0 1 0 " + std::to_string(p.start_ticks) +
                           " 8785920 1280 18446744073709551615";
        for (int i = 0; i < 27; ++i) stat += " 0";
        write(dir + "stat", stat + "\n");
        write(dir + "status", "Name:\t" + p.comm + "\nUid:\t" + std::to_string(p.uid) + "\t" +
                                  std::to_string(p.uid) + "\t" + std::to_string(p.uid) + "\t" +
                                  std::to_string(p.uid) + "\nSigQ:\t0/63499\n" +
                                  "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n" +
                                  "SigBlk:\t0000000000010000\nSigIgn:\t" + p.sig_ign +
                                  "\nSigCgt:\t" + p.sig_cgt + "\n");
        write(dir + "cmdline", p.cmdline);
        write(dir + "cgroup", "0::" + p.cgroup + "\n");
        if (p.sessionid) write(dir + "sessionid", p.sessionid);
        if (!p.stdout_link.empty()) {
            fs::create_directories(root_ / dir / "fd");
            fs::create_symlink(p.stdout_link, root_ / dir / "fd/1");
            fs::create_symlink(p.stdout_link, root_ / dir / "fd/2");
        }
    }

    ProcessForest forest(bool all) {
        ProcScanner scanner(root_, 100);
        ProcHostProbe probe(root_.string());
        // 30 s after the 1000-tick processes started.
        return build_forest(scanner.scan(), probe, {all, 1000 * kTickNs + 30'000'000'000ULL});
    }

    static std::vector<std::uint32_t> pids(const ProcessForest& f,
                                           const std::vector<std::size_t>& ix) {
        std::vector<std::uint32_t> out;
        for (std::size_t i : ix) out.push_back(f.nodes[i].info.pid);
        return out;
    }

    fs::path root_;
};

::testing::AssertionResult classified(const ProcessForest& f, std::uint32_t pid, const char* risk,
                                      const char* reason, const char* supervision,
                                      const char* sighup) {
    const ProcessNode* n = f.find(pid);
    if (!n) return ::testing::AssertionFailure() << "pid " << pid << " not in the forest";
    std::string got_sighup = n->sighup ? std::string(sighup_disposition_name(*n->sighup)) : "null";
    if (risk_name(n->risk.risk) == risk && n->risk.reason == reason &&
        supervision_name(n->supervision) == supervision && got_sighup == sighup)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "pid " << pid << ": " << risk_name(n->risk.risk) << "/" << n->risk.reason << " "
           << supervision_name(n->supervision) << " " << got_sighup;
}

TEST_F(ProcessForestTest, ClassifiesEveryKindOfJob) {
    auto f = forest(true);
    EXPECT_TRUE(classified(f, 1010, "at_risk", "sighup_default", "none", "default")) << "sleep &";
    EXPECT_TRUE(classified(f, 1020, "protected", "sighup_ignored", "none", "ignored")) << "nohup";
    EXPECT_TRUE(classified(f, 1030, "protected", "sighup_handled", "none", "handled")) << "trap";
    EXPECT_TRUE(classified(f, 1031, "at_risk", "sighup_default", "none", "default"))
        << "the trap is the parent's; its child keeps the default";
    EXPECT_TRUE(classified(f, 1040, "protected", "own_session", "none", "default")) << "setsid";
    EXPECT_TRUE(classified(f, 1052, "protected", "tmux", "tmux", "default"));
    EXPECT_TRUE(classified(f, 1060, "orphaned", "reparented", "none", "default"));
    EXPECT_TRUE(classified(f, 1001, "not_a_job", "session_leader", "none", "handled"))
        << "interactive bash catches SIGHUP, to pass it on to its jobs";
    EXPECT_TRUE(classified(f, 1051, "not_a_job", "session_leader", "tmux", "default"));
    EXPECT_TRUE(classified(f, 1050, "protected", "own_session", "none", "default"));
    EXPECT_TRUE(classified(f, 1000, "protected", "own_session", "none", "default"));
    EXPECT_TRUE(classified(f, 600, "protected", "systemd", "systemd", "default"));
    EXPECT_TRUE(classified(f, 601, "protected", "systemd", "systemd", "default"));
    EXPECT_TRUE(classified(f, 1, "not_a_job", "init", "none", "default"));
    EXPECT_TRUE(classified(f, 3, "not_a_job", "kernel_thread", "none", "null"))
        << "nothing read for kernel threads";
}

TEST_F(ProcessForestTest, FieldsOfOneJob) {
    auto f = forest(true);
    const ProcessNode* job = f.find(1010);
    ASSERT_NE(job, nullptr);
    EXPECT_EQ(job->info.ppid, 1001u);
    EXPECT_EQ(job->info.sid, 1001u);
    EXPECT_EQ(job->info.start_ns, 2000 * kTickNs);
    EXPECT_EQ(job->run_time_ns, 20'000'000'000ULL);
    EXPECT_EQ(job->user, "root");
    EXPECT_EQ(job->tty, "pts/3");
    EXPECT_EQ(job->argv, (std::vector<std::string>{"sleep", "1000"}));
    EXPECT_EQ(job->cgroup, "/system.slice/ssh.service");
    EXPECT_EQ(job->output_to_tty, true);
    EXPECT_EQ(job->output_lost, false);

    EXPECT_EQ(f.find(1020)->output_to_tty, false) << "nohup.out";
    EXPECT_EQ(f.find(1030)->output_to_tty, true);
    EXPECT_EQ(f.find(1030)->output_lost, true) << "its pty is gone";
    EXPECT_EQ(f.find(1060)->output_to_tty, std::nullopt) << "fds not readable";
    EXPECT_EQ(f.find(1060)->user, std::to_string(kNoUser));
    EXPECT_EQ(f.find(1040)->tty, std::nullopt);
    EXPECT_EQ(f.find(1052)->tty, "pts/4");
}

TEST_F(ProcessForestTest, AllIsTheWholeTreeSortedByPid) {
    auto f = forest(true);
    EXPECT_EQ(f.nodes.size(), 17u);
    EXPECT_EQ(pids(f, f.roots), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(pids(f, f.find(1)->children),
              (std::vector<std::uint32_t>{500, 600, 1040, 1050, 1060}));
    EXPECT_EQ(pids(f, f.find(2)->children), (std::vector<std::uint32_t>{3}));
    EXPECT_EQ(pids(f, f.find(1001)->children), (std::vector<std::uint32_t>{1010, 1020, 1030}));
    EXPECT_EQ(pids(f, f.find(1030)->children), (std::vector<std::uint32_t>{1031}));
}

TEST_F(ProcessForestTest, DefaultViewIsTheInteractiveSessions) {
    auto f = forest(false);
    // Sessions with a terminal (1001, 1051), the orphan, the setsid'd job of
    // the same login (audit session 7), and their ancestors below init.
    std::vector<std::uint32_t> shown;
    for (const auto& n : f.nodes) shown.push_back(n.info.pid);
    EXPECT_EQ(shown, (std::vector<std::uint32_t>{500, 1000, 1001, 1010, 1020, 1030, 1031, 1040,
                                                 1050, 1051, 1052, 1060}));
    EXPECT_EQ(pids(f, f.roots), (std::vector<std::uint32_t>{500, 1040, 1050, 1060}));
    EXPECT_EQ(pids(f, f.find(500)->children), (std::vector<std::uint32_t>{1000}));
    EXPECT_EQ(pids(f, f.find(1050)->children), (std::vector<std::uint32_t>{1051}));
}

TEST_F(ProcessForestTest, Text) {
    add({.pid = 1070,
         .comm = "evil",
         .ppid = 1001,
         .sid = 1001,
         .tty_nr = kPts3Nr,
         .cmdline = "printf\0\x1b]0;owned\x07\0"s,
         .sessionid = "7",
         .start_ticks = 101000});
    std::string text = forest_text(forest(false));
    EXPECT_EQ(text, R"( PID USER    TTY    TIME SUPERVISION RISK                     COMMAND
 500 root    ?     00:30 none        protected:own_session    sshd: /usr/sbin/sshd -D
1000 root    ?     00:30 none        protected:own_session     \_ sshd: alice@pts/3
1001 root    pts/3 00:30 none        -                             \_ -bash
1010 root    pts/3 00:20 none        at_risk                           \_ sleep 1000
1020 root    pts/3 00:30 none        protected:sighup_ignored          \_ sleep 1001
1030 root    pts/3 00:30 none        protected:sighup_handled          \_ bash -c trap "echo hup" HUP; sleep 1002 & wait
1031 root    pts/3 00:30 none        at_risk                               \_ sleep 1002
1070 root    pts/3 00:00 none        at_risk                           \_ printf \x1b]0;owned\x07
1040 root    ?     00:30 none        protected:own_session    sleep 1003
1050 root    ?     00:30 none        protected:own_session    tmux new -d
1051 root    pts/4 00:30 tmux        -                         \_ -bash
1052 root    pts/4 00:30 tmux        protected:tmux                \_ sleep 1005
1060 4242424 pts/3 00:30 none        orphaned                 sleep 1004
)");
}

TEST_F(ProcessForestTest, Json) {
    auto doc = forest_json(forest(false));
    ASSERT_EQ(doc["processes"].size(), 4u);
    const auto& sshd = doc["processes"][0];
    const auto& shell = sshd["children"][0]["children"][0];
    EXPECT_EQ(shell["pid"], 1001);
    EXPECT_EQ(shell["risk"], "not_a_job");
    EXPECT_EQ(shell["risk_reason"], "session_leader");
    EXPECT_EQ(shell["session_leader"], true);
    const auto& job = shell["children"][0];
    EXPECT_EQ(
        job.dump(),
        R"({"pid":1010,"ppid":1001,"pgid":1010,"sid":1001,"uid":0,"user":"root",)"
        R"("tty":"pts/3","comm":"sleep","argv":["sleep","1000"],"start_ns":20000000000,)"
        R"("run_time_seconds":20,"session_leader":false,"cgroup":"/system.slice/ssh.service",)"
        R"("supervision":"none","sighup":"default","risk":"at_risk",)"
        R"("risk_reason":"sighup_default","output_to_tty":true,"output_lost":false,)"
        R"("children":[]})");
    const auto& setsid_job = doc["processes"][1];
    EXPECT_EQ(setsid_job["pid"], 1040);
    EXPECT_TRUE(setsid_job["tty"].is_null());
    const auto& orphan = doc["processes"][3];
    EXPECT_EQ(orphan["risk"], "orphaned");
    EXPECT_EQ(orphan["user"], std::to_string(kNoUser));
    EXPECT_TRUE(orphan["output_to_tty"].is_null());
    EXPECT_TRUE(orphan["output_lost"].is_null());
}

TEST_F(ProcessForestTest, PpidLoopStillShown) {
    // Pids reused between two reads can make a loop; it must not vanish.
    add({.pid = 7000, .comm = "a", .ppid = 7001, .sid = 7000, .cmdline = "a\0"s});
    add({.pid = 7001, .comm = "b", .ppid = 7000, .sid = 7000, .cmdline = "b\0"s});
    auto f = forest(true);
    EXPECT_EQ(pids(f, f.roots), (std::vector<std::uint32_t>{1, 2, 7000}));
    EXPECT_EQ(pids(f, f.find(7000)->children), (std::vector<std::uint32_t>{7001}));
    EXPECT_TRUE(f.find(7001)->children.empty());
}

TEST(RunTime, AsPsPrintsIt) {
    EXPECT_EQ(format_run_time(0), "00:00");
    EXPECT_EQ(format_run_time(59'999'999'999ULL), "00:59");
    EXPECT_EQ(format_run_time(3'600'000'000'000ULL), "01:00:00");
    EXPECT_EQ(format_run_time((2 * 86400ULL + 3 * 3600 + 4 * 60 + 5) * 1'000'000'000ULL),
              "2-03:04:05");
}

}  // namespace
}  // namespace hupwatch
