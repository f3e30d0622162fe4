// `hupwatch ps` against real sessions: an interactive bash on a pty we own
// (session leader, pty as controlling terminal) starts one job of each kind;
// the real binary must classify each. Needs no BPF and no root: it lives here
// because it runs the built binary with real processes.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process_classification.h"
#include "pty_session.h"
#include "skip_or_fail.h"

namespace hupwatch {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string cmdline_of(pid_t pid) {
    return read_text("/proc/" + std::to_string(pid) + "/cmdline");
}

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) out += a + '\0';
    return out;
}

// The process running exactly argv, polled until it shows up (bounded).
std::optional<pid_t> await_process(const std::vector<std::string>& argv) {
    std::string want = joined(argv);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        std::error_code ec;
        for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
            std::string name = it->path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            if (read_text(it->path() / "cmdline") == want) return std::stoi(name);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

// The supervision every process we start inherits: a CI runner's service
// unit, or a tmux the developer runs the tests in.
Supervision own_supervision() {
    std::string cgroup;
    std::istringstream lines(read_text("/proc/self/cgroup"));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("0::", 0) == 0) cgroup = line.substr(3);
    std::vector<std::string> comms;
    for (pid_t pid = getpid(); pid > 1 && comms.size() < 64;) {
        std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
        auto open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos) break;
        comms.push_back(stat.substr(open + 1, close - open - 1));
        pid = std::atoi(stat.c_str() + close + 4);  // ") S PPID"
    }
    return classify_supervision(cgroup, comms);
}

// Kills what the test started, checking first that the pid still runs it.
struct Reaper {
    std::map<pid_t, std::string> started;  // pid -> cmdline
    void add(pid_t pid) { started.emplace(pid, cmdline_of(pid)); }
    ~Reaper() {
        for (const auto& [pid, cmdline] : started)
            if (cmdline_of(pid) == cmdline) kill(pid, SIGKILL);
    }
};

struct CommandResult {
    int status = -1;
    std::string out;
};

// Runs a shell command line; its stdout and wait status.
CommandResult run_command(const std::string& command) {
    CommandResult r;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return r;
    char buf[65536];
    for (std::size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) r.out.append(buf, n);
    r.status = pclose(pipe);
    return r;
}

CommandResult run_binary(const std::string& args) {
    return run_command(std::string(HUPWATCH_BINARY) + " " + args);
}

void index_by_pid(const Json& processes, std::map<long, Json>& out) {
    for (const auto& p : processes) {
        out[p.at("pid").get<long>()] = p;
        index_by_pid(p.at("children"), out);
    }
}

std::map<long, Json> ps_json(const std::string& args) {
    CommandResult r = run_binary("ps --json " + args);
    EXPECT_EQ(r.status, 0) << r.out;
    std::map<long, Json> out;
    Json doc = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    if (!doc.is_discarded()) index_by_pid(doc.at("processes"), out);
    return out;
}

std::string user_name() {
    passwd* pw = getpwuid(geteuid());
    return pw ? pw->pw_name : std::to_string(geteuid());
}

class PsCli : public ::testing::Test {
   protected:
    void SetUp() override {
        ASSERT_TRUE(session_.ok()) << "no interactive bash on a pty";
        tty_ = session_.slave_path().substr(5);  // "/dev/pts/3" -> "pts/3"
        supervision_ = own_supervision();
    }

    // A job's expected (risk, reason) under whatever supervises this test.
    std::pair<std::string, std::string> expect(const std::string& risk,
                                               const std::string& reason) const {
        if (supervision_ == Supervision::None) return {risk, reason};
        return {"protected", std::string(supervision_name(supervision_))};
    }

    pid_t job(const std::vector<std::string>& argv) {
        auto pid = await_process(argv);
        if (pid) reaper_.add(*pid);
        return pid.value_or(-1);
    }

    std::string tag_ = std::to_string(getpid());
    test::PtySession session_;
    Reaper reaper_;  // destroyed before the session: jobs die before the hangup
    std::string tty_;
    Supervision supervision_ = Supervision::None;
};

#define EXPECT_RISK(proc, pair)                              \
    do {                                                     \
        auto want_ = (pair);                                 \
        EXPECT_EQ((proc).at("risk"), want_.first) << (proc); \
        EXPECT_EQ((proc).at("risk_reason"), want_.second);   \
    } while (0)

