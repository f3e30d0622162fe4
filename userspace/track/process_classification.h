// How a process is protected from (or exposed to) its session's hangup:
// who supervises it, and what it does with SIGHUP. Pure functions over facts
// read elsewhere, shared by the correlator's verdicts and `hupwatch ps`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "findings.h"

namespace hupwatch {

// Supervision and SighupDisposition, and their names: findings.h.

// systemd: the process's cgroup v2 unit (the deepest .service or .scope on
// the path) is not a login session (session-N.scope) nor a login daemon's own
// unit: without logind (UsePAM no), an SSH login's processes stay in
// ssh.service, which does not supervise them. tmux/screen: an ancestor is such a server.
// Multiplexers win over systemd: a tmux started from a login is in the
// login's cgroup anyway.
Supervision classify_supervision(std::string_view cgroup_path,
                                 const std::vector<std::string>& ancestor_comms);

// From /proc/PID/status SigIgn and SigCgt; bit 0 is signal 1, SIGHUP.
SighupDisposition sighup_disposition(std::uint64_t ignored_mask, std::uint64_t caught_mask);

// What a hangup of its session would do to a process now.
//   at_risk:   it would get SIGHUP (from its shell or the kernel) and die of it.
//   protected: it would not; the reason says why.
//   orphaned:  its parent is gone (reparented): no shell will forward a
//              SIGHUP to it, and its output may be going nowhere.
//   not_a_job: the session's own leader (the login shell), init, kernel threads.
//              A command that leads its own session as a tmux/screen window
//              (`tmux new -d 'python train.py'`) is a job all the same.
enum class Risk { AtRisk, Protected, Orphaned, NotAJob };
std::string_view risk_name(Risk risk);

// bash, sh, dash, zsh, fish, ksh, tcsh, csh (a login shell's "-bash" too).
bool is_shell_comm(std::string_view comm);  // "at_risk", "protected", "orphaned", "not_a_job"

// The facts about one process that decide its risk, read from /proc by the
// caller (process_forest.h) or from events by the correlator.
struct RiskFacts {
    bool kernel_thread = false;
    bool is_init = false;                 // pid 1 of its pid namespace
    bool has_tty = false;                 // its own controlling terminal (stat tty_nr != 0)
    bool in_interactive_session = false;  // its session has a controlling terminal
    bool is_session_leader = false;       // pid == sid
    bool is_shell = false;                // its command is a shell (bash, sh, zsh, ...)
    // Its session differs from its parent's while it leads none: a child
    // inherits its parent's session, so only reparenting explains that.
    bool orphaned = false;
    SighupDisposition sighup = SighupDisposition::Default;  // unknown: pass Default
    Supervision supervision = Supervision::None;
};

struct RiskAssessment {
    Risk risk = Risk::NotAJob;
    // at_risk: "sighup_default". protected: "tmux", "screen", "systemd",
    // "own_session", "sighup_ignored", "sighup_handled". orphaned:
    // "reparented". not_a_job: "kernel_thread", "init", "session_leader".
    std::string reason;
};

// First match wins: not-a-job, supervision, orphaned, own session, then the
// SIGHUP disposition. docs/ps.md explains the order.
RiskAssessment assess_risk(const RiskFacts& facts);

// A readlink of /proc/PID/fd/N naming a terminal: /dev/pts/N, /dev/ttyX,
// /dev/tty, /dev/console; not the pty master /dev/ptmx.
bool is_terminal_link(std::string_view link);
// A terminal that is gone: a pty's /dev/pts node is removed when its master
// closes (the SSH connection dropped), and readlink then shows
// "/dev/pts/3 (deleted)". Writes to it fail with EIO.
bool is_lost_terminal_link(std::string_view link);
// From the readlinks of fd 1 and fd 2 (empty: unknown or closed).
bool output_to_tty(std::string_view stdout_link, std::string_view stderr_link);
bool output_lost(std::string_view stdout_link, std::string_view stderr_link);

}  // namespace hupwatch
