// Real deaths by signal of jobs started in an interactive bash on a pty, each
// asserting the `killed` verdict's cause and killer: a segfault, timeout(1),
// RLIMIT_CPU, an operator's kill from a second session, cgroup.kill, the
// OOM killer in a memory cgroup, and a tmux window's job.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "monitor_capture.h"
#include "pty_session.h"
#include "scenario_helpers.h"
#include "tty_names.h"

namespace hupwatch::test {
namespace {

namespace fs = std::filesystem;

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

std::string comm_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
    std::string s;
    std::getline(in, s);
    return s;
}

// The one `killed` verdict of pid (waits up to 15 s).
std::optional<Verdict> killed_verdict(MonitorCapture& monitor, pid_t pid) {
    auto v = monitor.wait_verdicts(static_cast<std::uint32_t>(pid), 1, std::chrono::seconds(15));
    for (const auto& verdict : v)
        if (verdict.kind == VerdictKind::Killed && verdict.kill) return verdict;
    return std::nullopt;
}

// A scratch cgroup, removed (after its processes are gone) at scope end.
class ScratchCgroup {
   public:
    explicit ScratchCgroup(std::string path) : path_(std::move(path)) {
        ok_ = mkdir(path_.c_str(), 0755) == 0;
    }
    ~ScratchCgroup() {
        for (int i = 0; i < 100 && rmdir(path_.c_str()) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    bool ok() const { return ok_; }
    const std::string& path() const { return path_; }

   private:
    std::string path_;
    bool ok_ = false;
};

class KillScenario : public ::testing::Test {
   protected:
    const std::string tag = std::to_string(getpid());
};

TEST_F(KillScenario, ASegfaultIsACrash) {
    HUPWATCH_START_MONITOR(monitor);
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    auto job = shell.start_job(
        "bash -c 'ulimit -c 0; exec /usr/bin/python3 -c \"import ctypes; "
        "ctypes.string_at(0)\" " +
        tag + "'");
    ASSERT_TRUE(job);
    auto v = killed_verdict(*monitor, *job);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::Crash);
    EXPECT_EQ(v->signal, SIGSEGV);
    EXPECT_FALSE(v->kill->core_dumped) << "ulimit -c 0";
    EXPECT_FALSE(v->kill->killer);
    EXPECT_EQ(v->sid, static_cast<std::uint32_t>(shell.leader()));
}

TEST_F(KillScenario, TimeoutKillsItsChildAsAParent) {
    HUPWATCH_START_MONITOR(monitor);
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    auto timeout = shell.start_job("timeout 0.5 sleep 2001" + tag);
    ASSERT_TRUE(timeout);
    auto sleeper = find_process("sleep 2001" + tag);
    ASSERT_TRUE(sleeper);
    auto v = killed_verdict(*monitor, *sleeper);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::Parent);
    EXPECT_EQ(v->signal, SIGTERM);
    ASSERT_TRUE(v->kill->killer);
    EXPECT_EQ(v->kill->killer->process.pid, static_cast<std::uint32_t>(*timeout));
    EXPECT_EQ(v->kill->killer->process.comm, "timeout");
    EXPECT_EQ(v->kill->killer->argv,
              (std::vector<std::string>{"timeout", "0.5", "sleep", "2001" + tag}));
    EXPECT_EQ(v->kill->killer->user, "root");
}

TEST_F(KillScenario, RlimitCpuIsAResourceLimit) {
    HUPWATCH_START_MONITOR(monitor);
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    // Soft 1 s, hard 2 s: SIGXCPU at the soft limit kills it (its default action).
    auto job =
        shell.start_job("prlimit --cpu=1:2 bash -c 'ulimit -c 0; while :; do :; done' x" + tag);
    ASSERT_TRUE(job);
    auto v = killed_verdict(*monitor, *job);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::ResourceLimit);
    EXPECT_EQ(v->signal, SIGXCPU);
    EXPECT_EQ(v->confidence, Confidence::Certain);
    EXPECT_FALSE(v->kill->killer) << "the kernel, in the victim's own context";
}

