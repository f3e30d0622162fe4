// User names from a process's own root (a container's /etc/passwd), through
// a fake proc root: PID/ns/mnt links, PID/root, PID/uid_map.
#include "root_passwd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "correlator_story.h"
#include "proc_host_probe.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

// The name of host uid `uid` in pid's own root, as ProcHostProbe asks it:
// nullopt when pid shares our root, is gone, or its root has no readable
// passwd file.
std::optional<std::string> name_in(RootPasswd& passwd, std::uint32_t pid, std::uint32_t uid) {
    auto root = passwd.root_seen(pid);
    if (!root.foreign) return std::nullopt;
    return passwd.name_in_root(*root.foreign, uid);
}

TEST(ParsePasswd, NamesEachUidByItsFirstLine) {
    auto names = parse_passwd(
        "root:x:0:0:root:/root:/bin/bash\n"
        "# a comment\n"
        "broken line\n"
        ":x:5:5::/:/bin/sh\n"
        "hwuser:x:1000:1000::/home/hwuser:/bin/bash\n"
        "alias:x:1000:1000::/:/bin/sh\n"
        "big:x:99999999999:1::/:/bin/sh\n"
        "last:x:1001:1001::/:/bin/sh");
    EXPECT_EQ(names, (std::map<std::uint32_t, std::string>{
                         {0, "root"}, {1000, "hwuser"}, {1001, "last"}}));
}

TEST(UidInside, MapsAHostUidThroughTheUidMap) {
    EXPECT_EQ(uid_inside("         0          0 4294967295\n", 1000), 1000u);
    EXPECT_EQ(uid_inside("0 100000 65536\n", 101000), 1000u);
    EXPECT_EQ(uid_inside("0 100000 65536\n", 1000), std::nullopt);
    EXPECT_EQ(uid_inside("0 100000 1\n1 200000 10\n", 200003), 4u);
}

class FakeProcRoots : public ::testing::Test {
   protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "hupwatch-rootpw-XXXXXX").string();
        dir_ = mkdtemp(tmpl.data());
        link("self/ns/mnt", "mnt:[1]");
        fs::create_directories(dir_ / "roots/self");
        link("self/root", (dir_ / "roots/self").string());
    }
    void TearDown() override { fs::remove_all(dir_); }
    void link(const std::string& at, const std::string& target) {
        fs::create_directories((dir_ / at).parent_path());
        fs::create_symlink(target, dir_ / at);
    }
    void write(const std::string& at, const std::string& text) {
        fs::create_directories((dir_ / at).parent_path());
        std::ofstream(dir_ / at) << text;
    }
    // A process `pid` in mount namespace `ns` whose root holds `passwd`.
    void process(int pid, const std::string& ns, const std::string& passwd) {
        std::string p = std::to_string(pid);
        link(p + "/ns/mnt", ns);
        write("roots/" + p + "/etc/passwd", passwd);
        link(p + "/root", (dir_ / "roots" / p).string());
    }
    fs::path dir_;
};

TEST_F(FakeProcRoots, AProcessInAnotherMountNamespaceIsNamedByItsRootsPasswd) {
    process(42, "mnt:[2]", "root:x:0:0::/:/bin/sh\nhwuser:x:1000:1000::/:/bin/sh\n");
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(name_in(passwd, 42, 1000), "hwuser");
    EXPECT_EQ(name_in(passwd, 42, 0), "root");
    EXPECT_EQ(name_in(passwd, 42, 4242), "4242") << "a uid its passwd does not name";
    EXPECT_EQ(passwd.roots_cached(), 1u);
}

TEST_F(FakeProcRoots, AProcessInOurMountNamespaceIsLeftToTheHostsDatabase) {
    process(43, "mnt:[1]", "other:x:1000:1000::/:/bin/sh\n");
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(name_in(passwd, 43, 1000), std::nullopt);
    EXPECT_EQ(name_in(passwd, 44, 1000), std::nullopt) << "gone";
    EXPECT_EQ(passwd.roots_cached(), 0u);
}

TEST_F(FakeProcRoots, AMountNamespaceOverOurRootIsLeftToTheHostsDatabase) {
    // A service with PrivateTmp: its own mount namespace, our root.
    link("45/ns/mnt", "mnt:[9]");
    link("45/root", (dir_ / "roots/self").string());
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(name_in(passwd, 45, 1000), std::nullopt);
}

TEST_F(FakeProcRoots, AUserAddedAfterTheFirstReadIsFound) {
    process(42, "mnt:[2]", "root:x:0:0::/:/bin/sh\n");
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(name_in(passwd, 42, 1000), "1000");
    write("roots/42/etc/passwd", "root:x:0:0::/:/bin/sh\nhwuser:x:1000:1000::/:/bin/sh\n");
    EXPECT_EQ(name_in(passwd, 42, 1000), "hwuser");
}

