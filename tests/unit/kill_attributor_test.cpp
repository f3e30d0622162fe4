// The `killed` verdict on synthetic event streams: one story per cause, the
// killer's fields, the job rule (OOM kills excepted), and the precedence of
// the disconnect verdicts.
#include "kill_attributor.h"

#include <gtest/gtest.h>

#include <csignal>

#include "disconnect_correlator.h"
#include "finding_format.h"
#include "process_table.h"

namespace hupwatch {
namespace {

constexpr std::uint64_t kSec = 1'000'000'000ULL;
constexpr std::uint32_t kPts3 = (136u << 20) | 3;
constexpr std::uint32_t kPts7 = (136u << 20) | 7;

class FakeUsers : public HostProbe {
   public:
    std::optional<std::string> cgroup_path(std::uint32_t pid) override {
        if (pid == 901) return "/user.slice/user-1000.slice/session-4.scope";
        if (pid == 911) return "/system.slice/hwtest.scope";  // systemd-run --scope
        if (pid == 921 && !scope_removed) return "/user.slice/user-1001.slice/session-7.scope";
        return std::nullopt;
    }
    bool scope_removed = false;  // systemd removed 921's cgroup: /proc tells nothing
    std::optional<SignalMasks> signal_masks(std::uint32_t) override { return std::nullopt; }
    std::optional<OutputTargets> output_targets(std::uint32_t) override { return std::nullopt; }
    std::string user_name(std::uint32_t uid) override {
        return uid == 1000   ? "alice"
               : uid == 1001 ? "bob"
               : uid == 0    ? "root"
                             : "u" + std::to_string(uid);
    }
    std::optional<double> cpu_seconds(std::uint32_t) override { return std::nullopt; }
};

// sshd 800 -> bash 900 (session leader on pts/3) -> jobs; events go through a
// table and the correlator as on the live path.
class KillStory {
   public:
    KillStory() : correlator_({}, &users_) {
        sshd = proc(800, 1 * kSec, 1, 800, 0, "sshd");
        bash = proc(900, 2 * kSec, 800, 900, kPts3, "bash");
        fork(sshd, kSec / 2, 1 * kSec);
        fork(bash, sshd.start_ns, 2 * kSec);
    }

    ProcessInfo proc(std::uint32_t pid, std::uint64_t start, std::uint32_t ppid, std::uint32_t sid,
                     std::uint32_t tty, const std::string& comm, std::uint32_t uid = 1000) {
        ProcessInfo p;
        p.pid = p.tid = pid;
        p.start_ns = start;
        p.ppid = ppid;
        p.pgid = pid;
        p.sid = sid;
        p.tty_dev = tty;
        p.uid = uid;
        p.comm = comm;
        return p;
    }
    void feed(std::uint64_t t, EventBody body) {
        Event e{t, std::move(body)};
        table_.apply(e);
        for (auto& f : correlator_.on_event(e, table_)) findings_.push_back(std::move(f));
    }
    void fork(const ProcessInfo& child, std::uint64_t parent_start, std::uint64_t t) {
        feed(t, ForkEvent{child, parent_start});
    }
    void exec(const ProcessInfo& p, std::vector<std::string> argv, std::uint64_t t) {
        ExecEvent e;
        e.proc = p;
        e.filename = "/usr/bin/" + argv[0];
        e.argv = std::move(argv);
        feed(t, e);
    }
    // A job of the login: forked by bash and exec'd.
    ProcessInfo job(std::uint32_t pid, const std::string& comm, std::uint32_t ppid = 900,
                    std::uint64_t parent_start = 2 * kSec) {
        auto p = proc(pid, 10 * kSec + pid, ppid, 900, kPts3, comm);
        fork(p, parent_start, p.start_ns);
        exec(p, {comm, "arg"}, p.start_ns);
        return p;
    }
    void signal(std::uint64_t t, const ProcessInfo& target, const ProcessInfo& sender, int sig,
                SignalOrigin origin, bool no_info = false) {
        SignalEvent s;
        s.target = target;
        s.sender_pid = sender.pid;
        s.sender_start_ns = sender.start_ns;
        s.sender_comm = sender.comm;
        s.sender_uid = sender.uid;
        s.sender_loginuid = sender.loginuid;
        s.sig = sig;
        s.si_code = origin == SignalOrigin::Kernel ? 0x80 : 0;
        s.origin = origin;
        s.no_info = no_info;
        feed(t, s);
    }
    void die(std::uint64_t t, const ProcessInfo& p, int raw_status) {
        feed(t, ExitEvent{p, raw_status, 0, 0, 0, 0});
    }
    std::vector<Verdict> verdicts_for(std::uint32_t pid) const {
        std::vector<Verdict> out;
        for (const auto& f : findings_)
            if (auto* v = std::get_if<Verdict>(&f); v && v->process.pid == pid) out.push_back(*v);
        return out;
    }
    // The one `killed` verdict of pid, asserted.
    Verdict killed(std::uint32_t pid) const {
        auto v = verdicts_for(pid);
        EXPECT_EQ(v.size(), 1u);
        if (v.empty()) return {};
        EXPECT_EQ(v[0].kind, VerdictKind::Killed);
        EXPECT_TRUE(v[0].kill.has_value());
        return v[0];
    }
    DisconnectCorrelator& correlator() { return correlator_; }
    FakeUsers& users() { return users_; }

