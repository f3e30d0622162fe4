// Runs the iter/task_file program (bpf/hung_up_files.bpf.c) over one
// process: which of its fds are hung-up terminals or widowed pipes, as the
// kernel sees them.
// Costs a link, an iterator fd and a read per call; nothing between calls.
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "host_probe.h"

struct bpf_program;
struct hw_hung_up_fd;

namespace hupwatch {

// The iterator's globals, in the loaded object's .data and .bss.
struct HungUpIteratorGlobals {
    volatile __s32* calibration_fd = nullptr;
    volatile __u64* hung_up_write_iter = nullptr;
};

class HungUpTerminalScan {
   public:
    // `program` is the loaded iterator; null: every scan answers nullopt.
    HungUpTerminalScan(struct ::bpf_program* program, HungUpIteratorGlobals globals)
        : program_(program), globals_(globals) {}

    // Learns what a hung-up terminal's file looks like to the kernel from
    // one this process hangs up itself (a pty slave whose master it closes):
    // hung_up_tty_write is static, and /proc/kallsyms shows its address only
    // to CAP_SYSLOG. Until it succeeds, every scan answers nullopt. False,
    // with why, when it cannot (no /dev/ptmx, no iterator).
    bool calibrate(std::string& why);
    bool calibrated() const { return calibrated_; }

    // The hung-up fds of (pid, start_ns), in fd order; an empty list when it
    // has none, nullopt when the kernel could not be asked (counted).
    std::optional<std::vector<HungUpFd>> scan(std::uint32_t pid, std::uint64_t start_ns);

    std::uint64_t scans() const { return scans_; }
    std::uint64_t failures() const { return failures_; }

   private:
    // Runs the iterator over pid, handing over each record; false when it
    // could not run, with errno set (ESRCH: pid is gone).
    bool run_over(std::uint32_t pid, const std::function<void(const ::hw_hung_up_fd&)>& take);

    struct ::bpf_program* program_;
    HungUpIteratorGlobals globals_;
    bool calibrated_ = false;
    std::uint64_t scans_ = 0;
    std::uint64_t failures_ = 0;
};

}  // namespace hupwatch