TEST_F(FakeProcRoots, AUserNamespacesShiftedUidsAreMappedFirst) {
    process(42, "mnt:[2]", "root:x:0:0::/:/bin/sh\nhwuser:x:1000:1000::/:/bin/sh\n");
    write("42/uid_map", "0 100000 65536\n");
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(name_in(passwd, 42, 101000), "hwuser");
    EXPECT_EQ(name_in(passwd, 42, 100000), "root");
    EXPECT_EQ(name_in(passwd, 42, 0), "0") << "unmapped there";
}

TEST_F(FakeProcRoots, RootsAreBoundedOldestFirst) {
    process(42, "mnt:[2]", "a:x:7:7::/:/bin/sh\n");
    process(43, "mnt:[3]", "b:x:7:7::/:/bin/sh\n");
    RootPasswd passwd(dir_.string(), 1);
    EXPECT_EQ(name_in(passwd, 42, 7), "a");
    EXPECT_EQ(name_in(passwd, 43, 7), "b");
    EXPECT_EQ(passwd.roots_cached(), 1u);
    EXPECT_EQ(name_in(passwd, 42, 7), "a") << "read again";
}

TEST_F(FakeProcRoots, ARootIsNamedByItsNamespaceAfterItsProcessesAreGone) {
    process(42, "mnt:[2]", "root:x:0:0::/:/bin/sh\nhwuser:x:1000:1000::/:/bin/sh\n");
    process(43, "mnt:[1]", "other:x:1000:1000::/:/bin/sh\n");
    RootPasswd passwd(dir_.string());
    EXPECT_EQ(passwd.root_seen(42).foreign, "mnt:[2]");
    EXPECT_EQ(passwd.root_seen(43).foreign, std::nullopt) << "our own namespace";
    fs::remove_all(dir_ / "42");
    EXPECT_EQ(name_in(passwd, 42, 1000), std::nullopt) << "gone";
    EXPECT_EQ(passwd.name_in_root("mnt:[2]", 1000), "hwuser");
    EXPECT_EQ(passwd.name_in_root("mnt:[3]", 1000), std::nullopt) << "never read";
}