    ProcessInfo sshd, bash;

   private:
    FakeUsers users_;
    ProcessTable table_;
    DisconnectCorrelator correlator_;
    std::vector<Finding> findings_;
};

TEST(KillAttributor, OperatorKillFromAnotherSessionNamesTheKillerAndThePersonBehindIt) {
    KillStory s;
    auto job = s.job(901, "migrate.sh");
    // bob's sudo'd shell on pts/7, logged in as alice (loginuid 1000).
    auto other = s.proc(950, 50 * kSec, 800, 950, kPts7, "bash", 1001);
    other.loginuid = 1000;
    s.fork(other, s.sshd.start_ns, 50 * kSec);
    auto kill = s.proc(951, 60 * kSec, 950, 950, kPts7, "kill", 1001);
    kill.loginuid = 1000;
    s.fork(kill, other.start_ns, 60 * kSec);
    s.exec(kill, {"kill", "901"}, 60 * kSec);
    s.signal(60 * kSec + 10, job, kill, SIGTERM, SignalOrigin::User);
    s.die(60 * kSec + 20, job, SIGTERM);

    auto v = s.killed(901);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->cause, KillCause::Operator);
    EXPECT_EQ(v.signal, SIGTERM);
    EXPECT_EQ(v.confidence, Confidence::Certain);
    EXPECT_EQ(v.sid, 900u);
    ASSERT_TRUE(v.kill->killer);
    const Killer& k = *v.kill->killer;
    EXPECT_EQ(k.process.pid, 951u);
    EXPECT_EQ(k.process.start_ns, 60 * kSec);
    EXPECT_EQ(k.process.comm, "kill");
    EXPECT_EQ(k.argv, (std::vector<std::string>{"kill", "901"}));
    EXPECT_EQ(k.user, "bob");
    EXPECT_EQ(k.login_user, "alice");
    EXPECT_EQ(k.tty_dev, kPts7);
    EXPECT_EQ(k.sid, 950u);
    EXPECT_EQ(v.kill->unit, "session-4.scope");
    EXPECT_EQ(kill_sentence(v),
              "killed by SIGTERM from `kill 901` (pid 951) run by bob (logged in as alice) on "
              "pts/7");
}

TEST(KillAttributor, AnAncestorsSignalIsTheParentCause) {
    KillStory s;
    auto timeout = s.job(901, "timeout");
    auto child = s.job(902, "sleep", 901, timeout.start_ns);
    s.signal(20 * kSec, child, timeout, SIGTERM, SignalOrigin::User);
    s.die(20 * kSec + 5, child, SIGTERM);
    auto v = s.killed(902);
    EXPECT_EQ(v.kill->cause, KillCause::Parent);
    ASSERT_TRUE(v.kill->killer);
    EXPECT_EQ(v.kill->killer->process.pid, 901u);
    ASSERT_FALSE(v.lineage.empty());
    EXPECT_EQ(v.lineage[0].pid, 901u);
}

// `timeout -s KILL 1 sleep`, `sh -c 'sleep & kill -9 $!'`: the killer is the
// victim's parent, and exits before the victim's exit is read, so the
// victim is init's child by then. Its kinship is in its lineage before the
// reparenting.
TEST(KillAttributor, AParentThatDiedFirstIsStillTheParent) {
    KillStory s;
    auto sh = s.job(950, "sh");
    auto sleeper = s.job(951, "sleep", 950, sh.start_ns);
    s.signal(20 * kSec, sleeper, sh, SIGKILL, SignalOrigin::User);
    auto orphan = sleeper;
    s.feed(20 * kSec + 1, ReparentEvent{orphan, 950, sh.start_ns, 1, 0, ReaperKind::Init});
    s.die(20 * kSec + 2, sh, 0);
    orphan.ppid = 1;
    s.die(20 * kSec + 3, orphan, SIGKILL);
    auto v = s.killed(951);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->cause, KillCause::Parent);
    ASSERT_TRUE(v.kill->killer);
    EXPECT_EQ(v.kill->killer->process.pid, 950u);
}

