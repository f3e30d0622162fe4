#include "process_classification.h"

#include <gtest/gtest.h>

#include <string>

namespace hupwatch {
namespace {

TEST(Supervision, CgroupUnits) {
    EXPECT_EQ(classify_supervision("/system.slice/migrate.service", {}), Supervision::Systemd);
    EXPECT_EQ(classify_supervision("/system.slice/run-u42.scope", {}), Supervision::Systemd)
        << "systemd-run --scope";
    EXPECT_EQ(classify_supervision(
                  "/user.slice/user-1000.slice/user@1000.service/app.slice/job.service", {}),
              Supervision::Systemd);
    EXPECT_EQ(classify_supervision("/user.slice/user-0.slice/session-3.scope", {}),
              Supervision::None);
    EXPECT_EQ(classify_supervision("/system.slice/ssh.service", {}), Supervision::None)
        << "a login without logind stays in sshd's unit";
    EXPECT_EQ(classify_supervision("/system.slice/system-getty.slice/getty@tty1.service", {}),
              Supervision::None);
    EXPECT_EQ(classify_supervision("/init.scope", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("/", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("", {}), Supervision::None);
    EXPECT_EQ(classify_supervision(
                  "/system.slice/system-sshd.slice/sshd@3-10.0.0.1:22-10.0.0.2:5000.service", {}),
              Supervision::None)
        << "socket-activated sshd, one unit per connection";
    EXPECT_EQ(classify_supervision("/system.slice/dropbear.service", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("/user.slice/user-1000.slice/user@1000.service/init.scope", {}),
              Supervision::None)
        << "the user manager itself";
    EXPECT_EQ(classify_supervision("/system.slice/docker.service/worker", {}), Supervision::Systemd)
        << "a delegated sub-cgroup below the service's unit";
    EXPECT_EQ(classify_supervision("/user.slice/user-1000.slice", {}), Supervision::None)
        << "a slice is no unit of its own";
}

TEST(Supervision, MultiplexersByAncestor) {
    EXPECT_EQ(
        classify_supervision("/user.slice/user-0.slice/session-3.scope", {"bash", "tmux: server"}),
        Supervision::Tmux);
    EXPECT_EQ(classify_supervision("/system.slice/ssh.service", {"bash", "SCREEN"}),
              Supervision::Screen);
    EXPECT_EQ(classify_supervision("", {"bash", "screen"}), Supervision::Screen);
    EXPECT_EQ(classify_supervision("", {"bash", "sshd"}), Supervision::None);
    EXPECT_EQ(classify_supervision("", {"bash", "tmux"}), Supervision::Tmux);
    EXPECT_EQ(classify_supervision("", {"bash", "Screen"}), Supervision::Screen);
    EXPECT_EQ(classify_supervision("", {"bash", "screenfetch"}), Supervision::None);
    EXPECT_EQ(classify_supervision("/system.slice/migrate.service", {"sh", "tmux: server"}),
              Supervision::Tmux)
        << "multiplexers win over systemd";
}

TEST(Disposition, FromSignalMasks) {
    EXPECT_EQ(sighup_disposition(0, 0), SighupDisposition::Default);
    EXPECT_EQ(sighup_disposition(1, 0), SighupDisposition::Ignored);
    EXPECT_EQ(sighup_disposition(0, 1), SighupDisposition::Handled);
    EXPECT_EQ(sighup_disposition(1, 1), SighupDisposition::Ignored);
    EXPECT_EQ(sighup_disposition(0x2, 0x4), SighupDisposition::Default) << "SIGINT, SIGQUIT only";
    EXPECT_EQ(sighup_disposition(0xfffffffffffffffeULL, 0xfffffffffffffffeULL),
              SighupDisposition::Default)
        << "every signal but SIGHUP";
    EXPECT_EQ(sighup_disposition(0x1001, 0x4002), SighupDisposition::Ignored);
    EXPECT_EQ(sighup_disposition(0x1000, 0x4003), SighupDisposition::Handled);
    EXPECT_EQ(sighup_disposition_name(SighupDisposition::Default), "default");
    EXPECT_EQ(sighup_disposition_name(SighupDisposition::Ignored), "ignored");
    EXPECT_EQ(sighup_disposition_name(SighupDisposition::Handled), "handled");
    EXPECT_EQ(supervision_name(Supervision::Tmux), "tmux");
    EXPECT_EQ(supervision_name(Supervision::None), "none");
    EXPECT_EQ(supervision_name(Supervision::Systemd), "systemd");
    EXPECT_EQ(supervision_name(Supervision::Screen), "screen");
}

// A job of an interactive login: not a leader, in a session with a terminal.
RiskFacts plain_job() {
    RiskFacts f;
    f.has_tty = true;
    f.in_interactive_session = true;
    return f;
}

::testing::AssertionResult risk_is(const RiskFacts& facts, Risk risk, const std::string& reason) {
    RiskAssessment a = assess_risk(facts);
    if (a.risk == risk && a.reason == reason) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << risk_name(a.risk) << "/" << a.reason
                                         << ", want " << risk_name(risk) << "/" << reason;
}

TEST(Risk, PlainBackgroundJobIsAtRisk) {
    EXPECT_TRUE(risk_is(plain_job(), Risk::AtRisk, "sighup_default"));
    RiskFacts detached_from_tty = plain_job();
    detached_from_tty.has_tty = false;  // TIOCNOTTY by a non-leader: the session still hangs up
    EXPECT_TRUE(risk_is(detached_from_tty, Risk::AtRisk, "sighup_default"));
}

TEST(Risk, Dispositions) {
    RiskFacts f = plain_job();
    f.sighup = SighupDisposition::Ignored;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "sighup_ignored"));
    f.sighup = SighupDisposition::Handled;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "sighup_handled"));
}

TEST(Risk, Supervisors) {
    RiskFacts f = plain_job();
    f.supervision = Supervision::Tmux;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "tmux"));
    f.supervision = Supervision::Screen;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "screen"));
    f.supervision = Supervision::Systemd;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "systemd"));
    f.orphaned = true;
    EXPECT_TRUE(risk_is(f, Risk::Protected, "systemd"))
        << "a service's reparented worker is supervised";
}