// An operator in a second login session kills another user's job. That
// shell's loginuid names the person (as pam_loginuid would at an SSH login).
TEST_F(KillScenario, AnOperatorsKillFromASecondSessionNamesTheKiller) {
    HUPWATCH_START_MONITOR(monitor);
    const std::string user = "hwkill" + tag.substr(0, 6);
    ASSERT_EQ(std::system(("useradd -M -s /bin/bash " + user + " 2>/dev/null").c_str()), 0);
    struct UserCleanup {
        std::string name;
        ~UserCleanup() { [[maybe_unused]] int rc = std::system(("userdel " + name).c_str()); }
    } cleanup{user};
    passwd* pw = getpwnam(user.c_str());
    ASSERT_TRUE(pw);
    const std::uint32_t uid = pw->pw_uid;

    PtySession victim_shell;
    PtySession operator_shell;
    ASSERT_TRUE(victim_shell.ok() && operator_shell.ok());
    auto job = victim_shell.start_job("setpriv --reuid=" + user + " --regid=" + user +
                                      " --clear-groups sleep 2002" + tag);
    ASSERT_TRUE(job);
    auto sleeper = find_process("sleep 2002" + tag);
    ASSERT_TRUE(sleeper);
    // Only a process's own loginuid can be written: the shell does it.
    ASSERT_TRUE(operator_shell.run(
        "echo " + std::to_string(uid) + " > /proc/self/loginuid; echo LOGIN_$((3+4))", "LOGIN_7"));
    ASSERT_TRUE(operator_shell.run("kill " + std::to_string(*sleeper) + "; echo KILLED_$((4+4))",
                                   "KILLED_8"));

    auto v = killed_verdict(*monitor, *sleeper);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::Operator);
    EXPECT_EQ(v->signal, SIGTERM);
    EXPECT_EQ(v->user, user);
    ASSERT_TRUE(v->kill->killer);
    const Killer& k = *v->kill->killer;
    // `kill` is bash's builtin: the operator's shell itself sends it.
    EXPECT_EQ(k.process.pid, static_cast<std::uint32_t>(operator_shell.leader()));
    EXPECT_EQ(k.process.comm, "bash");
    EXPECT_EQ(k.user, "root");
    EXPECT_EQ(k.loginuid, uid);
    EXPECT_EQ(k.login_user, user);
    EXPECT_EQ(tty_name(k.tty_dev), operator_shell.slave_path().substr(5));
    EXPECT_EQ(k.sid, static_cast<std::uint32_t>(operator_shell.leader()));
}

TEST_F(KillScenario, ACgroupKillNamesTheWriter) {
    HUPWATCH_START_MONITOR(monitor);
    ScratchCgroup cgroup("/sys/fs/cgroup/unified/hwkill" + tag);
    if (!cgroup.ok() || !fs::exists(cgroup.path() + "/cgroup.kill")) {
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no cgroup v2 with cgroup.kill at /sys/fs/cgroup/unified");
    }
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    auto job = shell.start_job("sh -c 'echo $$ > " + cgroup.path() +
                               "/cgroup.procs && exec sleep 2003" + tag + "'");
    ASSERT_TRUE(job);
    auto sleeper = find_process("sleep 2003" + tag);
    ASSERT_TRUE(sleeper);
    ASSERT_TRUE(write_file(cgroup.path() + "/cgroup.kill", "1"));
    auto v = killed_verdict(*monitor, *sleeper);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::CgroupKill);
    EXPECT_EQ(v->signal, SIGKILL);
    ASSERT_TRUE(v->kill->killer);
    EXPECT_EQ(v->kill->killer->process.pid, static_cast<std::uint32_t>(getpid()));
}