// A job killed by SIGTERM that no SIGHUP ever reached, dead when its
// verdict comes: nothing tells its SIGHUP disposition (QA: it said
// default for a nohup'd job, which ignored SIGHUP).
TEST(KillAttributor, ADeadJobsSighupDispositionNobodySawIsUnknown) {
    KillStory s;
    auto job = s.job(952, "sleep");
    auto colleague = s.proc(960, 3 * kSec, 1, 960, kPts7, "bash", 1001);
    s.signal(20 * kSec, job, colleague, SIGTERM, SignalOrigin::User);
    s.die(20 * kSec + 2, job, SIGTERM);
    auto v = s.killed(952);
    EXPECT_EQ(v.sighup, SighupDisposition::Unknown);
}

// A container's systemd booted on its console pty and let it go without an
// event, so the table still gives it a terminal; a service it runs is no
// job for that (QA: counted in jobs_killed_total). Nor is a service of a
// user's systemd --user, whose loginuid its services inherit.
TEST(KillAttributor, AServiceManagersChildrenAreNoJobsWhateverItsTerminalOrLoginuid) {
    KillStory s;
    auto systemd = s.proc(1, kSec / 4, 0, 1, kPts7, "systemd", 0);
    s.fork(systemd, 0, kSec / 4);
    auto service = s.proc(970, 5 * kSec, 1, 970, 0, "sleep", 0);
    s.fork(service, systemd.start_ns, service.start_ns);
    auto user_manager = s.proc(980, 6 * kSec, 1, 980, 0, "systemd", 1000);
    user_manager.loginuid = 1000;
    s.fork(user_manager, systemd.start_ns, user_manager.start_ns);
    auto user_service = s.proc(981, 7 * kSec, 980, 981, 0, "dbus-daemon", 1000);
    user_service.loginuid = 1000;
    s.fork(user_service, user_manager.start_ns, user_service.start_ns);
    s.signal(20 * kSec, service, systemd, SIGTERM, SignalOrigin::User);
    s.die(20 * kSec + 1, service, SIGTERM);
    s.signal(21 * kSec, user_service, user_manager, SIGTERM, SignalOrigin::User);
    s.die(21 * kSec + 1, user_service, SIGTERM);
    EXPECT_TRUE(s.verdicts_for(970).empty());
    EXPECT_TRUE(s.verdicts_for(981).empty());
    const auto& counted = s.correlator().non_job_kills();
    EXPECT_EQ(counted[static_cast<std::size_t>(KillCause::ServiceManager)], 2u);
}