TEST(Risk, OwnSession) {
    RiskFacts setsid_job;  // sid == pid, no terminal
    setsid_job.is_session_leader = true;
    EXPECT_TRUE(risk_is(setsid_job, Risk::Protected, "own_session"));
    RiskFacts member_of_daemon_session;  // e.g. a worker of a daemon that did setsid
    EXPECT_TRUE(risk_is(member_of_daemon_session, Risk::Protected, "own_session"));
}

TEST(Risk, Orphans) {
    RiskFacts f = plain_job();
    f.orphaned = true;
    EXPECT_TRUE(risk_is(f, Risk::Orphaned, "reparented"));
    f.sighup = SighupDisposition::Ignored;
    EXPECT_TRUE(risk_is(f, Risk::Orphaned, "reparented")) << "nohup does not bring the parent back";
    RiskFacts survivor;  // its session hung up and lost the terminal; it lived on
    survivor.orphaned = true;
    EXPECT_TRUE(risk_is(survivor, Risk::Orphaned, "reparented"));
}

TEST(Risk, NotAJob) {
    RiskFacts shell = plain_job();
    shell.is_session_leader = true;
    shell.is_shell = true;
    EXPECT_TRUE(risk_is(shell, Risk::NotAJob, "session_leader"));
    shell.supervision = Supervision::Tmux;
    EXPECT_TRUE(risk_is(shell, Risk::NotAJob, "session_leader")) << "a tmux pane's shell";
    RiskFacts init;
    init.is_init = true;
    init.is_session_leader = true;
    EXPECT_TRUE(risk_is(init, Risk::NotAJob, "init"));
    RiskFacts kthread;
    kthread.kernel_thread = true;
    EXPECT_TRUE(risk_is(kthread, Risk::NotAJob, "kernel_thread"));
    EXPECT_EQ(risk_name(Risk::AtRisk), "at_risk");
    EXPECT_EQ(risk_name(Risk::Protected), "protected");
    EXPECT_EQ(risk_name(Risk::Orphaned), "orphaned");
    EXPECT_EQ(risk_name(Risk::NotAJob), "not_a_job");
}

