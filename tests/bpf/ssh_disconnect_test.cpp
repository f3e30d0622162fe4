// The disconnect as operators meet it: a real OpenSSH login, jobs started by
// hand in root's login shell, then the connection dropped by SIGKILLing the
// client. sshd sees the connection close and closes the pty master; the
// kernel (pty_close -> tty_vhangup -> __tty_hangup) hangs up the remote
// shell on sshd's behalf. Asserts who hung up and each job's verdict.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "finding_format.h"
#include "monitor_capture.h"
#include "proc_scanner.h"
#include "replay_correlator.h"
#include "skip_or_fail.h"
#include "sshd_fixture.h"
#include "tty_names.h"

namespace hupwatch::test {
namespace {

// SIGKILLs the jobs at scope exit, also when an assertion returns early:
// the survivors were reparented away from the test and would outlive it.
class JobKiller {
   public:
    ~JobKiller() {
        for (pid_t pid : pids_) kill(pid, SIGKILL);
    }
    void add(pid_t pid) { pids_.push_back(pid); }

   private:
    std::vector<pid_t> pids_;
};

// The processes between `pid` and its ancestor `top` (both excluded), or
// nullopt when `top` is not an ancestor.
std::optional<std::set<pid_t>> processes_between(pid_t pid, pid_t top) {
    std::set<pid_t> between;
    for (int depth = 0; depth < 16; ++depth) {
        auto stat = read_proc_stat(pid);
        if (!stat) return std::nullopt;
        if (stat->ppid == top) return between;
        if (stat->ppid <= 1) return std::nullopt;
        pid = stat->ppid;
        between.insert(pid);
    }
    return std::nullopt;
}

TEST(SshDisconnect, KillingTheClientHangsUpTheRemoteShellAndItsJobsGetVerdicts) {
    if (auto missing = missing_openssh_programs(); !missing.empty()) {
        std::string names;
        for (const auto& m : missing) names += " " + m;
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI(
            "OpenSSH missing:" << names << " (install openssh-server and openssh-client)");
    }
    HUPWATCH_START_MONITOR(monitor);
    monitor->keep_events();                  // for the reanalysis below
    const auto seed = ProcScanner().scan();  // what the live path was seeded with, near enough
    std::string error;
    auto server = SshdServer::start(error);
    ASSERT_TRUE(server) << error;
    SshClientPty client(*server);
    ASSERT_TRUE(client.ok()) << "ssh login failed; client output:\n"
                             << client.transcript() << "\nsshd stderr:\n"
                             << server->log();
    JobKiller jobs;

    // The remote login shell runs on this host: /proc tells about it.
    auto shell_text = client.value("$$");
    ASSERT_TRUE(shell_text && !shell_text->empty() &&
                shell_text->find_first_not_of("0123456789") == std::string::npos)
        << client.transcript();
    const pid_t shell = static_cast<pid_t>(std::stol(*shell_text));
    auto shell_stat = read_proc_stat(shell);
    ASSERT_TRUE(shell_stat);
    EXPECT_EQ(shell_stat->comm, "bash");
    ASSERT_EQ(shell_stat->sid, shell) << "sshd makes the shell a session leader";
    const auto sid = static_cast<std::uint32_t>(shell);
    const std::string tty_path =
        std::filesystem::read_symlink("/proc/" + *shell_text + "/fd/0").string();
    ASSERT_EQ(tty_path.rfind("/dev/pts/", 0), 0u) << tty_path;
    const std::string tty = tty_path.substr(5);  // "pts/N"
    // This connection's sshd processes, between our listener and the shell:
    // for a root login just the re-executed `sshd -R` (privilege separation
    // forks no unprivileged session child for root); it holds the master.
    auto connection_sshds = processes_between(shell, server->pid());
    ASSERT_TRUE(connection_sshds) << "the remote shell is not a descendant of our sshd";
    ASSERT_FALSE(connection_sshds->empty());

    const std::string tag = std::to_string(getpid());
    auto plain = client.start_job("sleep 2000" + tag);
    if (plain) jobs.add(*plain);
    auto nohup = client.start_job("nohup sleep 2001" + tag + " >/dev/null 2>&1");
    if (nohup) jobs.add(*nohup);
    auto disowned = client.start_job("sleep 2002" + tag, "disown");
    if (disowned) jobs.add(*disowned);
    ASSERT_TRUE(plain && nohup && disowned) << client.transcript();
    // The shell has forked them; the nohup'd one must have exec'd sleep (and
    // so ignore SIGHUP) before the hangup, or the race decides its fate.
    auto comm_is_sleep = [](pid_t pid) {
        auto s = read_proc_stat(pid);
        return s && s->comm == "sleep";
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(comm_is_sleep(*plain) && comm_is_sleep(*nohup) && comm_is_sleep(*disowned)) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(comm_is_sleep(*plain) && comm_is_sleep(*nohup) && comm_is_sleep(*disowned));
    ASSERT_TRUE(client.wait_prompt()) << client.transcript();

    // The real disconnect: the client dies without closing the channel.
    int status = client.kill_client();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto disconnect = monitor->wait_disconnect(sid);
    ASSERT_TRUE(disconnect) << "no disconnect for the remote shell's session; sshd stderr:\n"
                            << server->log();
    EXPECT_EQ(disconnect->leader.pid, sid);
    EXPECT_EQ(disconnect->leader.comm, "bash");
    EXPECT_EQ(tty_name(disconnect->tty_dev), tty);
    EXPECT_EQ(disconnect->user, "root");
    EXPECT_EQ(disconnect->hung_up_by_comm, "sshd");
    EXPECT_NE(disconnect->hung_up_by_pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_TRUE(connection_sshds->count(static_cast<pid_t>(disconnect->hung_up_by_pid)))
        << "hung up by " << disconnect->hung_up_by_pid
        << ", not one of this connection's sshd processes";

    // Every verdict about a process: the first, then long enough for a
    // second (contradicting) one to show, past the orphan settle time.
    BootClock clock;
    auto verdicts_of = [&](pid_t pid) {
        auto first = monitor->wait_verdicts(static_cast<std::uint32_t>(pid), 1);
        if (first.empty()) return first;
        return monitor->wait_verdicts(static_cast<std::uint32_t>(pid), 2,
                                      std::chrono::milliseconds(800));
    };
    auto describe = [&](const std::vector<Verdict>& verdicts) {
        std::string out;
        for (const auto& v : verdicts) out += "\n  " + to_json_line(Finding{v}, clock);
        return out;
    };
    auto one_verdict = [&](pid_t pid) -> std::optional<Verdict> {
        auto v = verdicts_of(pid);
        EXPECT_EQ(v.size(), 1u) << "verdicts about " << pid << ":" << describe(v);
        if (v.size() != 1) return std::nullopt;
        return v[0];
    };
    {
        SCOPED_TRACE("plain job " + std::to_string(*plain));
        auto v = one_verdict(*plain);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::KilledByDisconnect);
        EXPECT_EQ(v->signal, SIGHUP);
        EXPECT_EQ(v->sid, sid);
        EXPECT_EQ(v->disconnect_sid, sid);
        EXPECT_EQ(v->user, "root");
        ASSERT_TRUE(v->via) << "bash forwards the hangup to its jobs";
        EXPECT_EQ(v->via->pid, sid);
        EXPECT_EQ(v->via->comm, "bash");
    }
    auto expect_orphan = [&](pid_t pid, SurvivalReason reason) {
        SCOPED_TRACE("orphaned job " + std::to_string(pid));
        auto v = one_verdict(pid);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::Orphaned);
        EXPECT_EQ(v->cause, OrphanCause::Disconnect);
        EXPECT_EQ(v->survived_because, reason);
        EXPECT_EQ(v->sid, sid);
        EXPECT_EQ(v->user, "root");
        ASSERT_FALSE(v->lineage.empty());
        EXPECT_EQ(v->lineage.back().pid, sid) << "lineage ends at the session leader";
        // Whoever reaps orphans here (init, or a subreaper above the test):
        // the verdict must name what the kernel chose.
        auto now = read_proc_stat(pid);
        ASSERT_TRUE(now) << "the orphan died";
        ASSERT_TRUE(v->new_parent);
        EXPECT_EQ(v->new_parent->pid, static_cast<std::uint32_t>(now->ppid));
        EXPECT_EQ(v->reaper, now->ppid == 1 ? ReaperKind::Init : ReaperKind::Subreaper);
    };
    expect_orphan(*nohup, SurvivalReason::SighupIgnored);
    expect_orphan(*disowned, SurvivalReason::NotSignalled);
    // sshd exits right after closing the master, so the shell is briefly an
    // orphan of init before its SIGHUP kills it: that is no orphan story.
    // A session leader's death gets no verdict (the disconnect tells it).
    auto about_shell = monitor->wait_verdicts(sid, 1, std::chrono::milliseconds(100));
    EXPECT_TRUE(about_shell.empty()) << "verdicts about the remote shell:" << describe(about_shell);

    // `replay --reanalyze` as a proof: the correlator run again over the
    // events the live path saw draws the same findings about this session.
    RecordedHostProbe probe;
    ReplayCorrelator again({}, &probe);
    again.seed(seed);
    std::vector<Finding> reanalyzed;
    for (const auto& e : monitor->events())
        for (auto& f : again.on_event(e)) reanalyzed.push_back(std::move(f));
    for (auto& f : again.finish()) reanalyzed.push_back(std::move(f));
    auto of_session = [&](const std::vector<Finding>& findings) {
        std::map<std::pair<std::string, std::uint32_t>, std::string> out;
        for (const auto& f : findings) {
            auto j = nlohmann::json::parse(to_json_line(f, clock));
            if (j["sid"] != sid) continue;
            // What only the live host could tell (/proc at the moment: the
            // cgroup, the open files on the dead terminal); the store keeps
            // the live verdicts (replay_correlator.h, RecordedHostProbe).
            for (const char* live_only : {"supervision", "dead_fds", "output_lost"})
                j.erase(live_only);
            out[{j["event"].get<std::string>(), j["pid"].get<std::uint32_t>()}] = j.dump();
        }
        return out;
    };
    auto live = of_session(monitor->findings());
    auto derived = of_session(reanalyzed);
    EXPECT_EQ(live.size(), 4u) << "the disconnect and three verdicts";
    for (const auto& [key, line] : live) {
        auto it = derived.find(key);
        ASSERT_NE(it, derived.end()) << "reanalysis lacks " << key.first << " " << key.second;
        EXPECT_EQ(it->second, line) << "live and reanalyzed differ";
    }
    EXPECT_EQ(derived.size(), live.size());
}

// `ssh -T host CMD`: no pty, so no hangup. The client is SIGKILLed; the
// sshd session process sees the connection drop and exits without a signal
// to the command, whose pipes to it lose their reader. A command that
// writes dies of SIGPIPE (killed_by_disconnect, via the vanished sshd); one
// that does not survives as an orphan whose output is lost.
TEST(SshDisconnect, ACommandWithoutAPtyLosesItsSshdAndDiesOfSigpipeOrIsOrphaned) {
    if (auto missing = missing_openssh_programs(); !missing.empty())
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI(
            "OpenSSH missing (install openssh-server and openssh-client)");
    HUPWATCH_START_MONITOR(monitor);
    std::string error;
    auto server = SshdServer::start(error);
    ASSERT_TRUE(server) << error;
    JobKiller jobs;
    const std::string tag = std::to_string(getpid());
    // $$ is the remote shell, which execs the command: one process, the
    // leader of the session sshd's child made with setsid().
    SshCommand writer(*server,
                      "echo W=$$; exec sh -c 'while :; do echo tick; sleep 0.3; done' hw" + tag);
    SshCommand quiet(*server, "echo Q=$$; exec sleep 3003" + tag);
    ASSERT_TRUE(writer.started() && quiet.started());
    auto writer_pid = writer.wait_pid("W");
    auto quiet_pid = quiet.wait_pid("Q");
    ASSERT_TRUE(writer_pid && quiet_pid)
        << writer.transcript() << quiet.transcript() << "\nsshd stderr:\n"
        << server->log();
    jobs.add(*writer_pid);
    jobs.add(*quiet_pid);
    ASSERT_TRUE(writer.wait_for("tick\n", std::chrono::seconds(10))) << writer.transcript();
    auto comm_is = [](pid_t pid, const std::string& comm) {
        auto s = read_proc_stat(pid);
        return s && s->comm == comm;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!comm_is(*quiet_pid, "sleep") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto writer_stat = read_proc_stat(*writer_pid);
    auto quiet_stat = read_proc_stat(*quiet_pid);
    ASSERT_TRUE(writer_stat && quiet_stat);
    ASSERT_EQ(quiet_stat->comm, "sleep");
    ASSERT_EQ(writer_stat->sid, *writer_pid) << "sshd makes the command a session leader";
    ASSERT_EQ(quiet_stat->sid, *quiet_pid);
    // Their sshd session processes, children of our listener.
    const pid_t writer_sshd = writer_stat->ppid;
    const pid_t quiet_sshd = quiet_stat->ppid;
    for (pid_t sshd : {writer_sshd, quiet_sshd}) {
        auto s = read_proc_stat(sshd);
        ASSERT_TRUE(s);
        EXPECT_EQ(s->comm, "sshd");
        EXPECT_EQ(s->ppid, server->pid());
    }

    int status = writer.kill_client();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    status = quiet.kill_client();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    for (pid_t pid : {*writer_pid, *quiet_pid}) {
        SCOPED_TRACE("command " + std::to_string(pid));
        auto d = monitor->wait_disconnect(static_cast<std::uint32_t>(pid));
        ASSERT_TRUE(d) << "no disconnect; sshd stderr:\n" << server->log();
        EXPECT_EQ(d->leader.pid, static_cast<std::uint32_t>(pid));
        EXPECT_EQ(d->tty_dev, 0u);
        EXPECT_EQ(d->hung_up_by_comm, "sshd");
        EXPECT_EQ(d->hung_up_by_pid,
                  static_cast<std::uint32_t>(pid == *writer_pid ? writer_sshd : quiet_sshd));
        EXPECT_EQ(d->user, "root");
    }
    BootClock clock;
    auto describe = [&](const std::vector<Verdict>& verdicts) {
        std::string out;
        for (const auto& v : verdicts) out += "\n  " + to_json_line(Finding{v}, clock);
        return out;
    };
    auto only_verdict = [&](pid_t pid) -> std::optional<Verdict> {
        auto first = monitor->wait_verdicts(static_cast<std::uint32_t>(pid), 1);
        auto all = first.empty() ? first
                                 : monitor->wait_verdicts(static_cast<std::uint32_t>(pid), 2,
                                                          std::chrono::milliseconds(800));
        EXPECT_EQ(all.size(), 1u) << "verdicts about " << pid << ":" << describe(all);
        if (all.size() != 1) return std::nullopt;
        return all[0];
    };
    {
        SCOPED_TRACE("writer " + std::to_string(*writer_pid));
        auto v = only_verdict(*writer_pid);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::KilledByDisconnect);
        EXPECT_EQ(v->signal, SIGPIPE);
        EXPECT_EQ(v->process.comm, "sh");
        EXPECT_EQ(v->sid, static_cast<std::uint32_t>(*writer_pid));
        EXPECT_EQ(v->disconnect_sid, static_cast<std::uint32_t>(*writer_pid));
        ASSERT_TRUE(v->via) << "via the vanished sshd session";
        EXPECT_EQ(v->via->pid, static_cast<std::uint32_t>(writer_sshd));
        EXPECT_EQ(v->via->comm, "sshd");
        ASSERT_FALSE(v->lineage.empty());
        EXPECT_EQ(v->lineage.front().pid, static_cast<std::uint32_t>(writer_sshd));
    }
    {
        SCOPED_TRACE("quiet " + std::to_string(*quiet_pid));
        auto v = only_verdict(*quiet_pid);
        ASSERT_TRUE(v);
        EXPECT_EQ(v->kind, VerdictKind::Orphaned);
        EXPECT_EQ(v->cause, OrphanCause::Disconnect);
        EXPECT_EQ(v->disconnect_sid, static_cast<std::uint32_t>(*quiet_pid));
        EXPECT_EQ(v->survived_because, SurvivalReason::NotSignalled);
        EXPECT_TRUE(v->output_lost)
            << "its stdout and stderr are pipes whose reader, sshd, is gone";
        EXPECT_TRUE(v->dead_fds.empty()) << "dead_fds lists hung-up terminals only";
        EXPECT_EQ(v->process.comm, "sleep");
        ASSERT_FALSE(v->lineage.empty());
        EXPECT_EQ(v->lineage.front().pid, static_cast<std::uint32_t>(quiet_sshd));
        auto now = read_proc_stat(*quiet_pid);
        ASSERT_TRUE(now) << "the orphan died";
        ASSERT_TRUE(v->new_parent);
        EXPECT_EQ(v->new_parent->pid, static_cast<std::uint32_t>(now->ppid));
    }
}

// `ssh -T host 'nohup job &'` without redirecting its output (the mistake
// the seed document warns of): the remote shell exits at once, orphaning the
// job, whose stdout is still sshd's pipe, so sshd stays. Killing the client
// makes sshd exit with no child to reparent; the job's next write dies of
// SIGPIPE. That is the disconnect's doing, not a broken pipe of its own.
TEST(SshDisconnect, ABackgroundJobOfAnSshCommandDiesOfSigpipeWhenTheClientGoes) {
    if (auto missing = missing_openssh_programs(); !missing.empty())
        HUPWATCH_SKIP_OR_FAIL_UNDER_CI(
            "OpenSSH missing (install openssh-server and openssh-client)");
    HUPWATCH_START_MONITOR(monitor);
    std::string error;
    auto server = SshdServer::start(error);
    ASSERT_TRUE(server) << error;
    JobKiller jobs;
    const std::string tag = std::to_string(getpid());
    SshCommand ssh(*server,
                   "echo S=$$; nohup sh -c 'echo J=$$; while :; do echo tick; sleep 1; "
                   "done' hwbg" +
                       tag + " &");
    ASSERT_TRUE(ssh.started());
    auto shell_pid = ssh.wait_pid("S");
    auto job_pid = ssh.wait_pid("J");
    ASSERT_TRUE(shell_pid && job_pid) << ssh.transcript() << "\nsshd stderr:\n" << server->log();
    jobs.add(*job_pid);
    // A user disconnects a while later: three writes in, sshd has waited
    // on the job's pipes for seconds.
    ASSERT_TRUE(ssh.wait_for("tick\ntick\ntick\n", std::chrono::seconds(10))) << ssh.transcript();
    auto job_stat = read_proc_stat(*job_pid);
    ASSERT_TRUE(job_stat);
    ASSERT_EQ(job_stat->sid, *shell_pid) << "the job is in the command's session";
    // Its shell is gone: the job was orphaned, and sshd has no child left.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (read_proc_stat(*shell_pid) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_FALSE(read_proc_stat(*shell_pid)) << "the remote shell did not exit";

    int status = ssh.kill_client();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto d = monitor->wait_disconnect(static_cast<std::uint32_t>(*shell_pid));
    ASSERT_TRUE(d) << "no disconnect; sshd stderr:\n" << server->log();
    EXPECT_EQ(d->leader.pid, static_cast<std::uint32_t>(*shell_pid));
    EXPECT_EQ(d->tty_dev, 0u);
    EXPECT_EQ(d->hung_up_by_comm, "sshd");
    auto verdicts = monitor->wait_verdicts(static_cast<std::uint32_t>(*job_pid), 2);
    ASSERT_EQ(verdicts.size(), 2u) << "orphaned by its shell, then killed";
    EXPECT_EQ(verdicts[0].kind, VerdictKind::Orphaned);
    const auto& v = verdicts[1];
    EXPECT_EQ(v.kind, VerdictKind::KilledByDisconnect);
    EXPECT_EQ(v.signal, SIGPIPE);
    EXPECT_EQ(v.process.comm, "sh");
    EXPECT_EQ(v.disconnect_sid, static_cast<std::uint32_t>(*shell_pid));
    ASSERT_TRUE(v.via) << "via the vanished sshd session";
    EXPECT_EQ(v.via->pid, d->hung_up_by_pid);
    EXPECT_FALSE(v.kill) << "not a `killed` broken pipe";
}

}  // namespace
}  // namespace hupwatch::test