TEST(KillAttributor, ASegfaultIsACrashReadFromTheExitStatus) {
    KillStory s;
    auto job = s.job(901, "segv");
    s.die(20 * kSec, job, SIGSEGV | 0x80);
    auto v = s.killed(901);
    EXPECT_EQ(v.kill->cause, KillCause::Crash);
    EXPECT_TRUE(v.kill->core_dumped);
    EXPECT_FALSE(v.kill->killer);
    EXPECT_EQ(v.confidence, Confidence::Inferred) << "SIGSEGV is outside the default --signals set";
    EXPECT_EQ(kill_sentence(v), "crashed: SIGSEGV (core dumped) (from its exit status)");
}

TEST(KillAttributor, AbortIsACrashSentByTheVictimItself) {
    KillStory s;
    auto job = s.job(901, "abort");
    s.signal(20 * kSec, job, job, SIGABRT, SignalOrigin::User);
    s.die(20 * kSec + 1, job, SIGABRT);
    auto v = s.killed(901);
    EXPECT_EQ(v.kill->cause, KillCause::Crash);
    EXPECT_EQ(v.confidence, Confidence::Certain);
}

TEST(KillAttributor, RlimitCpuAndFsizeAreResourceLimits) {
    KillStory s;
    auto hard = s.job(901, "spin");
    s.signal(20 * kSec, hard, hard, SIGKILL, SignalOrigin::Kernel);  // hard limit: SIGKILL
    s.die(20 * kSec + 1, hard, SIGKILL);
    EXPECT_EQ(s.killed(901).kill->cause, KillCause::ResourceLimit);

    auto soft = s.job(902, "spin");
    s.signal(21 * kSec, soft, soft, SIGXCPU, SignalOrigin::Kernel);
    s.die(21 * kSec + 1, soft, SIGXCPU | 0x80);
    auto v = s.killed(902);
    EXPECT_EQ(v.kill->cause, KillCause::ResourceLimit);
    EXPECT_EQ(kill_sentence(v), "killed by SIGXCPU from the kernel: it reached its RLIMIT_CPU");

    auto big = s.job(903, "dd");
    s.signal(22 * kSec, big, big, SIGXFSZ, SignalOrigin::User, true);  // send_sig(.., 0)
    s.die(22 * kSec + 1, big, SIGXFSZ | 0x80);
    EXPECT_EQ(s.killed(903).kill->cause, KillCause::ResourceLimit);
}

TEST(KillAttributor, SigpipeFromItsOwnWriteIsABrokenPipe) {
    KillStory s;
    auto job = s.job(901, "yes");
    s.signal(20 * kSec, job, job, SIGPIPE, SignalOrigin::User, true);
    s.die(20 * kSec + 1, job, SIGPIPE);
    EXPECT_EQ(s.killed(901).kill->cause, KillCause::BrokenPipe);
}

TEST(KillAttributor, ACgroupKillWriteNamesTheWriter) {
    KillStory s;
    auto job = s.job(901, "worker");
    auto writer = s.proc(960, 30 * kSec, 1, 960, 0, "bash", 0);
    s.fork(writer, kSec / 2, 30 * kSec);
    s.exec(writer, {"bash", "-c", "echo 1 > cgroup.kill"}, 30 * kSec);
    s.signal(31 * kSec, job, writer, SIGKILL, SignalOrigin::User, true);
    s.die(31 * kSec + 1, job, SIGKILL);
    auto v = s.killed(901);
    EXPECT_EQ(v.kill->cause, KillCause::CgroupKill);
    ASSERT_TRUE(v.kill->killer);
    EXPECT_EQ(v.kill->killer->process.pid, 960u);
    EXPECT_EQ(v.kill->killer->user, "root");
}

