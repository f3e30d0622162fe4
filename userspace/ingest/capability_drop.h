// After the BPF programs are attached, the daemon needs far less than it
// started with: keep only what reading /proc needs, for good.
#pragma once

#include <string>

namespace hupwatch {

// Capabilities kept after attach (docs/deploy.md, "Privileges"):
//  CAP_SYS_PTRACE       readlink /proc/PID/fd/N of other users' processes
//                       (is a job's output lost?)
//  CAP_DAC_READ_SEARCH  read /proc/PID files of other users that are not
//                       world-readable (seeding, the ps audit)
// Everything else leaves the effective, permitted, inheritable and ambient
// sets and the bounding set, so nothing can take it back. Reading the ring
// buffer and the stats map needs no capability: both go through file
// descriptors opened while loading. One-line error on failure.
bool drop_capabilities_after_attach(std::string& error);

// The CapEff line of /proc/self/status as hex, for the start-up log line.
std::string effective_capabilities_hex();

}  // namespace hupwatch