// A unit stopped before the daemon read anything of it: its job was forked,
// exec'd and killed, and its cgroup removed, within one drain. Neither /proc
// nor the cgroup id can name the unit then; its cgroup_mkdir does.
TEST_F(KillScenario, AScopeGoneBeforeItsEventsWereReadIsNamed) {
    HUPWATCH_START_MONITOR(monitor);
    const std::string unit = "hwunit" + tag + ".scope";
    auto cgroup = std::make_unique<ScratchCgroup>("/sys/fs/cgroup/unified/" + unit);
    if (!cgroup->ok() || !fs::exists(cgroup->path() + "/cgroup.kill")) {
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no cgroup v2 with cgroup.kill at /sys/fs/cgroup/unified");
    }
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    std::optional<pid_t> sleeper;
    {
        auto held = monitor->hold_reader();
        auto job = shell.start_job("sh -c 'echo $$ > " + cgroup->path() +
                                   "/cgroup.procs && exec sleep 2004" + tag + "'");
        ASSERT_TRUE(job);
        sleeper = find_process("sleep 2004" + tag);
        ASSERT_TRUE(sleeper);
        ASSERT_TRUE(write_file(cgroup->path() + "/cgroup.kill", "1"));
        cgroup.reset();  // rmdir, polling until its last process is gone
        ASSERT_FALSE(fs::exists("/sys/fs/cgroup/unified/" + unit));
    }
    auto v = killed_verdict(*monitor, *sleeper);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::CgroupKill);
    EXPECT_EQ(v->kill->unit, unit);
}

TEST_F(KillScenario, TheOomKillerInAMemoryCgroupIsNamed) {
    HUPWATCH_START_MONITOR(monitor);
    ScratchCgroup cgroup("/sys/fs/cgroup/memory/hwoom" + tag);
    if (!cgroup.ok()) {
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no cgroup v1 memory controller at /sys/fs/cgroup/memory");
    }
    ASSERT_TRUE(write_file(cgroup.path() + "/memory.limit_in_bytes", std::to_string(48 << 20)));
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    auto job = shell.start_job("sh -c 'echo $$ > " + cgroup.path() +
                               "/cgroup.procs && exec tail /dev/zero' oom" + tag);
    ASSERT_TRUE(job);
    auto v = killed_verdict(*monitor, *job);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::OomKernel);
    EXPECT_EQ(v->signal, SIGKILL);
    EXPECT_EQ(v->process.comm, "tail");
    EXPECT_EQ(v->kill->memory_cgroup, "/hwoom" + tag);
    EXPECT_FALSE(v->kill->killer);
}

TEST_F(KillScenario, ATmuxWindowsJobKilledByAnOperator) {
    HUPWATCH_START_MONITOR(monitor);
    PtySession shell;
    ASSERT_TRUE(shell.ok());
    const std::string socket = "hwk" + tag;
    ASSERT_TRUE(shell.run(
        "tmux -L " + socket + " new -d 'sleep 2004" + tag + "'; echo TMUX_$((2+3))", "TMUX_5"));
    struct TmuxCleanup {
        std::string socket;
        ~TmuxCleanup() {
            [[maybe_unused]] int rc =
                std::system(("tmux -L " + socket + " kill-server 2>/dev/null").c_str());
        }
    } cleanup{socket};
    auto sleeper = find_process("sleep 2004" + tag);
    ASSERT_TRUE(sleeper);
    ASSERT_EQ(kill(*sleeper, SIGTERM), 0);
    auto v = killed_verdict(*monitor, *sleeper);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->kill->cause, KillCause::Operator);
    EXPECT_EQ(v->signal, SIGTERM);
    EXPECT_EQ(v->supervision, Supervision::Tmux);
    ASSERT_TRUE(v->kill->killer);
    EXPECT_EQ(v->kill->killer->process.pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_EQ(v->kill->killer->process.comm, comm_of(getpid()));
}

}  // namespace
}  // namespace hupwatch::test