TEST(KillAttributor, TheOomKillerNamesTheMemoryCgroupForAnyProcess) {
    KillStory s;
    // A daemon, not a job: no login in its lineage; OOM kills get a verdict anyway.
    auto daemon = s.proc(970, 40 * kSec, 1, 970, 0, "java", 0);
    s.fork(daemon, kSec / 2, 40 * kSec);
    auto allocator = s.proc(971, 41 * kSec, 1, 971, 0, "cc1", 0);
    s.fork(allocator, kSec / 2, 41 * kSec);
    s.signal(50 * kSec, daemon, allocator, SIGKILL, SignalOrigin::Kernel);
    OomVictimEvent oom;
    oom.proc = daemon;
    oom.trigger_pid = 971;
    oom.memcg_path = "/user.slice/user-1000.slice";
    s.feed(50 * kSec + 1, oom);
    s.die(50 * kSec + 2, daemon, SIGKILL);
    auto v = s.killed(970);
    EXPECT_EQ(v.kill->cause, KillCause::OomKernel);
    EXPECT_EQ(v.kill->memory_cgroup, "/user.slice/user-1000.slice");
    EXPECT_FALSE(v.kill->killer) << "the kernel, not the allocating process";
    EXPECT_EQ(kill_sentence(v),
              "killed by SIGKILL from the kernel's OOM killer (memory cgroup "
              "/user.slice/user-1000.slice)");
}

TEST(KillAttributor, ANonJobIsCountedByCauseWithoutAVerdict) {
    KillStory s;
    auto daemon = s.proc(970, 40 * kSec, 1, 970, 0, "worker", 0);
    s.fork(daemon, kSec / 2, 40 * kSec);
    auto killer = s.proc(971, 41 * kSec, 1, 971, 0, "supervisor", 0);
    s.fork(killer, kSec / 2, 41 * kSec);
    s.signal(50 * kSec, daemon, killer, SIGTERM, SignalOrigin::User);
    s.die(50 * kSec + 2, daemon, SIGTERM);
    EXPECT_TRUE(s.verdicts_for(970).empty());
    EXPECT_EQ(s.correlator().non_job_kills()[static_cast<int>(KillCause::Operator)], 1u);
}

TEST(KillAttributor, ASignalNeverSeenIsUnknownNotSilent) {
    KillStory s;
    auto job = s.job(901, "worker");
    s.die(20 * kSec, job, SIGUSR1);
    auto v = s.killed(901);
    EXPECT_EQ(v.kill->cause, KillCause::Unknown);
    EXPECT_EQ(v.confidence, Confidence::Inferred);
    EXPECT_EQ(kill_sentence(v), "killed by SIGUSR1 from an unknown sender");
}

TEST(KillAttributor, ADisconnectVerdictTakesPrecedence) {
    KillStory s;
    auto job = s.job(901, "migrate.sh");
    auto leader = s.bash;
    leader.tty_dev = 0;
    s.signal(100 * kSec, leader, s.sshd, SIGHUP, SignalOrigin::Kernel);
    s.signal(100 * kSec + 10, job, s.bash, SIGHUP, SignalOrigin::User);
    s.die(100 * kSec + 20, job, SIGHUP);
    auto v = s.verdicts_for(901);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::KilledByDisconnect);
    EXPECT_FALSE(v[0].kill);
}

TEST(KillAttributor, ExitedNormallyIsNoKill) {
    KillStory s;
    auto job = s.job(901, "make");
    s.die(20 * kSec, job, 2 << 8);
    EXPECT_TRUE(s.verdicts_for(901).empty());
}

TEST(KillAttributor, UnitIsTheDeepestServiceOrScope) {
    EXPECT_EQ(unit_of_cgroup("/system.slice/cron.service"), "cron.service");
    EXPECT_EQ(unit_of_cgroup("/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope"),
              "x.scope");
    EXPECT_EQ(unit_of_cgroup("/"), std::nullopt);
    EXPECT_EQ(unit_of_cgroup("/hwtest"), std::nullopt);
}

// systemd (PID 1 of a container, or a user's systemd --user) stopping the
// login's scope: SIGTERM, SIGCONT, SIGHUP, all kill() from systemd, which
// has also become the orphaned job's parent.
TEST(KillAttributor, SystemdStoppingTheSessionScopeIsASessionStop) {
    KillStory s;
    auto systemd = s.proc(1, kSec / 4, 0, 1, 0, "systemd", 0);
    s.fork(systemd, 0, kSec / 4);
    auto job = s.job(901, "sleep");
    s.signal(20 * kSec, job, systemd, SIGTERM, SignalOrigin::User);
    s.signal(20 * kSec + 1, job, systemd, SIGCONT, SignalOrigin::User);
    s.signal(20 * kSec + 2, job, systemd, SIGHUP, SignalOrigin::User);
    s.die(20 * kSec + 5, job, SIGTERM);
    auto v = s.killed(901);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->cause, KillCause::SessionStop);
    EXPECT_EQ(v.signal, SIGTERM);
    EXPECT_EQ(v.kill->unit, "session-4.scope");
    ASSERT_TRUE(v.kill->killer);
    EXPECT_EQ(v.kill->killer->process.pid, 1u);
    EXPECT_EQ(kill_sentence(v),
              "killed by SIGTERM from systemd stopping login session scope session-4.scope");
}

