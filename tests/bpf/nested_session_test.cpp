// A session inside a session: an interactive bash on a pty (the outer login)
// runs `script -qfc bash`, which makes a new session on a new pty with an
// inner bash, and jobs are started there. Then the outer line hangs up. The
// inner session ends because the outer one did: the inner jobs must trace
// back to the outer disconnect, with the whole chain in their lineage.
#include <gtest/gtest.h>

#include "finding_format.h"
#include "monitor_capture.h"
#include "pty_session.h"
#include "scenario_helpers.h"
#include "sshd_fixture.h"

namespace hupwatch::test {
namespace {

bool comm_is(pid_t pid, const std::string& comm) {
    auto s = read_proc_stat(pid);
    return s && s->comm == comm;
}

TEST(NestedSession, JobsOfAScriptSessionTraceBackToTheOuterDisconnect) {
    HUPWATCH_START_MONITOR(monitor);
    SubreaperScope subreaper;
    const std::string tag = std::to_string(getpid());
    PtySession shell;
    ASSERT_TRUE(shell.ok()) << "interactive bash did not start";
    const auto outer_sid = static_cast<std::uint32_t>(shell.leader());

    // The inner bash, on script's pty; its output comes back through script.
    // script runs its command with `$SHELL -c`; `exec` makes the inner bash
    // script's child whatever $SHELL is (dash, as under CI, keeps itself as
    // the session leader and forks the bash).
    ASSERT_TRUE(shell.type("script -qfc 'exec bash --norc --noprofile --noediting -i' /dev/null"));
    // A computed marker: the inner pty echoes this line before stty runs.
    auto inner_text = shell.run("stty -echo; echo HW_INNER_$((2+3))=$$", "HW_INNER_5=");
    ASSERT_TRUE(inner_text);
    auto inner_line = shell.wait_for("\n", std::chrono::seconds(5));
    ASSERT_TRUE(inner_line);
    const pid_t inner = static_cast<pid_t>(std::stol(*inner_line));
    auto inner_stat = read_proc_stat(inner);
    ASSERT_TRUE(inner_stat);
    ASSERT_EQ(inner_stat->comm, "bash");
    ASSERT_EQ(inner_stat->sid, inner) << "script's child leads a session of its own";
    const pid_t script = inner_stat->ppid;
    auto script_stat = read_proc_stat(script);
    ASSERT_TRUE(script_stat);
    ASSERT_EQ(script_stat->comm, "script");
    ASSERT_EQ(script_stat->sid, shell.leader());

    auto plain = shell.start_job("sleep 1000" + tag);
    auto nohup = shell.start_job("nohup sleep 1001" + tag + " >/dev/null 2>&1");
    ASSERT_TRUE(plain && nohup);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(comm_is(*plain, "sleep") && comm_is(*nohup, "sleep")) &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(comm_is(*plain, "sleep") && comm_is(*nohup, "sleep"));
    for (pid_t job : {*plain, *nohup}) {
        auto s = read_proc_stat(job);
        ASSERT_TRUE(s);
        ASSERT_EQ(s->ppid, inner);
        ASSERT_EQ(s->sid, inner);
    }
    struct Cleanup {
        pid_t a, b;
        ~Cleanup() {
            kill(a, SIGKILL);
            kill(b, SIGKILL);
        }
    } cleanup{*plain, *nohup};

    shell.hang_up();
    shell.wait_leader();
    auto disconnect = monitor->wait_disconnect(outer_sid);
    ASSERT_TRUE(disconnect);
    EXPECT_EQ(disconnect->leader.pid, outer_sid);

    BootClock clock;
    for (pid_t job : {*plain, *nohup}) {
        SCOPED_TRACE("inner job " + std::to_string(job));
        auto first = monitor->wait_verdicts(static_cast<std::uint32_t>(job), 1);
        auto all = first.empty() ? first
                                 : monitor->wait_verdicts(static_cast<std::uint32_t>(job), 2,
                                                          std::chrono::milliseconds(800));
        std::string text;
        for (const auto& v : all) text += "\n  " + to_json_line(Finding{v}, clock);
        ASSERT_EQ(all.size(), 1u) << text;
        const Verdict& v = all[0];
        EXPECT_EQ(v.kind, VerdictKind::Orphaned) << text;
        EXPECT_EQ(v.cause, OrphanCause::Disconnect) << text;
        EXPECT_EQ(v.disconnect_sid, outer_sid) << text;
        EXPECT_EQ(v.sid, static_cast<std::uint32_t>(inner));
        // The chain: the inner bash, script, the outer bash.
        std::vector<std::uint32_t> chain;
        for (const auto& p : v.lineage) chain.push_back(p.pid);
        EXPECT_EQ(chain,
                  (std::vector<std::uint32_t>{static_cast<std::uint32_t>(inner),
                                              static_cast<std::uint32_t>(script), outer_sid}))
            << text;
        EXPECT_TRUE(alive(job)) << "the inner job survived";
    }
}

}  // namespace
}  // namespace hupwatch::test