// `tmux new -d 'python train.py'`: the command leads the window's session.
TEST(Risk, ACommandRunAsATmuxOrScreenWindowIsAProtectedJob) {
    RiskFacts window = plain_job();
    window.is_session_leader = true;
    window.supervision = Supervision::Tmux;
    EXPECT_TRUE(risk_is(window, Risk::Protected, "tmux"));
    window.supervision = Supervision::Screen;
    EXPECT_TRUE(risk_is(window, Risk::Protected, "screen"));
    window.supervision = Supervision::None;
    EXPECT_TRUE(risk_is(window, Risk::NotAJob, "session_leader")) << "a login's own leader";
    EXPECT_TRUE(is_shell_comm("bash"));
    EXPECT_TRUE(is_shell_comm("-bash"));
    EXPECT_TRUE(is_shell_comm("zsh"));
    EXPECT_FALSE(is_shell_comm("python3"));
    EXPECT_FALSE(is_shell_comm("bashful"));
}

// `ssh host CMD` (no pty): sshd's child made the command a session leader
// without a terminal. It is a job (its output goes back over the
// connection), not a login's own leader.
TEST(Risk, AnSshCommandWithoutAPtyIsAJob) {
    RiskFacts command;
    command.is_session_leader = true;
    command.has_tty = false;
    command.in_interactive_session = false;
    EXPECT_FALSE(risk_is(command, Risk::NotAJob, "session_leader"));
    EXPECT_TRUE(risk_is(command, Risk::Protected, "own_session"))
        << "no terminal to hang up: no SIGHUP reaches it";
}

TEST(Output, TerminalLinks) {
    EXPECT_TRUE(is_terminal_link("/dev/pts/3"));
    EXPECT_TRUE(is_terminal_link("/dev/pts/1024"));
    EXPECT_TRUE(is_terminal_link("/dev/tty1"));
    EXPECT_TRUE(is_terminal_link("/dev/ttyS0"));
    EXPECT_TRUE(is_terminal_link("/dev/tty"));
    EXPECT_TRUE(is_terminal_link("/dev/console"));
    EXPECT_TRUE(is_terminal_link("/dev/pts/3 (deleted)"));
    EXPECT_FALSE(is_terminal_link("/dev/ptmx")) << "the master side: sshd, tmux";
    EXPECT_FALSE(is_terminal_link("/dev/pts/ptmx"));
    EXPECT_FALSE(is_terminal_link("/dev/null"));
    EXPECT_FALSE(is_terminal_link("/home/u/nohup.out"));
    EXPECT_FALSE(is_terminal_link("pipe:[4242]"));
    EXPECT_FALSE(is_terminal_link(""));

    EXPECT_TRUE(is_lost_terminal_link("/dev/pts/3 (deleted)"));
    EXPECT_FALSE(is_lost_terminal_link("/dev/pts/3"));
    EXPECT_FALSE(is_lost_terminal_link("/tmp/log (deleted)")) << "a deleted file is no terminal";
}

TEST(Output, EitherStream) {
    EXPECT_TRUE(output_to_tty("/dev/pts/3", "/dev/pts/3"));
    EXPECT_TRUE(output_to_tty("/dev/null", "/dev/pts/3")) << "2>&1 not redirected";
    EXPECT_FALSE(output_to_tty("/dev/null", "/dev/null"));
    EXPECT_FALSE(output_to_tty("", ""));
    EXPECT_FALSE(output_lost("/dev/pts/3", "/dev/pts/3"));
    EXPECT_TRUE(output_lost("/out.log", "/dev/pts/3 (deleted)"));
    EXPECT_TRUE(output_to_tty("/out.log", "/dev/pts/3 (deleted)"));
}

}  // namespace
}  // namespace hupwatch