// systemd kills a stopped scope's last process at once and removes its
// cgroup before the signal event is read: the unit is the one its cgroup id
// had when the process forked and exec'd.
TEST(KillAttributor, TheScopeIsKnownByItsCgroupIdAfterSystemdRemovedIt) {
    KillStory s;
    auto systemd = s.proc(1, kSec / 4, 0, 1, 0, "systemd", 0);
    s.fork(systemd, 0, kSec / 4);
    auto job = s.proc(921, 10 * kSec, 900, 900, kPts3, "sleep");
    job.cgroup_id = 4711;
    s.fork(job, 2 * kSec, job.start_ns);
    s.exec(job, {"sleep", "1000"}, job.start_ns);
    s.users().scope_removed = true;
    s.signal(20 * kSec, job, systemd, SIGTERM, SignalOrigin::User);
    s.die(20 * kSec + 5, job, SIGTERM);
    auto v = s.killed(921);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->unit, "session-7.scope");
    EXPECT_EQ(v.kill->cause, KillCause::SessionStop);
}

// A job of cgroup 4712, made as `path` (cut short: `truncated`), killed by
// systemd after its scope's cgroup was removed and before any of it was
// read: neither /proc nor the cgroup id tells the unit then.
Verdict killed_in_a_gone_scope(const std::string& path, bool truncated) {
    KillStory s;
    auto systemd = s.proc(1, kSec / 4, 0, 1, 0, "systemd", 0);
    s.fork(systemd, 0, kSec / 4);
    s.users().scope_removed = true;
    s.feed(9 * kSec, CgroupMkdirEvent{systemd, 4712, path, truncated});
    auto job = s.proc(921, 10 * kSec, 900, 900, kPts3, "sleep");
    job.cgroup_id = 4712;
    s.fork(job, 2 * kSec, job.start_ns);
    s.exec(job, {"sleep", "1000"}, job.start_ns);
    s.signal(10 * kSec + 50, job, systemd, SIGTERM, SignalOrigin::User);
    s.die(10 * kSec + 60, job, SIGTERM);
    return s.killed(921);
}

// The cgroup's making (cgroup_mkdir) names the unit; and it is in the
// store, so replay names it too.
TEST(KillAttributor, AScopeGoneBeforeItsEventsAreReadIsNamedByItsMkdir) {
    auto v = killed_in_a_gone_scope("/system.slice/run-r3f.scope", false);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->unit, "run-r3f.scope");
    EXPECT_EQ(v.kill->cause, KillCause::ServiceManager);
    // Its own unit looked after it, though its cgroup is gone (QA: none).
    EXPECT_EQ(v.supervision, Supervision::Systemd);
}

// A truncated path would name a wrong unit: it names none.
TEST(KillAttributor, ATruncatedMkdirPathNamesNoUnit) {
    auto v = killed_in_a_gone_scope("/system.slice/run-r3f.sc", true);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->unit, std::nullopt);
    EXPECT_EQ(v.kill->cause, KillCause::ServiceManager);
    EXPECT_EQ(v.confidence, Confidence::Inferred);
    EXPECT_EQ(kill_sentence(v),
              "killed by SIGTERM from systemd stopping its unit, unnamed: its cgroup was gone "
              "before it was read");
}

