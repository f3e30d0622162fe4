// How a process is protected from (or exposed to) its session's hangup:
// who supervises it, and what it does with SIGHUP. Pure functions over facts
// read elsewhere, shared by the correlator's verdicts and `hupwatch ps`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hupwatch {

enum class Supervision { None, Systemd, Tmux, Screen };
enum class SighupDisposition { Default, Ignored, Handled };

std::string_view supervision_name(Supervision supervision);
std::string_view sighup_disposition_name(SighupDisposition disposition);

// systemd: the process's cgroup v2 unit is a .service or .scope that is not a
// login session (session-N.scope) nor a login daemon's own unit: without
// logind (UsePAM no), an SSH login's processes stay in ssh.service, which
// does not supervise them. tmux/screen: an ancestor is such a server.
// Multiplexers win over systemd: a tmux started from a login is in the
// login's cgroup anyway.
Supervision classify_supervision(std::string_view cgroup_path,
                                 const std::vector<std::string>& ancestor_comms);

// From /proc/PID/status SigIgn and SigCgt; bit 0 is signal 1, SIGHUP.
SighupDisposition sighup_disposition(std::uint64_t ignored_mask, std::uint64_t caught_mask);

}  // namespace hupwatch