// A zombie keeps its stat (pid, start) but not its namespaces: the job killed
// with its shell in a container's session, not reaped yet when its verdict
// is made. It cannot tell its root, so it names nobody; the host's database
// (which may give the uid another name) is not its answer.
TEST_F(FakeProcRoots, AZombieNamesNobodyAndALiveProcessOfTheHostsRootTheHostDoes) {
    constexpr std::uint64_t kTicks = 4200;
    const std::uint64_t start_ns =
        kTicks * (1'000'000'000ULL / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)));
    const std::string stat = "42 (sleep) Z 41 41 41 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 " +
                             std::to_string(kTicks) + " 0 0 18446744073709551615\n";
    write("42/stat", stat);
    ProcHostProbe probe(dir_.string());
    EXPECT_EQ(probe.user_name_seen_by(0, 42, start_ns), std::nullopt) << "a zombie";
    EXPECT_FALSE(probe.learn_root_of_cgroup(7007, 42)) << "a zombie cannot tell";

    link("42/ns/mnt", "mnt:[1]");  // alive, in our own mount namespace
    EXPECT_EQ(probe.user_name_seen_by(0, 42, start_ns), probe.user_name(0));
    EXPECT_EQ(probe.user_name_seen_by(0, 42, start_ns + 60'000'000'000ULL), std::nullopt)
        << "another process under the same pid";
    EXPECT_TRUE(probe.learn_root_of_cgroup(7007, 42)) << "the host's root";
    EXPECT_EQ(probe.user_name_in_cgroup(0, 7007), std::nullopt) << "the host's database names it";
}

// The correlator asks the process, then its living ancestors.
class ContainerProbe : public HostProbe {
   public:
    std::uint32_t living = 0;  // the only live process, in the container
    std::optional<std::string> cgroup_path(std::uint32_t) override { return std::nullopt; }
    std::optional<SignalMasks> signal_masks(std::uint32_t) override { return std::nullopt; }
    std::optional<OutputTargets> output_targets(std::uint32_t) override { return std::nullopt; }
    std::string user_name(std::uint32_t uid) override { return "host" + std::to_string(uid); }
    std::optional<double> cpu_seconds(std::uint32_t) override { return std::nullopt; }
    std::optional<std::string> user_name_seen_by(std::uint32_t uid, std::uint32_t pid,
                                                 std::uint64_t) override {
        if (pid != living) return std::nullopt;
        return "container" + std::to_string(uid);
    }
};

// The job dies of `sig` at 10 s: its one verdict, killed, names `user`.
void expect_killed_as(test::Story& s, const ProcessInfo& job, int sig, const std::string& user) {
    s.at(10 * test::kSec);
    s.exit_signal(job, sig);
    auto v = s.verdicts_for(job.pid);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].kind, VerdictKind::Killed);
    EXPECT_EQ(v[0].user, user);
}

TEST(ContainerUserNames, ADeadJobIsNamedAsItsLivingAncestorSeesIt) {
    using namespace test;
    ContainerProbe probe;
    probe.living = 800;  // the container's sshd; the shell and the job die
    Story s({}, &probe);
    Login login(s);
    auto job = login.job(910, 5 * kSec, "sleep");
    expect_killed_as(s, job, SIGSEGV, "container1000");
}

// Cgroup paths are read, and roots learned, only while `alive` lives.
class CgroupRootProbe : public ContainerProbe {
   public:
    std::uint32_t alive = 0;
    std::map<std::uint64_t, std::uint32_t> learned;  // cgroup id -> the pid read
    std::optional<std::string> cgroup_path(std::uint32_t pid) override {
        if (pid != alive) return std::nullopt;
        return "/machine.slice/machine-c1.scope/payload/session-7.scope";
    }
    bool learn_root_of_cgroup(std::uint64_t cgroup_id, std::uint32_t pid) override {
        if (pid != alive) return false;  // gone: it cannot tell
        learned.emplace(cgroup_id, pid);
        return true;
    }
    std::optional<std::string> user_name_in_cgroup(std::uint32_t uid,
                                                   std::uint64_t cgroup_id) override {
        if (!learned.contains(cgroup_id)) return std::nullopt;
        return "container" + std::to_string(uid);
    }
};

TEST(ContainerUserNames, ADeadJobWithNoLivingAncestorIsNamedByItsCgroupsRoot) {
    // terminate-session in a container: the job, its shell and sshd's
    // session processes all die before the deaths are read.
    using namespace test;
    CgroupRootProbe probe;
    Story s({}, &probe);
    Login login(s);
    auto job = s.proc(910, 5 * kSec, login.bash.pid, login.bash.sid, kPts3, "sleep");
    job.cgroup_id = 7007;
    s.at(5 * kSec);
    s.fork(job, login.bash.start_ns);
    probe.alive = 910;  // read while it lives: its cgroup's root is learned
    s.exec(job, {"sleep", "400"});
    probe.alive = 0;
    EXPECT_EQ(probe.learned.count(7007), 1u);
    expect_killed_as(s, job, SIGTERM, "container1000");
}

// A scope's path known from its cgroup_mkdir still leaves its root to learn,
// and a first sighting that cannot tell (a zombie) is not the last asked.
TEST(ContainerUserNames, AScopeNamedAtItsMkdirStillLearnsItsRootFromALaterProcess) {
    using namespace test;
    CgroupRootProbe probe;
    Story s({}, &probe);
    Login login(s);
    auto sshd = s.proc(800, kSec / 2, 1, 800, 0, "sshd");
    s.at(4 * kSec);
    s.feed(CgroupMkdirEvent{sshd, 7007, "/machine.slice/machine-c1.scope/payload/session-7.scope",
                            false});
    auto first = s.proc(905, 4 * kSec, login.bash.pid, login.bash.sid, kPts3, "true");
    first.cgroup_id = 7007;
    s.fork(first, login.bash.start_ns);
    s.exec(first, {"true"});  // gone before it is read: nothing learned
    EXPECT_EQ(probe.learned.count(7007), 0u);
    auto job = s.proc(910, 5 * kSec, login.bash.pid, login.bash.sid, kPts3, "sleep");
    job.cgroup_id = 7007;
    s.at(5 * kSec);
    s.fork(job, login.bash.start_ns);
    probe.alive = 910;
    s.exec(job, {"sleep", "400"});
    probe.alive = 0;
    EXPECT_EQ(probe.learned.count(7007), 1u);
    expect_killed_as(s, job, SIGTERM, "container1000");
}

TEST(ContainerUserNames, WithNoLivingAncestorTheHostNamesIt) {
    using namespace test;
    ContainerProbe probe;
    Story s({}, &probe);
    Login login(s);
    auto job = login.job(910, 5 * kSec, "sleep");
    expect_killed_as(s, job, SIGSEGV, "host1000");
}

// A container's login: its disconnect and its logout name the user as the
// container's passwd does, not the host's.
TEST(ContainerUserNames, AContainerLoginsDisconnectNamesItsOwnUser) {
    using namespace test;
    ContainerProbe probe;
    probe.living = 800;  // the container's sshd outlives the hung-up shell
    Story s({}, &probe);
    Login login(s);
    login.hang_up(10 * kSec);
    auto d = s.disconnects();
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].user, "container1000");
}

TEST(ContainerUserNames, AContainerLoginsLogoutNamesItsOwnUser) {
    using namespace test;
    ContainerProbe probe;
    probe.living = 800;
    Story s({}, &probe);
    Login login(s);
    s.at(10 * kSec);
    s.exit_code(login.bash, 0);
    auto ends = s.session_ends();
    ASSERT_EQ(ends.size(), 1u);
    EXPECT_EQ(ends[0].user, "container1000");
}

}  // namespace
}  // namespace hupwatch