TEST(KillAttributor, SystemdStoppingAnotherUnitIsTheServiceManagerNamingIt) {
    KillStory s;
    auto systemd = s.proc(1, kSec / 4, 0, 1, 0, "systemd", 0);
    s.fork(systemd, 0, kSec / 4);
    auto job = s.job(911, "sleep");
    s.signal(20 * kSec, job, systemd, SIGTERM, SignalOrigin::User);
    s.die(20 * kSec + 5, job, SIGTERM);
    auto v = s.killed(911);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->cause, KillCause::ServiceManager);
    EXPECT_EQ(v.kill->unit, "hwtest.scope");
    EXPECT_EQ(kill_sentence(v), "killed by SIGTERM from systemd stopping unit hwtest.scope");
}

TEST(KillAttributor, UserspaceOomKillersAreToldApartByTheirExecutable) {
    for (const std::string killer : {"systemd-oomd", "earlyoom", "nohang"}) {
        SCOPED_TRACE(killer);
        KillStory s;
        auto oomd = s.proc(600, kSec / 4, 1, 600, 0, killer, 0);
        s.fork(oomd, 0, kSec / 4);
        s.exec(oomd, {"/usr/bin/" + killer}, kSec / 4);
        auto job = s.job(901, "python3");
        s.signal(20 * kSec, job, oomd, SIGKILL, SignalOrigin::User);
        s.die(20 * kSec + 5, job, SIGKILL);
        auto v = s.killed(901);
        ASSERT_TRUE(v.kill);
        EXPECT_EQ(v.kill->cause, KillCause::OomUserspace);
        ASSERT_TRUE(v.kill->killer);
        EXPECT_EQ(v.kill->killer->process.comm, killer);
        EXPECT_EQ(kill_sentence(v), "killed by SIGKILL from the userspace OOM killer `/usr/bin/" +
                                        killer + "` (pid 600) run by root");
    }
}

TEST(KillAttributor, AUserspaceOomKillOfANonJobStillGetsAVerdict) {
    KillStory s;
    auto oomd = s.proc(600, kSec / 4, 1, 600, 0, "earlyoom", 0);
    s.fork(oomd, 0, kSec / 4);
    auto daemon = s.proc(700, kSec / 2, 1, 700, 0, "java", 0);
    s.fork(daemon, 0, kSec / 2);
    s.signal(20 * kSec, daemon, oomd, SIGKILL, SignalOrigin::User);
    s.die(20 * kSec + 5, daemon, SIGKILL);
    auto v = s.killed(700);
    ASSERT_TRUE(v.kill);
    EXPECT_EQ(v.kill->cause, KillCause::OomUserspace);
    EXPECT_FALSE(v.kill->job);
}

// A nohup job left by a logout is reparented away from its login; killed
// later, its login is still in the lineage it had.
TEST(KillAttributor, AnOrphanKilledLaterIsStillAJobByItsOriginalLineage) {
    KillStory s;
    auto subreaper = s.proc(2, kSec / 4, 0, 2, 0, "reaper", 0);
    s.fork(subreaper, 0, kSec / 4);
    auto sh = s.proc(905, 10 * kSec, 900, 900, 0, "sh");
    sh.loginuid = UINT32_MAX;
    s.fork(sh, s.bash.start_ns, 10 * kSec);
    auto job = s.proc(906, 11 * kSec, 905, 900, 0, "sleep");
    s.fork(job, sh.start_ns, 11 * kSec);
    s.die(15 * kSec, sh, 0);
    auto moved = job;
    moved.ppid = 905;
    s.feed(15 * kSec,
           ReparentEvent{moved, 905, sh.start_ns, 2, subreaper.start_ns, ReaperKind::Subreaper});
    auto killer = s.proc(950, 20 * kSec, 2, 2, 0, "pkill", 0);
    s.fork(killer, subreaper.start_ns, 20 * kSec);
    s.signal(30 * kSec, job, killer, SIGTERM, SignalOrigin::User);
    s.die(30 * kSec + 5, job, SIGTERM);
    auto v = s.verdicts_for(906);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().kind, VerdictKind::Killed);
    ASSERT_TRUE(v.back().kill);
    EXPECT_TRUE(v.back().kill->job);
}

}  // namespace
}  // namespace hupwatch