TEST_F(PsCli, ClassifiesEachKindOfJob) {
    ASSERT_TRUE(session_.start_job("sleep 1000" + tag_));
    ASSERT_TRUE(session_.start_job("nohup sleep 1001" + tag_ + " >/dev/null 2>&1"));
    ASSERT_TRUE(
        session_.start_job("bash -c 'trap \"echo hup\" HUP; sleep 1002" + tag_ + " & wait'"));
    ASSERT_TRUE(session_.start_job("setsid sleep 1003" + tag_));
    ASSERT_TRUE(session_.run("(sleep 1004" + tag_ + " &); echo HW_SUB_$((2+3))", "HW_SUB_5"));

    pid_t plain = job({"sleep", "1000" + tag_});
    pid_t nohup = job({"sleep", "1001" + tag_});
    pid_t trapper = job({"bash", "-c", "trap \"echo hup\" HUP; sleep 1002" + tag_ + " & wait"});
    pid_t trapped_child = job({"sleep", "1002" + tag_});
    pid_t setsid_job = job({"sleep", "1003" + tag_});
    pid_t orphan = job({"sleep", "1004" + tag_});
    for (pid_t p : {plain, nohup, trapper, trapped_child, setsid_job, orphan}) ASSERT_GT(p, 0);

    auto procs = ps_json("--all");
    const pid_t leader = session_.leader();
    for (pid_t p : {leader, plain, nohup, trapper, trapped_child, setsid_job, orphan})
        ASSERT_TRUE(procs.contains(p)) << "pid " << p << " missing";

    const Json& shell = procs[leader];
    EXPECT_EQ(shell.at("risk"), "not_a_job");
    EXPECT_EQ(shell.at("risk_reason"), "session_leader");
    EXPECT_EQ(shell.at("sighup"), "handled") << "interactive bash catches SIGHUP";
    EXPECT_EQ(shell.at("tty"), tty_);
    EXPECT_EQ(shell.at("session_leader"), true);

    const Json& p = procs[plain];
    EXPECT_RISK(p, expect("at_risk", "sighup_default"));
    EXPECT_EQ(p.at("sighup"), "default");
    EXPECT_EQ(p.at("tty"), tty_);
    EXPECT_EQ(p.at("ppid"), leader);
    EXPECT_EQ(p.at("sid"), leader);
    EXPECT_EQ(p.at("user"), user_name());
    EXPECT_EQ(p.at("uid"), geteuid());
    EXPECT_EQ(p.at("supervision"), supervision_name(supervision_));
    EXPECT_EQ(p.at("output_to_tty"), true);
    EXPECT_EQ(p.at("output_lost"), false);
    EXPECT_EQ(p.at("argv"), (std::vector<std::string>{"sleep", "1000" + tag_}));
    EXPECT_EQ(p.at("comm"), "sleep");
    EXPECT_GT(p.at("start_ns").get<std::uint64_t>(), 0u);

    const Json& n = procs[nohup];
    EXPECT_RISK(n, expect("protected", "sighup_ignored"));
    EXPECT_EQ(n.at("sighup"), "ignored");
    EXPECT_EQ(n.at("tty"), tty_);
    EXPECT_EQ(n.at("output_to_tty"), false) << "redirected to /dev/null";

    const Json& t = procs[trapper];
    EXPECT_RISK(t, expect("protected", "sighup_handled"));
    EXPECT_EQ(t.at("sighup"), "handled");
    EXPECT_EQ(t.at("tty"), tty_);
    const Json& tc = procs[trapped_child];
    EXPECT_RISK(tc, expect("at_risk", "sighup_default"));
    EXPECT_EQ(tc.at("sighup"), "default") << "a trap is not inherited across exec";
    EXPECT_EQ(tc.at("ppid"), trapper);

    const Json& s = procs[setsid_job];
    EXPECT_RISK(s, expect("protected", "own_session"));
    EXPECT_EQ(s.at("sid"), setsid_job);
    EXPECT_TRUE(s.at("tty").is_null());
    EXPECT_EQ(s.at("sighup"), "default");

    const Json& o = procs[orphan];
    EXPECT_RISK(o, expect("orphaned", "reparented"));
    EXPECT_EQ(o.at("sid"), leader) << "still in the login's session";
    EXPECT_NE(o.at("ppid"), leader);
    EXPECT_EQ(o.at("tty"), tty_);
}

TEST_F(PsCli, TmuxPaneJobIsProtected) {
    if (system("command -v tmux >/dev/null 2>&1") != 0) HUPWATCH_SKIP_OR_FAIL_UNDER_CI("no tmux");
    std::string socket = (fs::temp_directory_path() / ("hupwatch-ps-" + tag_ + ".sock")).string();
    std::string cmd = "tmux -S " + socket + " new-session -d 'sleep 1005" + tag_ + " & wait'";
    ASSERT_EQ(system(cmd.c_str()), 0);
    struct KillServer {
        std::string socket;
        ~KillServer() {
            [[maybe_unused]] int rc =
                system(("tmux -S " + socket + " kill-server 2>/dev/null").c_str());
            fs::remove(socket);
        }
    } kill_server{socket};

    pid_t sleeper = job({"sleep", "1005" + tag_});
    ASSERT_GT(sleeper, 0);
    auto procs = ps_json("");  // the default view: the pane is an interactive session
    ASSERT_TRUE(procs.contains(sleeper));
    const Json& j = procs[sleeper];
    EXPECT_EQ(j.at("risk"), "protected");
    EXPECT_EQ(j.at("risk_reason"), "tmux");
    EXPECT_EQ(j.at("supervision"), "tmux");
    EXPECT_TRUE(j.at("tty").is_string());
    EXPECT_NE(j.at("tty"), tty_);
    const Json& pane = procs[j.at("ppid").get<long>()];
    EXPECT_EQ(pane.at("risk_reason"), "session_leader");
}

TEST_F(PsCli, DefaultViewAndText) {
    ASSERT_TRUE(session_.start_job("sleep 1006" + tag_));
    pid_t plain = job({"sleep", "1006" + tag_});
    ASSERT_GT(plain, 0);

    auto procs = ps_json("");
    ASSERT_TRUE(procs.contains(plain));
    EXPECT_TRUE(procs.contains(session_.leader()));
    EXPECT_FALSE(procs.contains(1)) << "init is no interactive session";

    CommandResult r = run_binary("ps");
    EXPECT_EQ(r.status, 0);
    std::string line;
    std::istringstream lines(r.out);
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_NE(line.find("PID USER"), std::string::npos) << "the header first: " << line;
    while (std::getline(lines, line) && line.find("sleep 1006" + tag_) == std::string::npos) {
    }
    EXPECT_NE(line.find("\\_ sleep 1006" + tag_), std::string::npos) << r.out;
    EXPECT_NE(line.find(" " + tty_ + " "), std::string::npos) << line;
    if (supervision_ == Supervision::None) {
        EXPECT_NE(line.find(" at_risk "), std::string::npos) << line;
    }
}

TEST(PsCliErrors, BadProcRootIsOneLine) {
    CommandResult r = run_binary("ps --proc /nonexistent/proc 2>&1");
    EXPECT_EQ(WEXITSTATUS(r.status), 2);
    EXPECT_EQ(r.out, "hupwatch: --proc '/nonexistent/proc' is not a directory\n");
}

// An ordinary user reads every process's stat and status, but not other
// users' fds: those come out null, and ps still succeeds.
TEST_F(PsCli, OrdinaryUser) {
    if (geteuid() != 0 || system("command -v setpriv >/dev/null 2>&1") != 0)
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI("needs root to drop to nobody, and setpriv");
    ASSERT_TRUE(session_.start_job("sleep 1007" + tag_));
    pid_t plain = job({"sleep", "1007" + tag_});
    ASSERT_GT(plain, 0);
    auto as_root = ps_json("--all");
    CommandResult r = run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                  std::string(HUPWATCH_BINARY) + " ps --json --all");
    EXPECT_EQ(r.status, 0);
    Json doc = Json::parse(r.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << r.out;
    std::map<long, Json> as_nobody;
    index_by_pid(doc.at("processes"), as_nobody);
    ASSERT_TRUE(as_nobody.contains(plain));
    const Json& j = as_nobody[plain];
    EXPECT_EQ(j.at("risk"), as_root[plain].at("risk"));
    EXPECT_EQ(j.at("sighup"), "default");
    EXPECT_EQ(j.at("user"), user_name());
    EXPECT_TRUE(j.at("output_to_tty").is_null()) << "another user's fds";
}

}  // namespace
}  // namespace hupwatch
